/// Memoised moves: what a move of one thread did to the stored components, keyed on the
/// components it could read. LTSmin's PINS transition cache does the same on the part of
/// the state vector a transition group depends on (Blom, van de Pol and Weber, "LTSmin:
/// distributed and symbolic reachability", CAV 2010, section 3).
///
/// A step of thread `t` reads and writes, of all threads, only its own, unless it says
/// otherwise (``StepResult/readOtherThreads``, ``StepResult/changedOtherThreads``), and the
/// coalesced steps after it too; whether the partial-order reduction coalesces a step reads
/// other threads only when it asks whether an object is private, and then only whether
/// another thread names the object (``PrivacyReads``). Such a move is then a function of the
/// thread index, the branch, thread `t`'s component and the shared components, and every
/// other component of the successor is the parent's. Components are interned (equal ids, equal
/// bytes), so the key is six words: the thread and branch in one, thread `t`'s id and the
/// shared components' ids; the value is the successor's ids for the same components, the
/// number of coalesced steps and the step's branch count.
///
/// The reads of other threads are kept as conditions of the entry, checked on the state at
/// hand before a hit is used: the two that steps make (``OtherThreadReads``: that no thread
/// waits in `synchronize_rcu` for `t`, and which other threads are inside an RCU read-side
/// section), and for up to two objects whose privacy the coalescing asked, whether another
/// thread names each. Moves that violate, raise a model error, change another thread or ask
/// about a third object's privacy are never cached, nor are moves whose successor had a
/// component the store did not hold yet (the merge assigns its id).
///
/// On the shipped SPF cases 96–99 % of the moves find their key (measured at 300,000 and
/// 2,000,000 states), because a thread's step sees the same few shared states whatever the
/// other threads are doing. Whether a hit's successor is in canonical thread order depends on
/// the other threads, so the expander checks it, and renames a reordered successor's shared
/// components through ``RenameCache``.
///
/// Each worker owns one, so the results (and the states stored) do not depend on `--jobs`,
/// and debug builds check every hit against the move run afresh (``Expander``).
struct TransitionCache {
  /// Key words: the tag (thread + 1, branch), thread `t`'s id, the shared ids.
  static let keyWords = 2 + State.sharedComponents
  /// Value words: the successor's thread id and shared ids, the coalesced steps and branch
  /// count, the conditions read (``OtherThreadReads`` and ``PrivacyReads``' answers), the
  /// other RCU readers they require, and the two objects of ``PrivacyReads``.
  static let valueWords = 1 + State.sharedComponents + 5

  /// Entries of 64 bytes, up to 262,144 of them (16 MiB per worker).
  private var table = WordTable(
    keyWords: keyWords, valueWords: valueWords, initialCapacity: 1 << 12, maxCapacity: 1 << 18)

  /// A move's key: thread `t` and `branch` of the state whose component vector is `vector`.
  struct Key {
    /// The key words, then zeros.
    var words: SIMD8<UInt32>
    var hash: Int

    init(thread t: Int, branch: Int, vector: UnsafeBufferPointer<UInt32>) {
      assert(TransitionCache.keyWords <= 8, "a key has more words than its SIMD8 holds")
      words = SIMD8(repeating: 0)
      words[0] = UInt32(t + 1) | UInt32(branch) << 16
      words[1] = vector[State.sharedComponents + t]
      for k in 0..<State.sharedComponents { words[2 + k] = vector[k] }
      hash = withUnsafeBytes(of: words) { WordTable.hash($0, count: TransitionCache.keyWords) }
    }
  }

  /// What a cached move produced.
  struct Hit {
    /// The successor's id for thread `t`'s component.
    var thread: UInt32
    /// Where the successor's shared ids are (valid until the cache is next changed).
    var shared: UnsafePointer<UInt32>
    var coalesced: UInt8
    var branches: Int
    /// The move is valid only when no thread waits in `synchronize_rcu` for `t`.
    var needsNoRcuWaiter: Bool
    /// The move is valid only when the threads other than `t` inside an RCU read-side
    /// section are these (a bitmask), if set.
    var otherRcuReaders: UInt32?
    /// After the move, thread `t` waits in `synchronize_rcu` (its encoding then holds thread
    /// ids, which a reordering renames).
    var waitsForGracePeriod: Bool
    /// The move's coalescing asked whether objects are private: the answers must be the same.
    var privacy: PrivacyReads?

    /// True when the cached move is the move of thread `t` in `s`.
    func holds(in s: State, thread t: Int) -> Bool {
      if needsNoRcuWaiter && s.hasRcuWaiter(on: t) { return false }
      if let readers = otherRcuReaders, s.rcuReaders & ~(UInt32(1) << UInt32(t)) != readers { return false }
      if let privacy, !privacy.hold(in: s, thread: t) { return false }
      return true
    }
  }

  /// The cached move for `key`, or nil.
  func find(_ key: Key) -> Hit? {
    let found = withUnsafeBytes(of: key.words) { table.find($0, hash: key.hash) }
    guard let value = found else { return nil }
    let counts = value[1 + State.sharedComponents]
    let reads = value[2 + State.sharedComponents]
    let objects = (value[4 + State.sharedComponents], value[5 + State.sharedComponents])
    return Hit(
      thread: value[0], shared: value + 1, coalesced: UInt8(truncatingIfNeeded: counts), branches: Int(counts >> 8),
      needsNoRcuWaiter: reads & 1 != 0, otherRcuReaders: reads & 2 != 0 ? value[3 + State.sharedComponents] : nil,
      waitsForGracePeriod: reads & 4 != 0,
      privacy: objects.0 == 0 ? nil : PrivacyReads(objects: objects, named: reads >> 3 & 3))
  }

  /// Records that the move of `key` (made from the state `s`) leads to the successor whose
  /// component vector is `successor`, after `coalesced` coalesced steps, the step having
  /// `branches` branches, its steps having read `reads` of other threads and its coalescing
  /// `privacy` (at most two objects); `waits` tells whether the moving thread then waits for a
  /// grace period.
  mutating func insert(
    _ key: Key, of s: borrowing State, successor: UnsafeBufferPointer<UInt32>, coalesced: UInt8, branches: Int,
    reads: OtherThreadReads, privacy: PrivacyReads, waits: Bool
  ) {
    precondition(!privacy.overflow, "a move whose coalescing asked about more than two objects is cached")
    let t = Int(key.words[0] & 0xFFFF) - 1
    let readers = reads.rcuReaders ? s.rcuReaders & ~(UInt32(1) << UInt32(t)) : 0
    withUnsafeBytes(of: key.words) { k in
      table.insert(k, hash: key.hash) { value in
        value[0] = successor[State.sharedComponents + t]
        for i in 0..<State.sharedComponents { value[1 + i] = successor[i] }
        value[1 + State.sharedComponents] = UInt32(coalesced) | UInt32(branches) << 8
        value[2 + State.sharedComponents] =
          (reads.rcuWaiters ? 1 : 0) | (reads.rcuReaders ? 2 : 0) | (waits ? 4 : 0) | privacy.named << 3
        value[3 + State.sharedComponents] = readers
        value[4 + State.sharedComponents] = privacy.objects.0
        value[5 + State.sharedComponents] = privacy.objects.1
      }
    }
  }
}

/// Shared components renamed by a thread permutation, for the moves of ``TransitionCache``
/// whose successor symmetry reorders: the id of component `k` (one of the shared
/// components) with id `id` after ``State/renameShared(_:)`` with the permutation whose code
/// is `perm` (4 bits per thread: at most 16 threads). Renaming is a function of the
/// component's bytes and the permutation, and components are interned, so this never goes
/// stale.
struct RenameCache {
  /// Entries of 20 bytes (`k` + 1, the id, the permutation's code in two words; the renamed
  /// id), up to 65,536 of them.
  private var table = WordTable(keyWords: 4, valueWords: 1, initialCapacity: 1 << 10, maxCapacity: 1 << 16)

  private static func key(_ k: Int, _ id: UInt32, _ perm: UInt64) -> SIMD4<UInt32> {
    SIMD4(UInt32(k + 1), id, UInt32(truncatingIfNeeded: perm), UInt32(truncatingIfNeeded: perm >> 32))
  }

  /// The renamed id of component `k` whose id is `id` under permutation code `perm`, if known.
  func find(_ k: Int, _ id: UInt32, perm: UInt64) -> UInt32? {
    withUnsafeBytes(of: Self.key(k, id, perm)) { key in
      table.find(key, hash: WordTable.hash(key, count: 4)).map { $0[0] }
    }
  }

  /// Records that component `k` with id `id` is `renamed` under permutation code `perm`.
  mutating func insert(_ k: Int, _ id: UInt32, perm: UInt64, renamed: UInt32) {
    withUnsafeBytes(of: Self.key(k, id, perm)) { key in
      table.insert(key, hash: WordTable.hash(key, count: 4)) { $0[0] = renamed }
    }
  }
}

/// The open-addressing table under the explorer's memo caches: fixed-size entries of 32-bit
/// words, `keyWords` of key (the first never 0, which marks an empty slot) and then
/// `valueWords` of value. A key is looked for in a window of ``window`` slots from its home;
/// the table doubles from `initialCapacity` up to `maxCapacity` entries, then overwrites the
/// home slot when the window is full: a cache may forget an entry, never give a wrong one.
struct WordTable {
  /// Slots probed from an entry's home slot.
  static let window = 4

  let keyWords: Int
  private let stride: Int
  private let maxCapacity: Int
  private var words: [UInt32]
  private var mask: Int
  /// Filled slots.
  private(set) var count = 0

  init(keyWords: Int, valueWords: Int, initialCapacity: Int, maxCapacity: Int) {
    self.keyWords = keyWords
    stride = keyWords + valueWords
    self.maxCapacity = maxCapacity
    words = Array(repeating: 0, count: initialCapacity * stride)
    mask = initialCapacity - 1
  }

  /// The hash of the first `count` 32-bit words of `key`.
  @inline(__always)
  static func hash(_ key: UnsafeRawBufferPointer, count: Int) -> Int {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in 0..<count { h = (h ^ UInt64(key.load(fromByteOffset: 4 * i, as: UInt32.self))) &* 0xBF58_476D_1CE4_E5B9 }
    return Int(truncatingIfNeeded: h ^ h >> 31)
  }

  @inline(__always)
  private static func matches(_ e: UnsafePointer<UInt32>, _ key: UnsafeRawBufferPointer, keyWords: Int) -> Bool {
    for i in 0..<keyWords where e[i] != key.load(fromByteOffset: 4 * i, as: UInt32.self) { return false }
    return true
  }

  /// The value words of the entry whose key is the first `keyWords` words of `key` (its
  /// hash `hash`), or nil; valid until the table is next changed.
  func find(_ key: UnsafeRawBufferPointer, hash: Int) -> UnsafePointer<UInt32>? {
    words.withUnsafeBufferPointer { w in
      for i in 0..<Self.window {
        let e = w.baseAddress! + ((hash &+ i) & mask) * stride
        if e[0] == 0 { return nil }
        if Self.matches(e, key, keyWords: keyWords) { return e + keyWords }
      }
      return nil
    }
  }

  /// Stores the entry whose key is the first `keyWords` words of `key` (its hash `hash`),
  /// replacing an entry of the same key, and lets `fill` write its value words.
  mutating func insert(_ key: UnsafeRawBufferPointer, hash: Int, fill: (UnsafeMutablePointer<UInt32>) -> Void) {
    if count * 2 >= mask + 1 && mask + 1 < maxCapacity { grow() }
    let mask = self.mask
    let keyWords = self.keyWords
    let stride = self.stride
    words.withUnsafeMutableBufferPointer { w in
      var slot = hash & mask
      for i in 0..<Self.window {
        let probe = (hash &+ i) & mask
        let e = w.baseAddress! + probe * stride
        if e[0] == 0 {
          count += 1
          slot = probe
          break
        }
        if Self.matches(e, key, keyWords: keyWords) {
          slot = probe
          break
        }
      }
      let e = w.baseAddress! + slot * stride
      for i in 0..<keyWords { e[i] = key.load(fromByteOffset: 4 * i, as: UInt32.self) }
      fill(e + keyWords)
    }
  }

  /// Doubles the table, placing every entry again.
  private mutating func grow() {
    let old = words
    let (keyWords, stride) = (self.keyWords, self.stride)
    words = Array(repeating: 0, count: (mask + 1) * 2 * stride)
    mask = (mask + 1) * 2 - 1
    count = 0
    old.withUnsafeBytes { o in
      for start in Swift.stride(from: 0, to: old.count, by: stride) where old[start] != 0 {
        let entry = UnsafeRawBufferPointer(rebasing: o[(4 * start)..<(4 * (start + stride))])
        let value = entry.baseAddress!.assumingMemoryBound(to: UInt32.self) + keyWords
        insert(entry, hash: Self.hash(entry, count: keyWords)) { $0.update(from: value, count: stride - keyWords) }
      }
    }
  }
}
