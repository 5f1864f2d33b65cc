/// A fast, seeded 64-bit hash of a byte string (the state fingerprint).
///
/// It is wyhash, final version 4 (Wang Yi's, public domain, which passes SMHasher), with its
/// default secrets and a fixed seed, so fingerprints, and therefore every figure the explorer
/// prints, are the same on every run and machine. It is not Swift's `Hasher`, whose
/// per-process random seed would make the order of a hash table visible.
///
/// Why wyhash: it folds 16 bytes per 64×64→128-bit multiply ("mum", folded by xor) and reads
/// inputs up to 16 bytes with a few overlapping loads, so a 32-byte component vector costs
/// three multiplies and no loop over bytes. (The hash before mixed one 8-byte word per
/// multiply and its tail byte by byte: five multiplies and about 88 instructions on 32 bytes.)
/// Its output is a full-avalanche 64-bit value, which the fingerprint store's omission
/// estimate (n²/2⁶⁵) assumes.
enum StateHash {
  /// The seed (digits of π), mixed into wyhash's starting value ``mixedSeed``.
  static let seed: UInt64 = 0x243F_6A88_85A3_08D3
  /// wyhash's default secrets (`_wyp`).
  static let s0: UInt64 = 0xA076_1D64_78BD_642F
  static let s1: UInt64 = 0xE703_7ED1_A0B4_28DB
  static let s2: UInt64 = 0x8EBC_6AF0_9C88_C6E3
  static let s3: UInt64 = 0x5899_65CC_7537_4CC3
  /// `seed ^ mix(seed ^ s0, s1)`, wyhash's first step, which depends on the seed only
  /// (a test checks it against ``mixed(seed:)``).
  static let mixedSeed: UInt64 = 0x3385_ED94_52A4_6F3C

  /// The 128-bit product of `a` and `b`, as (low, high) words (wyhash's `_wymum`).
  @inline(__always)
  private static func mum(_ a: UInt64, _ b: UInt64) -> (UInt64, UInt64) {
    let (hi, lo) = a.multipliedFullWidth(by: b)
    return (lo, hi)
  }

  /// The 128-bit product of `a` and `b` folded by xor (wyhash's `_wymix`).
  @inline(__always)
  private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (hi, lo) = a.multipliedFullWidth(by: b)
    return hi ^ lo
  }

  /// wyhash's starting value for `seed`.
  static func mixed(seed: UInt64) -> UInt64 { seed ^ mix(seed ^ s0, s1) }

  /// The fingerprint of `bytes`; never 0 (0 marks an empty slot in the stores).
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let h = wyhash(bytes, mixedSeed: mixedSeed)
    return h == 0 ? 1 : h
  }

  static func hash(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { hash($0) }
  }

  /// wyhash of `bytes` from the starting value `mixedSeed` (``mixed(seed:)``); words are read
  /// little-endian, as the reference reads them on every machine (so values do not depend on
  /// the machine).
  @inline(__always)
  static func wyhash(_ bytes: UnsafeRawBufferPointer, mixedSeed: UInt64) -> UInt64 {
    @inline(__always) func r8(_ i: Int) -> UInt64 {
      UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }
    @inline(__always) func r4(_ i: Int) -> UInt64 {
      UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
    }
    let n = bytes.count
    var seed = mixedSeed
    var a: UInt64
    var b: UInt64
    if n <= 16 {
      if n >= 4 {
        // Two overlapping pairs of 4-byte reads cover 4...16 bytes.
        let q = (n >> 3) << 2
        a = r4(0) << 32 | r4(q)
        b = r4(n &- 4) << 32 | r4(n &- 4 &- q)
      } else if n > 0 {
        a = UInt64(bytes[0]) << 16 | UInt64(bytes[n >> 1]) << 8 | UInt64(bytes[n - 1])
        b = 0
      } else {
        a = 0
        b = 0
      }
    } else if n <= 48 {
      // The general case below, unrolled for component vectors of up to twelve ids: one or
      // two 16-byte blocks, then the last 16 bytes (overlapping the block before when fewer
      // are left).
      seed = mix(r8(0) ^ s1, r8(8) ^ seed)
      if n > 32 { seed = mix(r8(16) ^ s1, r8(24) ^ seed) }
      a = r8(n &- 16)
      b = r8(n &- 8)
    } else {
      // More than 48 bytes: 48-byte blocks in three lanes, then 16-byte blocks.
      var p = 0
      var i = n
      var see1 = seed
      var see2 = seed
      repeat {
        seed = mix(r8(p) ^ s1, r8(p &+ 8) ^ seed)
        see1 = mix(r8(p &+ 16) ^ s2, r8(p &+ 24) ^ see1)
        see2 = mix(r8(p &+ 32) ^ s3, r8(p &+ 40) ^ see2)
        p &+= 48
        i &-= 48
      } while i > 48
      seed ^= see1 ^ see2
      while i > 16 {
        seed = mix(r8(p) ^ s1, r8(p &+ 8) ^ seed)
        i &-= 16
        p &+= 16
      }
      // The last 16 bytes (overlapping the block before when fewer are left).
      a = r8(p &+ i &- 16)
      b = r8(p &+ i &- 8)
    }
    (a, b) = mum(a ^ s1, b ^ seed)
    return mix(a ^ s0 ^ UInt64(truncatingIfNeeded: n), b ^ s1)
  }
}
