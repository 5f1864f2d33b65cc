/// A fast, seeded 64-bit hash of a byte string (the state fingerprint).
///
/// The mixing follows wyhash's "mum" step (a 64×64→128-bit multiply folded by xor)
/// over 8-byte little-endian words, with a fixed seed so fingerprints, and therefore
/// every figure the explorer prints, are the same on every run. It is not Swift's
/// `Hasher`, whose per-process random seed would make the order of a hash table visible.
enum StateHash {
  private static let seed: UInt64 = 0x243F_6A88_85A3_08D3
  private static let k1: UInt64 = 0xA076_1D64_78BD_642F
  private static let k2: UInt64 = 0xE703_7ED1_A0B4_28DB

  @inline(__always)
  private static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (hi, lo) = a.multipliedFullWidth(by: b)
    return hi ^ lo
  }

  /// The fingerprint of `bytes`; never 0 (0 marks an empty slot in the stores).
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h = seed ^ UInt64(bytes.count) &* k1
    var i = 0
    let n = bytes.count
    while i + 8 <= n {
      let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      h = mum(h ^ w, k2 ^ UInt64(i))
      i += 8
    }
    if i < n {
      var w: UInt64 = 0
      var shift: UInt64 = 0
      while i < n {
        w |= UInt64(bytes[i]) << shift
        shift += 8
        i += 1
      }
      h = mum(h ^ w, k1)
    }
    h = mum(h ^ (h >> 29), k2)
    return h == 0 ? 1 : h
  }

  static func hash(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { hash($0) }
  }
}
