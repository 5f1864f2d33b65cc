/// Memoised moves: what a move of one thread did to the stored components, keyed on the
/// components it could read. LTSmin's PINS transition cache does the same on the part of
/// the state vector a transition group depends on (Blom, van de Pol and Weber, "LTSmin:
/// distributed and symbolic reachability", CAV 2010, section 3).
///
/// A step of thread `t` reads and writes, of all threads, only its own, unless it says
/// otherwise (``StepResult/readOtherThreads``, ``StepResult/changedOtherThreads``), and the
/// coalesced steps after it too, unless the partial-order reduction asked whether an object
/// is private (which looks at every thread). Such a move is then a function of the thread
/// index, the branch, thread `t`'s component and the shared components, and every other
/// component of the successor is the parent's. Components are interned (equal ids, equal
/// bytes), so the key is seven words: the thread and branch, thread `t`'s id and the shared
/// components' ids; the value is the successor's ids for the same components, the number of
/// coalesced steps and the step's branch count.
///
/// The two reads of other threads that steps make (``OtherThreadReads``) are kept as
/// conditions of the entry, checked on the state at hand before a hit is used: that no
/// thread waits in `synchronize_rcu` for `t`, and which other threads are inside an RCU
/// read-side section. Moves that violate, raise a model error, change another thread or ask
/// whether an object is private are never cached, nor are moves whose successor had a
/// component the store did not hold yet (the merge assigns its id).
///
/// On the shipped SPF cases 96–99 % of the moves find their key (measured at 300,000 and
/// 2,000,000 states), because a thread's step sees the same few shared states whatever the
/// other threads are doing. Whether a hit's successor is in canonical thread order depends on
/// the other threads, so the expander checks it and runs the move afresh when symmetry would
/// reorder.
///
/// The table is open addressing with a window of ``window`` slots, doubling up to
/// ``maxCapacity`` entries and then overwriting: a cache may forget, never lie. Each worker
/// owns one, so the results (and the states stored) do not depend on `--jobs`, and debug
/// builds check every hit against the move run afresh (``Expander``).
struct TransitionCache {
  /// Words per entry: the tag (thread + 1, branch), thread `t`'s id, the shared ids; then
  /// the successor's thread id, its shared ids, the coalesced steps and branch count, the
  /// conditions read (``OtherThreadReads``) and the other RCU readers they require.
  static let stride = 2 + State.sharedComponents + 1 + State.sharedComponents + 3
  /// Slots probed from an entry's home slot.
  static let window = 4
  static let initialCapacity = 1 << 12
  /// The most entries kept (56 bytes each: 14 MiB per worker).
  static let maxCapacity = 1 << 18

  private var words: [UInt32]
  private var mask: Int
  /// Filled slots.
  private(set) var count = 0

  init() {
    words = Array(repeating: 0, count: Self.initialCapacity * Self.stride)
    mask = Self.initialCapacity - 1
  }

  var capacity: Int { mask + 1 }

  /// A move's key: thread `t` and `branch` of the state whose component vector is `vector`.
  struct Key {
    var tag: UInt32
    var thread: UInt32
    var hash: Int

    init(thread t: Int, branch: Int, vector: UnsafeBufferPointer<UInt32>) {
      tag = UInt32(t + 1) | UInt32(branch) << 16
      thread = vector[State.sharedComponents + t]
      hash = TransitionCache.hash(tag: tag, thread: thread, shared: vector.baseAddress!)
    }
  }

  /// The hash of a key: its tag, thread id and the `State.sharedComponents` ids at `shared`.
  static func hash(tag: UInt32, thread: UInt32, shared: UnsafePointer<UInt32>) -> Int {
    var h = UInt64(tag) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(thread)
    for k in 0..<State.sharedComponents { h = (h ^ UInt64(shared[k])) &* 0xBF58_476D_1CE4_E5B9 }
    return Int(truncatingIfNeeded: h ^ h >> 31)
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

    /// True when the cached move is the move of thread `t` in `s`.
    func holds(in s: State, thread t: Int) -> Bool {
      if needsNoRcuWaiter && s.hasRcuWaiter(on: t) { return false }
      if let readers = otherRcuReaders, s.rcuReaders & ~(UInt32(1) << UInt32(t)) != readers { return false }
      return true
    }
  }

  private static func matches(_ e: UnsafePointer<UInt32>, _ key: Key, _ vector: UnsafeBufferPointer<UInt32>) -> Bool {
    guard e[0] == key.tag && e[1] == key.thread else { return false }
    for k in 0..<State.sharedComponents where e[2 + k] != vector[k] { return false }
    return true
  }

  /// The cached move for `key` (made from `vector`), or nil.
  func find(_ key: Key, vector: UnsafeBufferPointer<UInt32>) -> Hit? {
    words.withUnsafeBufferPointer { w -> Hit? in
      for i in 0..<Self.window {
        let e = w.baseAddress! + ((key.hash &+ i) & mask) * Self.stride
        if e[0] == 0 { return nil }
        guard Self.matches(e, key, vector) else { continue }
        let value = e + 2 + State.sharedComponents
        let counts = value[1 + State.sharedComponents]
        let reads = value[2 + State.sharedComponents]
        return Hit(
          thread: value[0], shared: value + 1, coalesced: UInt8(truncatingIfNeeded: counts), branches: Int(counts >> 8),
          needsNoRcuWaiter: reads & 1 != 0, otherRcuReaders: reads & 2 != 0 ? value[3 + State.sharedComponents] : nil,
          waitsForGracePeriod: reads & 4 != 0)
      }
      return nil
    }
  }

  /// Records that the move of `key` (made from `vector`, whose state is `s`) leads to the
  /// successor whose component vector is `successor`, after `coalesced` coalesced steps, the
  /// step having `branches` branches and its steps having read `reads` of other threads;
  /// `waits` tells whether the moving thread then waits for a grace period.
  mutating func insert(
    _ key: Key, vector: UnsafeBufferPointer<UInt32>, of s: borrowing State, successor: UnsafeBufferPointer<UInt32>,
    coalesced: UInt8, branches: Int, reads: OtherThreadReads, waits: Bool
  ) {
    if count * 2 >= capacity && capacity < Self.maxCapacity { grow() }
    let t = Int(key.tag & 0xFFFF) - 1
    let mask = self.mask
    words.withUnsafeMutableBufferPointer { w in
      var slot = key.hash & mask
      for i in 0..<Self.window {
        let e = w.baseAddress! + ((key.hash &+ i) & mask) * Self.stride
        if e[0] == 0 {
          count += 1
          slot = (key.hash &+ i) & mask
          break
        }
        if Self.matches(e, key, vector) {
          slot = (key.hash &+ i) & mask
          break
        }
      }
      let e = w.baseAddress! + slot * Self.stride
      e[0] = key.tag
      e[1] = key.thread
      for k in 0..<State.sharedComponents { e[2 + k] = vector[k] }
      let value = e + 2 + State.sharedComponents
      value[0] = successor[State.sharedComponents + t]
      for k in 0..<State.sharedComponents { value[1 + k] = successor[k] }
      value[1 + State.sharedComponents] = UInt32(coalesced) | UInt32(branches) << 8
      value[2 + State.sharedComponents] = (reads.rcuWaiters ? 1 : 0) | (reads.rcuReaders ? 2 : 0) | (waits ? 4 : 0)
      value[3 + State.sharedComponents] = reads.rcuReaders ? s.rcuReaders & ~(UInt32(1) << UInt32(t)) : 0
    }
  }

  /// Doubles the table, placing every entry again.
  private mutating func grow() {
    let old = words
    words = Array(repeating: 0, count: capacity * 2 * Self.stride)
    mask = capacity * 2 - 1
    count = 0
    old.withUnsafeBufferPointer { o in
      words.withUnsafeMutableBufferPointer { w in
        for start in Swift.stride(from: 0, to: o.count, by: Self.stride) where o[start] != 0 {
          let e = o.baseAddress! + start
          let hash = Self.hash(tag: e[0], thread: e[1], shared: e + 2)
          for i in 0..<Self.window {
            let d = w.baseAddress! + ((hash &+ i) & mask) * Self.stride
            guard d[0] == 0 else { continue }
            d.update(from: e, count: Self.stride)
            count += 1
            break
          }
        }
      }
    }
  }
}

/// Shared components renamed by a thread permutation, for the moves of ``TransitionCache``
/// whose successor symmetry reorders: the id of component `k` (one of the shared
/// components) with id `id` after ``State/renameShared(_:)`` with the permutation whose code
/// is `perm` (4 bits per thread: at most 16 threads). Renaming is a function of the
/// component's bytes and the permutation, and components are interned, so this never goes
/// stale. Open addressing like the transition cache, up to ``maxCapacity`` entries, then
/// overwriting.
struct RenameCache {
  /// Words per entry: `k` + 1, the id, the permutation's code (two words), the renamed id.
  static let stride = 5
  static let window = 4
  static let initialCapacity = 1 << 10
  static let maxCapacity = 1 << 16

  private var words: [UInt32]
  private var mask: Int
  private var count = 0

  init() {
    words = Array(repeating: 0, count: Self.initialCapacity * Self.stride)
    mask = Self.initialCapacity - 1
  }

  private static func hash(_ k: Int, _ id: UInt32, _ perm: UInt64) -> Int {
    var h = (UInt64(k) << 32 | UInt64(id)) &* 0x9E37_79B9_7F4A_7C15
    h = (h ^ perm) &* 0xBF58_476D_1CE4_E5B9
    return Int(truncatingIfNeeded: h ^ h >> 31)
  }

  /// The renamed id of component `k` whose id is `id` under permutation code `perm`, if known.
  func find(_ k: Int, _ id: UInt32, perm: UInt64) -> UInt32? {
    let h = Self.hash(k, id, perm)
    return words.withUnsafeBufferPointer { w -> UInt32? in
      for i in 0..<Self.window {
        let e = w.baseAddress! + ((h &+ i) & mask) * Self.stride
        if e[0] == 0 { return nil }
        if e[0] == UInt32(k + 1) && e[1] == id && e[2] == UInt32(truncatingIfNeeded: perm) && e[3] == UInt32(perm >> 32) {
          return e[4]
        }
      }
      return nil
    }
  }

  /// Records that component `k` with id `id` is `renamed` under permutation code `perm`.
  mutating func insert(_ k: Int, _ id: UInt32, perm: UInt64, renamed: UInt32) {
    if count * 2 >= mask + 1 && mask + 1 < Self.maxCapacity { grow() }
    let h = Self.hash(k, id, perm)
    let mask = self.mask
    words.withUnsafeMutableBufferPointer { w in
      var slot = h & mask
      for i in 0..<Self.window {
        let e = w.baseAddress! + ((h &+ i) & mask) * Self.stride
        if e[0] == 0 { count += 1 }
        if e[0] == 0 || (e[0] == UInt32(k + 1) && e[1] == id && e[2] == UInt32(truncatingIfNeeded: perm)
          && e[3] == UInt32(perm >> 32))
        {
          slot = (h &+ i) & mask
          break
        }
      }
      let e = w.baseAddress! + slot * Self.stride
      (e[0], e[1], e[2], e[3], e[4]) = (UInt32(k + 1), id, UInt32(truncatingIfNeeded: perm), UInt32(perm >> 32), renamed)
    }
  }

  /// Doubles the table, placing every entry again.
  private mutating func grow() {
    let old = words
    words = Array(repeating: 0, count: (mask + 1) * 2 * Self.stride)
    mask = (mask + 1) * 2 - 1
    count = 0
    for start in Swift.stride(from: 0, to: old.count, by: Self.stride) where old[start] != 0 {
      insert(
        Int(old[start]) - 1, old[start + 1], perm: UInt64(old[start + 2]) | UInt64(old[start + 3]) << 32,
        renamed: old[start + 4])
    }
  }
}
