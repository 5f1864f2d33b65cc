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
}
