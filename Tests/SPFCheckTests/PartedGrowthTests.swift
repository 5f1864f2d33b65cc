import Testing

@testable import SPFCheck

/// A large store's growth split between threads (`VisitedStore.placeInParts`): every entry
/// lands once, where a lookup from its home finds it, in a layout that timing cannot change.
@Suite struct PartedGrowthTests {
  /// Slots with homes all over the table, runs that cross the parts' boundaries and wrap
  /// past the end: `count` pseudo-random values, every eighth forced into the last slots'
  /// homes and every ninth next to the middle, with zeros (empty slots) in between.
  static func oldSlots(_ count: Int) -> [UInt64] {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    var old: [UInt64] = []
    for i in 0..<count {
      x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      var v = x | 1
      if i % 8 == 0 { v = (0xFFFF_FFF0_0000_0000 | v & 0xF_FFFF_FFFF) }
      if i % 9 == 0 { v = (0x7FFF_FFF0_0000_0000 | v & 0xF_FFFF_FFFF) }
      old.append(v)
      if i % 3 == 0 { old.append(0) }
    }
    return old
  }

  @Test(arguments: [2, 3])
  func everyEntryLandsOnceAndIsFoundFromItsHome(parts: Int) {
    let old = Self.oldSlots(3000)
    let n = 4096
    func placed() -> [UInt64] {
      var slots = [UInt64](repeating: 0, count: n)
      old.withUnsafeBufferPointer { old in
        slots.withUnsafeMutableBufferPointer { VisitedStore.placeInParts(old, into: $0.baseAddress!, count: n, parts: parts) }
      }
      return slots
    }
    let slots = placed()
    let values = old.filter { $0 != 0 }
    #expect(slots.filter { $0 != 0 }.sorted() == values.sorted())
    // Linear probing: from its home to where it lies, every slot is full.
    for (p, v) in slots.enumerated() where v != 0 {
      var i = Int(truncatingIfNeeded: ((v >> 32) &* UInt64(n)) >> 32)
      while i != p {
        #expect(slots[i] != 0, "an empty slot between the home of \(v) and its place")
        i = (i + 1) % n
      }
    }
    // The same layout every time, whichever thread runs first.
    for _ in 0..<5 { #expect(placed() == slots) }
  }

  /// A store that grows past the size split between threads finds every key it took and
  /// takes none twice, exact and fingerprint.
  @Test(arguments: [VisitedStore.Mode.exact, .fingerprint])
  func aStoreGrownInPartsFindsEveryKey(_ mode: VisitedStore.Mode) {
    var store = VisitedStore(mode: mode, capacity: 1 << 10, entryBytes: 8)
    store.growthParts = 2
    let keys = (0..<UInt64(VisitedStore.partedGrowthMinimum)).map { $0 &* 0x9E37_79B9_7F4A_7C15 }
    func insert(_ k: UInt64) -> Bool {
      withUnsafeBytes(of: k) { store.insert($0, hash: StateHash.hash($0)) }
    }
    for k in keys { #expect(insert(k)) }
    for k in keys { #expect(!insert(k)) }
    #expect(store.count == keys.count)
  }
}
