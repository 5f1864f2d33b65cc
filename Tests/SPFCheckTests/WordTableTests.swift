import Dispatch
import Synchronization
import Testing

@testable import SPFCheck

/// The open-addressing table under the memo caches: entries survive growth, a table absorbs
/// another's entries and empties it, views read the table as it is, and copies do not share
/// changes.
@Suite struct WordTableTests {
  /// A table of two key words and one value word, growing from 16 slots.
  static func table(maxCapacity: Int = 1 << 14) -> WordTable {
    WordTable(keyWords: 2, valueWords: 1, initialCapacity: 16, maxCapacity: maxCapacity)
  }

  static func insert(_ key: UInt32, _ value: UInt32, into table: inout WordTable) {
    let words: SIMD2<UInt32> = [key, key &* 31]
    withUnsafeBytes(of: words) { k in table.insert(k, hash: WordTable.hash(k, count: 2)) { $0[0] = value } }
  }

  static func find(_ key: UInt32, in view: WordTable.View) -> UInt32? {
    let words: SIMD2<UInt32> = [key, key &* 31]
    return withUnsafeBytes(of: words) { k in view.find(k, hash: WordTable.hash(k, count: 2)).map { $0[0] } }
  }

  /// The worker's entries move over, as inserts (each replaces an entry of the same key, and
  /// a full window forgets one), and the worker's table is empty and usable again.
  @Test func absorbingMovesEveryEntryAndEmptiesTheOther() {
    var learned = Self.table()
    var worker = Self.table()
    Self.insert(1, 100, into: &learned)
    Self.insert(2, 5, into: &learned)
    // Enough entries to make the worker's table grow several times.
    for key in UInt32(2)...1000 { Self.insert(key, key + 7, into: &worker) }
    let held = (2...1000).filter { Self.find($0, in: worker.view) != nil }
    #expect(held.count == worker.count && held.count > 900)
    #expect(held.allSatisfy { Self.find($0, in: worker.view) == $0 + 7 })
    learned.absorb(&worker)
    let found = (1...1000).filter { Self.find($0, in: learned.view) != nil }
    #expect(found.count == learned.count && found.count > 850)
    #expect(found.allSatisfy { key in
      let value = Self.find(key, in: learned.view)
      return value == key + 7 || key == 1 && value == 100 || key == 2 && value == 5 && !held.contains(2)
    })
    #expect(worker.count == 0 && (2...1000).allSatisfy { Self.find($0, in: worker.view) == nil })
    // The emptied table is usable again.
    Self.insert(500, 1, into: &worker)
    #expect(Self.find(500, in: worker.view) == 1 && worker.count == 1)
    // A table that did not grow is emptied in place, in the pass that moves its entries.
    learned.absorb(&worker)
    #expect(worker.count == 0 && Self.find(500, in: worker.view) == nil)
    #expect(Self.find(500, in: learned.view) == 1)
  }

  @Test func aFullWindowForgetsAnEntryButNeverMixesTwo() {
    // 16 slots that may not grow: 64 keys overwrite one another in their windows.
    var table = Self.table(maxCapacity: 16)
    for key in UInt32(1)...64 { Self.insert(key, key * 2, into: &table) }
    #expect(table.count == 16)
    let found = (1...64).compactMap { key in Self.find(key, in: table.view).map { (key, $0) } }
    #expect(found.count >= 16 && found.allSatisfy { $0.1 == $0.0 * 2 })
  }

  @Test func aCopyDoesNotSeeTheOriginalsChanges() {
    var original = Self.table()
    Self.insert(1, 10, into: &original)
    var copy = original
    Self.insert(2, 20, into: &original)
    Self.insert(1, 11, into: &copy)
    #expect(Self.find(2, in: copy.view) == nil && Self.find(1, in: copy.view) == 11)
    #expect(Self.find(2, in: original.view) == 20 && Self.find(1, in: original.view) == 10)
    copy.removeAll()
    #expect(Self.find(1, in: original.view) == 10)
    // Absorbing empties the absorbed table in place only when it owns its words.
    let kept = original
    var learned = Self.table()
    learned.absorb(&original)
    #expect(original.count == 0 && Self.find(1, in: original.view) == nil)
    #expect(Self.find(1, in: kept.view) == 10 && Self.find(2, in: kept.view) == 20)
    #expect(Self.find(1, in: learned.view) == 10 && Self.find(2, in: learned.view) == 20)
  }

  /// In a table of variants, entries of one key whose variant words differ are kept side by
  /// side, and a lookup picks the one it accepts; an entry of the same key and variant
  /// replaces the old one; growing keeps every variant; and publishing one adds it beside the
  /// others, or finds it present.
  @Test func entriesOfOneKeyWithOtherVariantsAreKeptSideBySide() {
    // Two key words; value words: a result, then one variant word.
    var table = WordTable(keyWords: 2, valueWords: 2, variant: 1..<2, initialCapacity: 16, maxCapacity: 1 << 10)
    func insert(_ key: UInt32, result: UInt32, variant: UInt32, into table: inout WordTable) {
      let k: SIMD2<UInt32> = [key, 1]
      let v: SIMD2<UInt32> = [result, variant]
      withUnsafeBytes(of: k) { k in
        withUnsafeBytes(of: v) { table.insert(k, hash: WordTable.hash(k, count: 2), value: $0.baseAddress!.assumingMemoryBound(to: UInt32.self)) }
      }
    }
    func find(_ key: UInt32, variant: UInt32, in view: WordTable.View) -> UInt32? {
      let k: SIMD2<UInt32> = [key, 1]
      return withUnsafeBytes(of: k) { k in
        view.find(k, hash: WordTable.hash(k, count: 2), where: { $0[1] == variant }).map { $0[0] }
      }
    }
    insert(5, result: 50, variant: 1, into: &table)
    insert(5, result: 51, variant: 2, into: &table)
    insert(6, result: 60, variant: 1, into: &table)
    #expect(table.count == 3)
    #expect(find(5, variant: 1, in: table.view) == 50 && find(5, variant: 2, in: table.view) == 51)
    #expect(find(5, variant: 3, in: table.view) == nil && find(6, variant: 1, in: table.view) == 60)
    insert(5, result: 52, variant: 2, into: &table)
    #expect(table.count == 3 && find(5, variant: 2, in: table.view) == 52)
    // Growing places every entry again (counting 8 more entries, as published ones, makes
    // the table grow; it then counts the 3 it holds).
    table.noteAdded(8)
    #expect(table.capacity == 32 && table.count == 3)
    #expect(find(5, variant: 1, in: table.view) == 50 && find(5, variant: 2, in: table.view) == 52)
    let view = table.view
    let k: SIMD2<UInt32> = [5, 1]
    func publish(variant: UInt32) -> WordTable.View.Published {
      let v: SIMD2<UInt32> = [53, variant]
      return withUnsafeBytes(of: k) { k in
        withUnsafeBytes(of: v) { view.publish(k, hash: WordTable.hash(k, count: 2), value: $0.baseAddress!.assumingMemoryBound(to: UInt32.self)) }
      }
    }
    #expect(publish(variant: 2) == .present)
    #expect(publish(variant: 3) == .added)
    #expect(find(5, variant: 3, in: view) == 53 && find(5, variant: 1, in: view) == 50)
  }

  /// One thread publishes keys into a view (``WordTable/View/publish(_:hash:same:fill:)``), slowly
  /// (it pauses between an entry's first value word and the others), while another looks up
  /// the key being published (``WordTable/View/findPublished(_:hash:where:)``): an entry is only ever
  /// seen whole, since it is published after its words are written. Then both threads publish
  /// the same keys at once: every key is there afterwards, whole, and
  /// ``WordTable/noteAdded(_:)`` grows the table over the published entries, keeping one per key.
  @Test func entriesPublishedWhileOthersReadAreSeenWhole() {
    var table = WordTable(keyWords: 2, valueWords: 4, initialCapacity: 1 << 12, maxCapacity: 1 << 14)
    let run = Publishers(view: table.view, keys: 1_100)
    DispatchQueue.concurrentPerform(iterations: 2) { $0 == 0 ? run.read() : run.publish(from: 1, as: 1, slowly: true) }
    #expect(run.torn.load(ordering: .relaxed) == 0)
    #expect(run.lookups.load(ordering: .relaxed) > 0 && run.found.load(ordering: .relaxed) > 0)
    DispatchQueue.concurrentPerform(iterations: 2) { run.publish(from: run.keys + 1, as: $0, slowly: false) }
    let keys = 2 * run.keys
    let there = (1...keys).filter { Publishers.found($0, in: table.view) }
    #expect(there.count > keys * 9 / 10)
    #expect((1...keys).allSatisfy { !run.held($0) || Publishers.found($0, in: table.view) })
    // 2,200 keys in 4,096 slots: counting them grows the table (to 8,192 slots).
    table.noteAdded(run.added.load(ordering: .relaxed))
    #expect(table.capacity == 1 << 13)
    #expect(table.count == there.count, "growing keeps one entry per key")
    #expect(there.allSatisfy { Publishers.found($0, in: table.view) })
  }

  /// Two threads publishing into one view, and what they saw.
  final class Publishers: @unchecked Sendable {
    let view: WordTable.View
    /// Keys per round: the first round publishes keys 1...keys, the second the next as many.
    let keys: Int
    /// The key being published in the first round (0 before it starts).
    let progress = Atomic<Int>(0)
    /// Entries added, lookups made and entries found by the reader, entries seen torn.
    let added = Atomic<Int>(0)
    let lookups = Atomic<Int>(0)
    let found = Atomic<Int>(0)
    let torn = Atomic<Int>(0)
    /// Per thread and key (thread t's flag for key k at `t × (2 × keys + 1) + k`), whether the
    /// thread added the key or found it present; each thread writes only its own flags.
    private let flags: UnsafeMutablePointer<Bool>

    init(view: WordTable.View, keys: Int) {
      (self.view, self.keys) = (view, keys)
      flags = .allocate(capacity: 2 * (2 * keys + 1))
      flags.initialize(repeating: false, count: 2 * (2 * keys + 1))
    }

    deinit { flags.deallocate() }

    /// Whether some thread added key `k` or found it present (once both rounds are over).
    func held(_ k: Int) -> Bool { flags[k] || flags[2 * keys + 1 + k] }

    static func key(_ k: Int) -> SIMD2<UInt32> { [UInt32(k), UInt32(k) &* 31] }

    /// True when all four value words are key `k`'s.
    static func whole(_ k: Int, _ value: UnsafePointer<UInt32>) -> Bool {
      (0..<4).allSatisfy { value[$0] == UInt32(k) &* UInt32(2 * $0 + 1) }
    }

    static func found(_ k: Int, in view: WordTable.View) -> Bool {
      withUnsafeBytes(of: key(k)) { bytes in
        view.findPublished(bytes, hash: WordTable.hash(bytes, count: 2), where: { _ in true }).map { whole(k, $0) }
          ?? false
      }
    }

    /// Publishes `keys` keys from `first` on, as thread `thread`; `slowly`, pausing after each
    /// entry's first value word and telling ``progress``.
    func publish(from first: Int, as thread: Int, slowly: Bool) {
      for k in first..<(first + keys) {
        if slowly { progress.store(k, ordering: .sequentiallyConsistent) }
        let outcome = withUnsafeBytes(of: Self.key(k)) { bytes in
          view.publish(bytes, hash: WordTable.hash(bytes, count: 2), same: { _ in true }) { value in
            value[0] = UInt32(k)
            if slowly {
              // Long enough for the reader to look several times.
              var spin = 0
              while spin < 2_000 { spin = progress.load(ordering: .relaxed) == k ? spin + 1 : spin }
            }
            for w in 1..<4 { value[w] = UInt32(k) &* UInt32(2 * w + 1) }
          }
        }
        if outcome == .added { added.add(1, ordering: .relaxed) }
        if outcome != .full { flags[thread * (2 * keys + 1) + k] = true }
      }
      if slowly { progress.store(first + keys, ordering: .sequentiallyConsistent) }
    }

    /// Looks up the key being published until the first round is over.
    func read() {
      while true {
        let k = progress.load(ordering: .sequentiallyConsistent)
        if k > keys { return }
        if k == 0 { continue }
        lookups.add(1, ordering: .relaxed)
        withUnsafeBytes(of: Self.key(k)) { bytes in
          guard let value = view.findPublished(bytes, hash: WordTable.hash(bytes, count: 2), where: { _ in true })
          else { return }
          found.add(1, ordering: .relaxed)
          if !Self.whole(k, value) { torn.add(1, ordering: .relaxed) }
        }
      }
    }
  }
}
