import CPrefetch

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
/// thread names each. Entries of one key learned under other conditions are kept side by
/// side in the key's window (``conditionWords``), and a lookup takes the first whose
/// conditions hold. Moves that violate, raise a model error, change another thread or ask
/// about a third object's privacy are never cached, nor are moves whose successor had a
/// component the store did not hold yet (the merge assigns its id).
///
/// On the shipped SPF cases 96–99 % of the moves find their key (measured at 300,000 and
/// 2,000,000 states), because a thread's step sees the same few shared states whatever the
/// other threads are doing. Whether a hit's successor is in canonical thread order depends on
/// the other threads, so the expander checks it, and renames a reordered successor's shared
/// components through ``RenameCache``. A move whose successor was reordered when it ran is
/// recorded as its successor was before the renaming (the shared components renamed back and
/// looked up; not cached when one of them is not stored yet).
///
/// The workers share what they learn without a lock: each looks a move up in one shared
/// cache (``learned``, a view), and a move run afresh goes straight into it
/// (``WordTable/View/publish(_:hash:value:)``: an empty slot claimed by a compare-and-exchange,
/// filled, then published by a release store of its first word), so that the other workers
/// find it within the level. A published entry is never changed while the level runs. Only
/// when its window is full does a move go to the worker's own cache, looked up after the
/// shared one; between levels, when no worker runs, the explorer moves those entries into the
/// shared cache, counts the published ones there and grows it (``absorb(_:)``). One worker
/// keeps its own cache. (Until stop 23 every move learned in a level went to the worker's own
/// cache, and two workers ran 30 % more moves afresh than one.)
/// What a cache holds changes only the time, never a result (the states stored do not depend
/// on `--jobs`), and debug builds check every hit against the move run afresh (``Expander``).
struct TransitionCache {
  /// Key words: the tag (thread + 1, branch), thread `t`'s id, the shared ids.
  static let keyWords = 2 + State.sharedComponents
  /// Value words: the successor's thread id and shared ids, the coalesced steps and branch
  /// count, the conditions read (``OtherThreadReads`` and ``PrivacyReads``' answers), the
  /// other RCU readers they require, and the two objects of ``PrivacyReads``.
  static let valueWords = 1 + State.sharedComponents + 5

  /// The value words that hold an entry's conditions (what its steps read of other threads,
  /// the RCU readers it requires, the privacy answers): entries of one key whose conditions
  /// differ are kept side by side (``WordTable/variant``). Until stop 23 each replaced the
  /// other, and on `spf-4` at 5 M states 359,380 moves, all held by the RCU readers they
  /// required, ran afresh because the entry of their key had last been learned with others.
  static let conditionWords = (2 + State.sharedComponents)..<(6 + State.sharedComponents)

  /// Entries of 64 bytes, up to 262,144 of them (16 MiB).
  private var table = WordTable(
    keyWords: keyWords, valueWords: valueWords, variant: conditionWords, initialCapacity: 1 << 10,
    maxCapacity: 1 << 18)

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

  /// What a cached move produced: a view of the entry's value words (valid until the cache is
  /// next changed), read field by field. One pointer, returned in a register: a hit that held
  /// its fields was built and copied out of every lookup (``find(_:holdingIn:thread:)``), and
  /// `perf` put 14 % of the expander's own samples on the first read of that copy.
  struct Hit {
    /// The entry's value words.
    let value: UnsafePointer<UInt32>

    /// The successor's id for thread `t`'s component.
    var thread: UInt32 { value[0] }
    /// Where the successor's shared ids are.
    var shared: UnsafePointer<UInt32> { value + 1 }
    private var counts: UInt32 { value[1 + State.sharedComponents] }
    private var reads: UInt32 { value[2 + State.sharedComponents] }
    var coalesced: UInt8 { UInt8(truncatingIfNeeded: counts) }
    var branches: Int { Int(counts >> 8) }
    /// The move is valid only when no thread waits in `synchronize_rcu` for `t`.
    var needsNoRcuWaiter: Bool { reads & 1 != 0 }
    /// The move is valid only when the threads other than `t` inside an RCU read-side
    /// section are these (a bitmask), if set.
    var otherRcuReaders: UInt32? { reads & 2 != 0 ? value[3 + State.sharedComponents] : nil }
    /// After the move, thread `t` waits in `synchronize_rcu` (its encoding then holds thread
    /// ids, which a reordering renames).
    var waitsForGracePeriod: Bool { reads & 4 != 0 }
    /// The move's coalescing asked whether objects are private: the answers must be the same.
    var privacy: PrivacyReads? {
      let objects = (value[4 + State.sharedComponents], value[5 + State.sharedComponents])
      return objects.0 == 0 ? nil : PrivacyReads(objects: objects, named: reads >> 3 & 3)
    }

    /// True when the cached move is the move of thread `t` in `s`.
    func holds(in s: State, thread t: Int) -> Bool {
      if needsNoRcuWaiter && s.hasRcuWaiter(on: t) { return false }
      if let readers = otherRcuReaders, s.rcuReaders & ~(UInt32(1) << UInt32(t)) != readers { return false }
      if let privacy, !privacy.hold(in: s, thread: t) { return false }
      return true
    }
  }

  /// The cache every worker reads, looked up before this cache's own entries, and where this
  /// cache publishes the moves it learns (``insert(_:of:successor:coalesced:branches:reads:privacy:waits:)``);
  /// nil with one worker. The explorer sets it between levels.
  var learned: WordTable.View?

  /// The cached move for `key` whose conditions hold in `s` for thread `t`, or nil.
  ///
  /// Inlined: the hit is one pointer, so nothing is copied out of the lookup (a hit holding
  /// its fields, copied out of an inlined lookup, cost about 20 instructions more per lookup).
  @inline(__always)
  func find(_ key: Key, holdingIn s: borrowing State, thread t: Int) -> Hit? {
    let found = withUnsafeBytes(of: key.words) { k in
      learned?.findPublished(k, hash: key.hash, where: { Hit(value: $0).holds(in: s, thread: t) })
        ?? table.view.find(k, hash: key.hash, where: { Hit(value: $0).holds(in: s, thread: t) })
    }
    return found.map(Hit.init(value:))
  }

  /// Asks the CPU to fetch the entries that branch 0 of each thread of the state whose
  /// component vector is `vector` would be looked up in, ahead of ``find(_:holdingIn:thread:)``.
  func prefetch(vector: UnsafeBufferPointer<UInt32>) {
    for t in 0..<(vector.count - State.sharedComponents) {
      let key = Key(thread: t, branch: 0, vector: vector)
      if let learned { learned.prefetch(hash: key.hash) }
      table.view.prefetch(hash: key.hash)
    }
  }

  /// The cache as it is now, for the workers of one batch (``Explorer``, ``learned``): valid
  /// until the cache is next changed or dropped, and holding no reference, so any number of
  /// threads may read it at once.
  var view: WordTable.View { table.view }

  /// Moves every entry of `other` into this cache (replacing entries of the same key) and
  /// empties `other`: the explorer gathers what each worker learned in a batch this way.
  ///
  /// - Complexity: O(capacity of `other`).
  mutating func absorb(_ other: inout TransitionCache) {
    table.noteAdded(other.published)
    other.published = 0
    table.absorb(&other.table)
  }

  /// Entries this cache added to ``learned`` (``WordTable/View/publish(_:hash:value:)``) since
  /// the explorer last moved its entries (``absorb(_:)``), which counts them there.
  private var published = 0

  /// Entries held.
  var count: Int { table.count }

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
    assert(Self.valueWords <= 16, "a value has more words than its SIMD16 holds")
    var value = SIMD16<UInt32>(repeating: 0)
    value[0] = successor[State.sharedComponents + t]
    for i in 0..<State.sharedComponents { value[1 + i] = successor[i] }
    value[1 + State.sharedComponents] = UInt32(coalesced) | UInt32(branches) << 8
    value[2 + State.sharedComponents] =
      (reads.rcuWaiters ? 1 : 0) | (reads.rcuReaders ? 2 : 0) | (waits ? 4 : 0) | privacy.named << 3
    value[3 + State.sharedComponents] = readers
    value[4 + State.sharedComponents] = privacy.objects.0
    value[5 + State.sharedComponents] = privacy.objects.1
    withUnsafeBytes(of: key.words) { k in
      withUnsafeBytes(of: value) { v in
        let value = v.baseAddress!.assumingMemoryBound(to: UInt32.self)
        // Several workers: straight into the cache they all read, so that the others find the
        // move within the level; in this worker's own entries when its window there is full.
        // (An entry there with the same key and conditions was published meanwhile.)
        if let learned {
          switch learned.publish(k, hash: key.hash, value: value) {
          case .added:
            published += 1
            return
          case .present: return
          case .full: break
          }
        }
        table.insert(k, hash: key.hash, value: value)
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
  /// The code of permutation `perm` (thread `u` goes to `perm[u]`): 4 bits per thread.
  static func code(of perm: [Int]) -> UInt64 {
    precondition(perm.count <= 16, "a permutation code holds at most 16 threads")
    return perm.withUnsafeBufferPointer { perm in
      var code: UInt64 = 0
      for u in perm.indices { code |= UInt64(perm[u]) << UInt64(4 * u) }
      return code
    }
  }

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

  /// Key words of ``vectors``: the permutation's code in two words, then the shared ids. The
  /// code's low word comes first because it is never 0 (of the first two threads at most one
  /// goes to position 0), which marks an empty slot; the first shared id may be 0, and with it
  /// first such an entry was never found (4,754 of 4,776,722 lookups on `spf-4` at 5 M states
  /// until stop 23).
  private static let sharedKeyWords = State.sharedComponents + 2

  /// The shared components of whole vectors renamed: one lookup per reordered hit where
  /// ``find(_:_:perm:)`` takes one per component (those took 3.9 % of the instructions on
  /// spf-4 once reordered moves were cached). Entries of 40 bytes, up to 65,536 of them.
  private var vectors = WordTable(
    keyWords: sharedKeyWords, valueWords: State.sharedComponents, initialCapacity: 1 << 10, maxCapacity: 1 << 16)

  private static func sharedKey(_ ids: UnsafePointer<UInt32>, _ perm: UInt64) -> SIMD8<UInt32> {
    assert(sharedKeyWords <= 8, "a shared key has more words than its SIMD8 holds")
    var key = SIMD8<UInt32>(repeating: 0)
    key[0] = UInt32(truncatingIfNeeded: perm)
    key[1] = UInt32(truncatingIfNeeded: perm >> 32)
    for k in 0..<State.sharedComponents { key[2 + k] = ids[k] }
    return key
  }

  /// The renamed ids of the shared components whose ids are `ids` under permutation code
  /// `perm`, if known (valid until this cache next changes).
  func findShared(_ ids: UnsafePointer<UInt32>, perm: UInt64) -> UnsafePointer<UInt32>? {
    withUnsafeBytes(of: Self.sharedKey(ids, perm)) { key in
      vectors.find(key, hash: WordTable.hash(key, count: Self.sharedKeyWords))
    }
  }

  /// Records that the shared components whose ids are `ids` are `renamed` under `perm`.
  mutating func insertShared(_ ids: UnsafePointer<UInt32>, perm: UInt64, renamed: UnsafePointer<UInt32>) {
    withUnsafeBytes(of: Self.sharedKey(ids, perm)) { key in
      vectors.insert(key, hash: WordTable.hash(key, count: Self.sharedKeyWords)) { value in
        value.update(from: renamed, count: State.sharedComponents)
      }
    }
  }
}

/// Grace periods already run, by the shared components they start from.
///
/// ``Executor/gracePeriod(_:)`` (the end of an RCU grace period: every callback whose object
/// no reader holds runs, `rcu_do_batch` in kernel/rcu/tree.c) reads and writes the shared
/// components alone: the callbacks, the objects' lives and RCU readers, the free page count.
/// Whether one is enabled reads them alone too (``Executor/isGracePeriodEnabled(_:)``). So
/// its successor's shared ids are a function of the parent's, and every thread keeps its id
/// and position (the grace period reorders no thread). Grace periods were 4.6 % of the moves
/// on `spf-4` and, uncached, every one of them ran afresh.
///
/// Each worker keeps its own: the entries are few (one per shared tuple with a callback
/// pending), and every worker learns them within a level or two.
struct GracePeriodCache {
  /// Key words: a tag (never 0, which marks an empty slot), then the parent's shared ids.
  private static let keyWords = 1 + State.sharedComponents

  /// Entries of 36 bytes (the key; the successor's shared ids), up to 65,536 of them.
  private var table = WordTable(
    keyWords: keyWords, valueWords: State.sharedComponents, initialCapacity: 1 << 8, maxCapacity: 1 << 16)

  private static func key(_ shared: UnsafePointer<UInt32>) -> SIMD8<UInt32> {
    assert(keyWords <= 8, "a grace-period key has more words than its SIMD8 holds")
    var key = SIMD8<UInt32>(repeating: 0)
    key[0] = 1
    for k in 0..<State.sharedComponents { key[1 + k] = shared[k] }
    return key
  }

  /// The successor's shared ids after a grace period from the shared ids `shared` (the
  /// first ids of a state's vector), if known; valid until this cache next changes.
  func find(_ shared: UnsafePointer<UInt32>) -> UnsafePointer<UInt32>? {
    withUnsafeBytes(of: Self.key(shared)) { key in table.find(key, hash: WordTable.hash(key, count: Self.keyWords)) }
  }

  /// Records that a grace period from the shared ids `shared` leads to the shared ids `successor`.
  mutating func insert(_ shared: UnsafePointer<UInt32>, successor: UnsafePointer<UInt32>) {
    withUnsafeBytes(of: Self.key(shared)) { key in
      table.insert(key, hash: WordTable.hash(key, count: Self.keyWords)) {
        $0.update(from: successor, count: State.sharedComponents)
      }
    }
  }
}

/// The open-addressing table under the explorer's memo caches: fixed-size entries of 32-bit
/// words, `keyWords` of key (the first never 0, which marks an empty slot) and then
/// `valueWords` of value. A key is looked for in a window of ``window`` slots from its home;
/// the table doubles from `initialCapacity` up to `maxCapacity` entries, then overwrites the
/// home slot when the window is full: a cache may forget an entry, never give a wrong one.
/// Entries of one key are one entry, unless their ``variant`` value words differ: then they
/// are kept side by side in the key's window, and a lookup may pick among them.
///
/// The words are a ``ZeroedBuffer``, not an array, so that a ``View`` (a pointer and the
/// table's shape) can be read by several workers at once without reference counting, and so
/// that a full table (16 MiB) lies on huge pages; copies share the words until one of them
/// changes (copy on write).
struct WordTable {
  /// Slots probed from an entry's home slot.
  static let window = 4
  /// The first word of a slot that ``View/publish(_:hash:same:fill:)`` is filling: never a key's.
  static let busy = UInt32.max

  let keyWords: Int
  /// The value words that tell entries of one key apart (none: an entry replaces any entry of
  /// its key).
  let variant: Range<Int>
  private let stride: Int
  private let initialCapacity: Int
  private let maxCapacity: Int
  /// The table's words (big tables on huge pages, see ``ZeroedBuffer``).
  private var storage: ZeroedBuffer<UInt32>
  private var mask: Int
  /// Filled slots.
  private(set) var count = 0
  /// Slots.
  var capacity: Int { mask + 1 }

  /// A read-only view of a table, valid until the table is next changed or dropped; it holds
  /// no reference, so workers may share one.
  struct View: @unchecked Sendable {
    fileprivate let words: UnsafePointer<UInt32>
    fileprivate let mask: Int
    fileprivate let stride: Int
    fileprivate let keyWords: Int
    fileprivate let variant: Range<Int>

    /// Asks the CPU to fetch the home slot of `hash`.
    @inline(__always)
    func prefetch(hash: Int) { spf_prefetch(words + (hash & mask) * stride) }

    /// The value words of the entry whose key is the first `keyWords` words of `key` (its
    /// hash `hash`), or nil.
    @inline(__always)
    func find(_ key: UnsafeRawBufferPointer, hash: Int) -> UnsafePointer<UInt32>? {
      find(key, hash: hash, where: { _ in true })
    }

    /// The value words of the first entry of the key (as ``find(_:hash:)``) that `accept`
    /// takes, or nil: for a table of variants (``WordTable/variant``).
    @inline(__always)
    func find(
      _ key: UnsafeRawBufferPointer, hash: Int, where accept: (UnsafePointer<UInt32>) -> Bool
    ) -> UnsafePointer<UInt32>? {
      for i in 0..<WordTable.window {
        let e = words + ((hash &+ i) & mask) * stride
        if e[0] == 0 { return nil }
        if WordTable.matches(e, key, keyWords: keyWords) && accept(e + keyWords) { return e + keyWords }
      }
      return nil
    }

    /// ``find(_:hash:where:)`` in a table that other threads may be publishing entries into
    /// (``publish(_:hash:value:)``): a slot's first word is read with acquire ordering, so an
    /// entry seen published is seen whole; a slot being filled is passed over.
    @inline(__always)
    func findPublished(
      _ key: UnsafeRawBufferPointer, hash: Int, where accept: (UnsafePointer<UInt32>) -> Bool
    ) -> UnsafePointer<UInt32>? {
      let first = key.load(as: UInt32.self)
      for i in 0..<WordTable.window {
        let e = words + ((hash &+ i) & mask) * stride
        let word = spf_load_acquire_u32(e)
        if word == 0 { return nil }
        if word == first && WordTable.matches(e, key, keyWords: keyWords) && accept(e + keyWords) {
          return e + keyWords
        }
      }
      return nil
    }

    /// What ``publish(_:hash:value:)`` did.
    enum Published {
      /// The entry now fills a slot that was empty.
      case added
      /// A published entry has the key and variant already (the table is unchanged).
      case present
      /// Every slot of the key's window holds another entry (the table is unchanged).
      case full
    }

    /// Adds the entry whose key is the first `keyWords` words of `key` (its hash `hash`) and
    /// whose value words are `value` to an empty slot of its window, while other threads may
    /// read the table (``findPublished(_:hash:where:)``) and publish into it too. The slot is
    /// claimed by a compare-and-exchange of its first word (to ``WordTable/busy``), filled,
    /// and then published by storing the key's first word with release ordering. A published
    /// entry is never changed while threads share the view: only
    /// ``WordTable/insert(_:hash:value:)`` replaces entries, on the table itself, when no
    /// thread reads it.
    ///
    /// Two threads publishing one entry at once may both add it, in two slots: a cache may
    /// hold an entry twice, and the next insert or growth keeps one.
    func publish(_ key: UnsafeRawBufferPointer, hash: Int, value: UnsafePointer<UInt32>) -> Published {
      let (variant, valueWords) = (self.variant, stride - keyWords)
      return publish(
        key, hash: hash, same: { WordTable.sameVariant($0, value, variant) },
        fill: { $0.update(from: value, count: valueWords) })
    }

    /// ``publish(_:hash:value:)`` with the entry's value words written by `fill` into the
    /// claimed slot, and `same` telling whether a published entry of the key is this one.
    func publish(
      _ key: UnsafeRawBufferPointer, hash: Int, same: (UnsafePointer<UInt32>) -> Bool,
      fill: (UnsafeMutablePointer<UInt32>) -> Void
    ) -> Published {
      let first = key.load(as: UInt32.self)
      precondition(first != 0 && first != WordTable.busy, "a key's first word marks an empty or busy slot")
      let w = UnsafeMutablePointer(mutating: words)
      for i in 0..<WordTable.window {
        let e = w + ((hash &+ i) & mask) * stride
        var word = spf_load_acquire_u32(e)
        if word == 0 {
          if spf_compare_exchange_u32(e, 0, WordTable.busy) {
            for j in 1..<keyWords { e[j] = key.load(fromByteOffset: 4 * j, as: UInt32.self) }
            fill(e + keyWords)
            spf_store_release_u32(e, first)
            return .added
          }
          word = spf_load_acquire_u32(e)
        }
        if word == first && WordTable.matches(e, key, keyWords: keyWords) && same(e + keyWords) { return .present }
      }
      return .full
    }
  }

  init(keyWords: Int, valueWords: Int, variant: Range<Int> = 0..<0, initialCapacity: Int, maxCapacity: Int) {
    precondition(variant.upperBound <= valueWords, "variant words beyond the value")
    self.keyWords = keyWords
    self.variant = variant
    stride = keyWords + valueWords
    self.initialCapacity = initialCapacity
    self.maxCapacity = maxCapacity
    storage = ZeroedBuffer(count: initialCapacity * stride)
    mask = initialCapacity - 1
  }

  /// The table as it is now, for readers on other threads.
  var view: View { View(words: storage.base, mask: mask, stride: stride, keyWords: keyWords, variant: variant) }

  /// The hash of the first `count` 32-bit words of `key`.
  @inline(__always)
  static func hash(_ key: UnsafeRawBufferPointer, count: Int) -> Int {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in 0..<count { h = (h ^ UInt64(key.load(fromByteOffset: 4 * i, as: UInt32.self))) &* 0xBF58_476D_1CE4_E5B9 }
    return Int(truncatingIfNeeded: h ^ h >> 31)
  }

  /// True when the value words `a` and `b` agree on the words `variant`.
  @inline(__always)
  fileprivate static func sameVariant(_ a: UnsafePointer<UInt32>, _ b: UnsafePointer<UInt32>, _ variant: Range<Int>) -> Bool {
    for i in variant where a[i] != b[i] { return false }
    return true
  }

  @inline(__always)
  fileprivate static func matches(_ e: UnsafePointer<UInt32>, _ key: UnsafeRawBufferPointer, keyWords: Int) -> Bool {
    for i in 0..<keyWords where e[i] != key.load(fromByteOffset: 4 * i, as: UInt32.self) { return false }
    return true
  }

  /// The value words of the entry whose key is the first `keyWords` words of `key` (its
  /// hash `hash`), or nil; valid until the table is next changed.
  func find(_ key: UnsafeRawBufferPointer, hash: Int) -> UnsafePointer<UInt32>? { view.find(key, hash: hash) }

  /// Stores the entry whose key is the first `keyWords` words of `key` (its hash `hash`),
  /// replacing an entry of the same key, and lets `fill` write its value words: for a table
  /// without ``variant`` words.
  mutating func insert(_ key: UnsafeRawBufferPointer, hash: Int, fill: (UnsafeMutablePointer<UInt32>) -> Void) {
    precondition(variant.isEmpty, "an entry of a table of variants inserted without its value")
    insert(key, hash: hash, same: { _ in true }, fill: fill)
  }

  /// Stores the entry whose key is the first `keyWords` words of `key` (its hash `hash`) and
  /// whose value words are `value`, replacing an entry of the same key and ``variant``.
  mutating func insert(_ key: UnsafeRawBufferPointer, hash: Int, value: UnsafePointer<UInt32>) {
    let (variant, valueWords) = (self.variant, stride - keyWords)
    insert(
      key, hash: hash, same: { Self.sameVariant($0, value, variant) },
      fill: { $0.update(from: value, count: valueWords) })
  }

  /// Stores an entry, replacing an entry of the same key whose value words `same` takes, else
  /// in an empty slot of the key's window, else in its home slot.
  ///
  /// Not inlined: inserts are rare next to lookups, and stay out of the expander's loop.
  @inline(never)
  private mutating func insert(
    _ key: UnsafeRawBufferPointer, hash: Int, same: (UnsafePointer<UInt32>) -> Bool,
    fill: (UnsafeMutablePointer<UInt32>) -> Void
  ) {
    if count * 2 >= mask + 1 && mask + 1 < maxCapacity {
      grow()
    } else if !isKnownUniquelyReferenced(&storage) {
      storage = storage.copy()
    }
    let w = storage.base
    var slot = hash & mask
    for i in 0..<Self.window {
      let probe = (hash &+ i) & mask
      let e = w + probe * stride
      if e[0] == 0 {
        count += 1
        slot = probe
        break
      }
      if Self.matches(e, key, keyWords: keyWords) && same(e + keyWords) {
        slot = probe
        break
      }
    }
    let e = w + slot * stride
    for i in 0..<keyWords { e[i] = key.load(fromByteOffset: 4 * i, as: UInt32.self) }
    fill(e + keyWords)
  }

  /// Inserts every entry of `other` (of the same shape), as ``insert(_:hash:fill:)`` does,
  /// and empties `other`.
  ///
  /// - Complexity: O(capacity of `other`).
  mutating func absorb(_ other: inout WordTable) {
    precondition(other.keyWords == keyWords && other.stride == stride, "tables of different shapes")
    guard other.count > 0 else { return }
    other.drain { insertEntry($0, value: $1) }
  }

  /// Inserts the entry whose words (key first) are `entry` and value words `value`.
  @inline(__always)
  private mutating func insertEntry(_ entry: UnsafeRawBufferPointer, value: UnsafePointer<UInt32>) {
    insert(entry, hash: Self.hash(entry, count: keyWords), value: value)
  }

  /// Empties the table, back to its initial capacity.
  mutating func removeAll() {
    storage = ZeroedBuffer(count: initialCapacity * stride)
    mask = initialCapacity - 1
    count = 0
  }

  /// Calls `body` with each entry's words (as bytes, the key first) and its value words, and
  /// empties the table: in place, marking each entry's slot empty (its first word) in the
  /// same pass, unless the table grew or shares its words (then back to its initial capacity).
  private mutating func drain(_ body: (UnsafeRawBufferPointer, UnsafePointer<UInt32>) -> Void) {
    let inPlace = mask + 1 == initialCapacity && isKnownUniquelyReferenced(&storage)
    let keyWords = self.keyWords
    forEachEntry { entry, value in
      body(entry, value)
      if inPlace { UnsafeMutablePointer(mutating: value - keyWords).pointee = 0 }
    }
    if inPlace { count = 0 } else { removeAll() }
  }

  /// Calls `body` with each entry's words (as bytes, the key first) and its value words.
  private func forEachEntry(_ body: (UnsafeRawBufferPointer, UnsafePointer<UInt32>) -> Void) {
    let w = storage.base
    for start in Swift.stride(from: 0, to: storage.count, by: stride) where w[start] != 0 {
      body(UnsafeRawBufferPointer(start: w + start, count: 4 * stride), w + start + keyWords)
    }
  }

  /// Counts `n` entries added through a view (``View/publish(_:hash:value:)``), and doubles
  /// the table as inserting them would have (up to `maxCapacity`): called when no thread
  /// reads or publishes, such entries grow the table only here.
  mutating func noteAdded(_ n: Int) {
    count += n
    while count * 2 >= mask + 1 && mask + 1 < maxCapacity { grow() }
  }

  /// Doubles the table, placing every entry again.
  private mutating func grow() {
    let old = self
    storage = ZeroedBuffer(count: (mask + 1) * 2 * stride)
    mask = (mask + 1) * 2 - 1
    count = 0
    old.forEachEntry { insertEntry($0, value: $1) }
  }
}
