import Testing

@testable import SPFCheck

/// ``StateHash`` is wyhash (final version 4): it must give the reference implementation's
/// values, since the fingerprint store's omission estimate assumes a full-quality 64-bit hash
/// and a port slip (a wrong read offset, a lost length) would weaken it without changing any
/// state count.
@Suite struct StateHashTests {
  static func wyhash(_ text: String, seed: UInt64) -> UInt64 {
    Array(text.utf8).withUnsafeBytes { StateHash.wyhash($0, mixedSeed: StateHash.mixed(seed: seed)) }
  }

  /// The reference's test vectors (wyhash's test_vector.cpp, also pinned by Zig's
  /// `std.hash.Wyhash`): message i hashed with seed i. Their lengths (0, 1, 3, 14, 26, 62, 80)
  /// take every branch but the 4...8-byte reads and a length of exactly 48.
  @Test func matchesTheReferenceTestVectors() {
    let vectors: [(String, UInt64)] = [
      ("", 0x0409_638E_E2BD_E459),
      ("a", 0xA841_2D09_1B5F_E0A9),
      ("abc", 0x32DD_92E4_B291_5153),
      ("message digest", 0x8619_1240_89A3_A16B),
      ("abcdefghijklmnopqrstuvwxyz", 0x7A43_AFB6_1D7F_5F40),
      ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 0xFF42_329B_90E5_0D58),
      (String(repeating: "1234567890", count: 8), 0xC39C_AB13_B115_AAD3),
    ]
    for (seed, (text, expected)) in vectors.enumerated() {
      #expect(Self.wyhash(text, seed: UInt64(seed)) == expected, "\(text.utf8.count) bytes")
    }
  }

  /// The precomputed starting value is the one the seed gives.
  @Test func mixedSeedIsTheSeeds() {
    #expect(StateHash.mixedSeed == StateHash.mixed(seed: StateHash.seed))
  }

  /// Fingerprints of byte strings of lengths at each boundary of the reads (4, 8, 16, 17,
  /// 48, 49) and around them, with the fixed seed, as a port of the reference to Python
  /// computed them (the same port gives the test vectors above).
  @Test func fingerprintsAtEveryReadBoundary() {
    let expected: [Int: UInt64] = [
      4: 2_425_766_843_247_735_337, 7: 13_858_394_150_362_123_279, 8: 12_923_920_714_413_874_766,
      16: 10_927_785_219_395_609_812, 17: 4_460_689_433_351_267_516, 32: 7_053_385_548_149_526_136,
      48: 4_320_286_034_137_494_883, 49: 2_999_593_299_508_402_763, 96: 6_459_394_709_826_366_653,
      100: 9_909_091_873_950_155_159,
    ]
    for (n, hash) in expected {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
      #expect(StateHash.hash(bytes) == hash, "\(n) bytes")
    }
  }

  /// Every byte of a 32-byte vector (a component vector of eight ids) and its length reach
  /// the hash: no two of these inputs collide.
  @Test func everyByteAndTheLengthCount() {
    let base = [UInt8](repeating: 0, count: 32)
    var seen: Set<UInt64> = [StateHash.hash(base), StateHash.hash([UInt8](repeating: 0, count: 31))]
    for i in 0..<32 {
      for bit in 0..<8 {
        var bytes = base
        bytes[i] ^= 1 << bit
        seen.insert(StateHash.hash(bytes))
      }
    }
    #expect(seen.count == 2 + 32 * 8)
  }
}
