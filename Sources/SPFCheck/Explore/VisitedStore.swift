import CPrefetch
import Foundation

/// The set of states already seen: an open-addressing hash table with linear probing.
///
/// Two modes, as in TLC and SPIN:
/// - **exact** (default): every state's encoding is kept in one byte arena and a slot
///   holds the high half of its hash beside its id, so a probe compares bytes only when
///   32 hash bits agree. Nothing is ever missed.
/// - **fingerprint** (`--fingerprint`, hash compaction): a slot holds only the 64-bit
///   fingerprint. Two distinct states with one fingerprint are taken for one, so a state
///   may be missed, with the probability ``omissionProbability`` reports.
///
/// Ids are handed out by the caller in insertion order; the table never influences the
/// exploration order (determinism).
struct VisitedStore {
  enum Mode: String, Sendable {
    case exact, fingerprint
  }

  let mode: Mode
  /// Slot: exact mode `hash.high32 << 32 | id + 1`; fingerprint mode the fingerprint. 0 = empty.
  /// Shared by copies of the store until one of them writes (``writableSlots()``).
  private var slots: ZeroedBuffer<UInt64>
  private(set) var count = 0
  /// The most entries the table takes before it grows: `slots.count × maxLoad`, rounded down,
  /// kept so that every insertion compares integers instead of converting and multiplying
  /// doubles (an integer exceeds x exactly when it exceeds x rounded down, so the table grows
  /// at the same counts as before).
  private var growthBound: Int
  /// Exact mode, entries of any size: the encodings, back to back, and where each one begins.
  private var arena = GrowableBuffer<UInt8>()
  private var starts: [Int] = [0]
  /// Exact mode, entries of one size: the encodings, in segments that never move (nil
  /// otherwise). Set only through ``hold(_:)``.
  private var fixed: EntrySegments?
  /// `fixed`, unretained, so that a probe reads its segment table and an insert appends
  /// without retaining and releasing the object (which cost a pair per probe and per insert:
  /// 0.5 % of the instructions).
  private var unownedFixed: Unmanaged<EntrySegments>?
  /// The size of every entry when it is fixed (the explorer's states: one 32-bit component
  /// id per component), else 0. Entries are then kept in ``EntrySegments``, with no table of
  /// starts: 8 bytes less per state, and one cache miss less per probe that compares bytes.
  let entryBytes: Int

  init(mode: Mode, capacity: Int = 1 << 16, entryBytes: Int = 0) {
    self.mode = mode
    self.entryBytes = entryBytes
    slots = ZeroedBuffer(count: max(1024, capacity * 3 / 2))
    growthBound = Self.growthBound(slots: slots.count)
    if mode == .exact && entryBytes > 0 { hold(EntrySegments(entryBytes: entryBytes)) }
  }

  /// Makes `segments` this store's entries of one size.
  private mutating func hold(_ segments: EntrySegments) {
    fixed = segments
    unownedFixed = Unmanaged.passUnretained(segments)
  }

  /// Grow at 80% full, by half again: the load stays between 53% and 80%, so a
  /// fingerprint costs 10–15 bytes of table. Linear probing stays short at that load
  /// for 8-byte slots that are compared without touching the arena.
  private static let maxLoad = 0.8

  /// ``growthBound`` for a table of `n` slots.
  private static func growthBound(slots n: Int) -> Int { Int((Double(n) * maxLoad).rounded(.down)) }

  /// The home slot of `hash`, from its high 32 bits (the bits an exact-mode slot keeps, so
  /// growing never rereads the arena): Lemire's multiply-shift range reduction.
  @inline(__always)
  fileprivate static func home(_ hash: UInt64, slots n: Int) -> Int {
    Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(n)) >> 32)
  }

  /// Bytes the store holds: its table of slots, and the arena's and offsets' contents.
  ///
  /// The arena and the offsets count by what they hold, not by capacity: an array takes the
  /// capacity `malloc_usable_size` returns, which depends on the allocator's state and, with
  /// two threads, varied from run to run (`spf-4` at the 5 M cap with `--jobs 2`: 274,360,392
  /// to 274,362,824 bytes, sometimes a whole doubling more), and the pages of a large array
  /// past its count are never touched, so they take no memory either.
  var bytes: Int {
    slots.count * 8 + (mode == .exact ? arena.count + starts.count * 8 + (fixed?.count ?? 0) * entryBytes : 0)
  }

  /// The probability that a fingerprint run missed at least one state, by the usual estimate
  /// for hash compaction with `n` states and 64-bit fingerprints: n²/2⁶⁵ (0 in exact mode).
  var omissionProbability: Double {
    mode == .exact ? 0 : Double(count) * Double(count) / 36_893_488_147_419_103_232.0
  }

  /// Exact mode: the id of `bytes`, inserting it when new (component interning).
  mutating func intern(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int {
    insertExact(bytes, hash: hash).id
  }

  /// Exact mode: the id of `bytes`, or nil when absent.
  func find(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
    withReader { $0.probe(bytes, hash: hash).id }
  }

  /// Inserts a state given its encoding and hash; returns false when it was already present.
  ///
  /// - Complexity: expected O(1) probes at load factor ≤ 0.8, plus one `memcmp` on a 32-bit hash match.
  mutating func insert(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Bool {
    switch mode {
    case .exact:
      return insertExact(bytes, hash: hash).inserted
    case .fingerprint:
      if count + 1 > growthBound { grow() }
      let slots = writableSlots()
      let n = self.slots.count
      var i = Self.home(hash, slots: n)
      while true {
        let slot = slots[i]
        if slot == 0 { break }
        if slot == hash { return false }
        i += 1
        if i == n { i = 0 }
      }
      slots[i] = hash
      count += 1
      return true
    }
  }

  /// Starts loading the slot where a probe for `hash` begins into the CPU's caches, so that
  /// an insert of that hash a little later does not wait for memory (a hint: no effect on
  /// any result).
  @inline(__always)
  func prefetch(hash: UInt64) {
    spf_prefetch(slots.base + Self.home(hash, slots: slots.count))
  }

  /// The slots, to write: copied first when another store shares them.
  @inline(__always)
  private mutating func writableSlots() -> UnsafeMutablePointer<UInt64> {
    if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
    return slots.base
  }

  /// Exact mode: one probe that finds `bytes` or claims the empty slot it ends on.
  ///
  /// Inlined into ``insert(_:hash:)``, which the merge calls for every candidate: one call
  /// instead of two.
  @inline(__always)
  private mutating func insertExact(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (id: Int, inserted: Bool) {
    if count + 1 > growthBound { grow() }
    let (found, empty) = withReader { $0.probe(bytes, hash: hash) }
    if let found { return (found, false) }
    writableSlots()[empty] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(count + 1)
    append(entry: bytes)
    count += 1
    return (count - 1, true)
  }

  /// Exact mode: stores the encoding of the next entry.
  @inline(__always)
  private mutating func append(entry bytes: UnsafeRawBufferPointer) {
    if entryBytes == 0 {
      arena.append(bytes: bytes)
      starts.append(arena.count)
      return
    }
    precondition(bytes.count == entryBytes, "an entry of a fixed-size store has another size")
    if !isKnownUniquelyReferenced(&fixed) { hold(fixed!.copy()) }
    unownedFixed.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.append(bytes.baseAddress!) }
  }

  /// Exact mode, entries of one size: a view of the entries, by id, that stays valid while
  /// this store appends more (the explorer's frontiers: the states a level stored, read while
  /// the next level is stored). Valid while this store, or a copy sharing its entries, lives.
  var entries: EntrySegments.View {
    precondition(fixed != nil, "only exact stores of fixed-size entries keep them in segments")
    return fixed.unsafelyUnwrapped.view
  }

  /// Exact mode, entries of any size: appends every entry of `other`, in order, so that entry
  /// `i` of `other` gets id `count + i`. None of them may be in this store already (the
  /// explorer's components first met in a level, folded in at the level's end).
  ///
  /// - Complexity: O(other's slots + bytes): slots are re-placed by the hash bits they keep,
  ///   without rehashing or comparing encodings.
  mutating func absorb(_ other: VisitedStore) {
    precondition(mode == .exact && other.mode == .exact, "only exact stores hold encodings")
    precondition(entryBytes == 0 && other.entryBytes == 0, "only stores of entries of any size absorb")
    guard other.count > 0 else { return }
    while count + other.count > growthBound { grow() }
    let slots = writableSlots()
    let n = self.slots.count
    for slot in other.slots.elements where slot != 0 {
      // The id (low half, plus one) shifted past this store's; the home is the high half's.
      Self.place(slot + UInt64(count), in: slots, count: n)
    }
    let base = arena.count
    other.arena.withUnsafeBufferPointer { arena.append(contentsOf: $0) }
    starts.append(contentsOf: other.starts.dropFirst().lazy.map { $0 + base })
    count += other.count
  }

  /// Grows the table by half and re-places every slot by its high 32 bits.
  ///
  /// On the calling thread alone: stop 20 split the growth of a large table between the
  /// `--jobs` threads while the other workers waited for it, and since stop 21 they go on
  /// expanding meanwhile, so one part and two gave the same times (performance.md, "Stop 21").
  private mutating func grow() {
    let old = self.slots
    self.slots = ZeroedBuffer(count: old.count + old.count / 2)
    growthBound = Self.growthBound(slots: self.slots.count)
    let slots = self.slots.base
    let n = self.slots.count
    for slot in old.elements where slot != 0 { Self.place(slot, in: slots, count: n) }
  }

  /// Puts `slot` in the first empty slot from its home, in a table of `n` slots known not to
  /// hold it (growing and absorbing re-place slots without comparing them).
  private static func place(_ slot: UInt64, in slots: UnsafeMutablePointer<UInt64>, count n: Int) {
    var i = home(slot, slots: n)
    while slots[i] != 0 {
      i += 1
      if i == n { i = 0 }
    }
    slots[i] = slot
  }
}

extension VisitedStore {
  /// A read-only view of an exact store through raw pointers: the one probe every lookup
  /// uses, and what the workers of a parallel expansion read through: reading through the arrays themselves would make every core retain and
  /// release the same array storage, bouncing its reference count between their caches.
  ///
  /// Valid only while the store is not mutated (the merge runs after the workers finish).
  struct Reader: @unchecked Sendable {
    fileprivate let slots: UnsafeBufferPointer<UInt64>
    fileprivate let arena: UnsafeRawBufferPointer
    fileprivate let starts: UnsafeBufferPointer<Int>
    /// Entries of one size (`entryBytes` > 0): where they are (``EntrySegments``).
    fileprivate let fixed: EntrySegments.View
    fileprivate let entryBytes: Int
    /// Number of entries.
    let count: Int

    /// The encoding of entry `id`.
    @inline(__always)
    func encoding(of id: Int) -> UnsafeRawBufferPointer {
      if entryBytes == 0 { return UnsafeRawBufferPointer(rebasing: arena[starts[id]..<starts[id + 1]]) }
      return UnsafeRawBufferPointer(start: fixed.entry(id), count: entryBytes)
    }

    /// The id of `bytes`, or nil when absent (workers look components up with this).
    func find(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int? { probe(bytes, hash: hash).id }

    /// The linear probe every exact-mode lookup uses: the id of `bytes` if present, else the
    /// empty slot where it would go. Compares bytes only when the slot's 32-bit tag matches.
    @inline(__always)
    fileprivate func probe(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (id: Int?, empty: Int) {
      let n = slots.count
      let tag = hash & 0xFFFF_FFFF_0000_0000
      var i = VisitedStore.home(hash, slots: n)
      while true {
        let slot = slots[i]
        if slot == 0 { return (nil, i) }
        if slot & 0xFFFF_FFFF_0000_0000 == tag {
          let id = Int(slot & 0xFFFF_FFFF) - 1
          let candidate = encoding(of: id)
          if candidate.count == bytes.count
            && (bytes.isEmpty || memcmp(candidate.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
          {
            return (id, i)
          }
        }
        i += 1
        if i == n { i = 0 }
      }
    }
  }

  /// Runs `body` with a pointer view of this exact store.
  func withReader<R>(_ body: (Reader) throws -> R) rethrows -> R {
    // (`unownedFixed` is `fixed`, which lives as long as this store, held for the call.)
    let fixed = unownedFixed?._withUnsafeGuaranteedRef { $0.view } ?? .empty
    return try withExtendedLifetime(slots) {
      try arena.withUnsafeBufferPointer { arena in
        try starts.withUnsafeBufferPointer { starts in
          try body(
            Reader(
              slots: slots.elements, arena: UnsafeRawBufferPointer(arena), starts: starts,
              fixed: fixed, entryBytes: entryBytes, count: count))
        }
      }
    }
  }
}

extension State {
  /// The state whose components have the ids `vector` in `components`.
  ///
  /// - Complexity: O(encoded size of the state).
  init(vector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader) {
    self.init()
    for k in vector.indices {
      var r = ByteReader(components.encoding(of: Int(vector[k])))
      decodeComponent(k, from: &r)
    }
  }

  /// Turns this state, whose component ids are `previousVector`, into the one whose ids are
  /// `vector`, replacing only the components whose ids differ: the explorer's consecutive
  /// frontier states are mostly siblings. Each is taken from `memo` when it holds it, else
  /// decoded in place (``ComponentMemo``).
  ///
  /// - Complexity: O(encoded size of the components decoded).
  mutating func replaceComponents(
    vector: UnsafeBufferPointer<UInt32>, previousVector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader,
    memo: inout ComponentMemo
  ) {
    for k in vector.indices where previousVector[k] != vector[k] {
      replaceComponent(k, id: vector[k], components: components, memo: &memo)
    }
  }
}

/// The explorer's component store during one breadth-first level: the components stored
/// before the level, frozen so that workers expanding later chunks can read them while the
/// merge interns (`stored`), and the components first met in the level, numbered after them
/// (`fresh`). ``VisitedStore/absorb(_:)`` folds `fresh` in when the level ends.
struct LevelComponents {
  let stored: VisitedStore.Reader
  private(set) var fresh = VisitedStore(mode: .exact, capacity: 1 << 10)

  init(stored: VisitedStore.Reader) { self.stored = stored }

  /// The id of a component that is not in `stored` (the workers looked there before marking
  /// it ``Expander/pending``), interning it in `fresh` when new.
  mutating func intern(fresh bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int {
    assert(stored.find(bytes, hash: hash) == nil, "a pending component is already stored")
    return stored.count + fresh.intern(bytes, hash: hash)
  }

  /// The id of `bytes` in either part, or nil when absent.
  func find(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
    stored.find(bytes, hash: hash) ?? fresh.find(bytes, hash: hash).map { stored.count + $0 }
  }
}
