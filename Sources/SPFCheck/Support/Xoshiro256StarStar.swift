/// xoshiro256** (Blackman and Vigna, 2018): a small, fast, seeded pseudo-random generator.
///
/// spfcheck's own generator, so that a seed gives the same sequence on every platform and
/// toolchain (the standard library's `random(in:using:)` algorithms are not promised stable,
/// and `SystemRandomNumberGenerator` is not seedable). The 256-bit state is filled from a
/// 64-bit seed with ``SplitMix64``, as the authors recommend.
struct Xoshiro256StarStar: Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  /// A generator whose sequence is fixed by `seed`.
  init(seed: UInt64) {
    var mix = SplitMix64(state: seed)
    s0 = mix.next()
    s1 = mix.next()
    s2 = mix.next()
    s3 = mix.next()
  }

  /// The next 64 random bits.
  mutating func next() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  /// A uniformly distributed integer in `0..<bound` (Lemire's multiply-and-reject, unbiased).
  mutating func below(_ bound: Int) -> Int {
    precondition(bound > 0, "below(_:) needs a positive bound")
    let n = UInt64(bound)
    var m = next().multipliedFullWidth(by: n)
    if m.low < n {
      let threshold = (0 &- n) % n
      while m.low < threshold { m = next().multipliedFullWidth(by: n) }
    }
    return Int(m.high)
  }

  /// The elements of `0..<count` in a uniformly random order (Fisher-Yates).
  mutating func permutation(_ count: Int) -> [Int] {
    var items = Array(0..<count)
    var i = count - 1
    while i > 0 {
      items.swapAt(i, below(i + 1))
      i -= 1
    }
    return items
  }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): seeds ``Xoshiro256StarStar`` and derives
/// independent per-run seeds from one master seed.
struct SplitMix64: Sendable {
  var state: UInt64

  /// The next 64 bits; consecutive outputs are well mixed even for seeds 0, 1, 2, ...
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
