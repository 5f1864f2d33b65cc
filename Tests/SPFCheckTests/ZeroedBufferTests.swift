import Testing

@testable import SPFCheck

/// The storage of the big hash tables: zero when made, small or mapped with huge pages,
/// copied whole, and never shared between two stores once one of them writes.
@Suite struct ZeroedBufferTests {
  /// Elements in a buffer just under and just over the size that is mapped on its own.
  static let sizes = [
    ZeroedBuffer<UInt64>.hugeThreshold / 8 - 1, ZeroedBuffer<UInt64>.hugeThreshold / 8 + 3, 1, 1000,
  ]

  @Test(arguments: sizes)
  func aNewBufferIsZeroAndEveryElementHoldsWhatIsWritten(count: Int) {
    let buffer = ZeroedBuffer<UInt64>(count: count)
    #expect(buffer.elements.allSatisfy { $0 == 0 })
    for i in 0..<count { buffer.base[i] = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 | 1 }
    #expect((0..<count).allSatisfy { buffer.base[$0] == UInt64($0) &* 0x9E37_79B9_7F4A_7C15 | 1 })
    // Every buffer starts on a cache line, so that a 64-byte table entry takes one line.
    #expect(Int(bitPattern: buffer.base) % 64 == 0)
  }

  @Test(arguments: sizes)
  func aCopyHoldsTheSameElementsAndIsItsOwn(count: Int) {
    let buffer = ZeroedBuffer<UInt64>(count: count)
    for i in stride(from: 0, to: count, by: 7) { buffer.base[i] = UInt64(i + 1) }
    let copy = buffer.copy()
    #expect(copy.base != buffer.base && copy.count == count)
    #expect(Array(copy.elements) == Array(buffer.elements))
    copy.base[0] = 42
    #expect(buffer.base[0] == 1)
  }

  /// Two copies of a store share their slots until one writes: the one that writes copies
  /// them first, and the other still finds exactly what it held.
  @Test(arguments: [VisitedStore.Mode.exact, .fingerprint])
  func aCopiedStoreKeepsItsOwnSlots(_ mode: VisitedStore.Mode) {
    func key(_ i: UInt64) -> (bytes: [UInt8], hash: UInt64) {
      let bytes = withUnsafeBytes(of: i) { Array($0) }
      return (bytes, i &* 0x9E37_79B9_7F4A_7C15 | 1)
    }
    func insert(_ i: UInt64, into store: inout VisitedStore) -> Bool {
      let k = key(i)
      return k.bytes.withUnsafeBytes { store.insert($0, hash: k.hash) }
    }
    var original = VisitedStore(mode: mode, capacity: 64)
    for i in UInt64(0)..<20 { #expect(insert(i, into: &original)) }
    var copy = original
    // Fewer inserts than make the copy grow: it writes into the slots it shares.
    for i in UInt64(100)..<110 { #expect(insert(i, into: &copy)) }
    #expect(copy.count == 30 && original.count == 20)
    // The original has none of the copy's keys (an insert reports them new) and all of its own.
    var probe = original
    for i in UInt64(100)..<110 { #expect(insert(i, into: &probe)) }
    for i in UInt64(0)..<20 { #expect(!insert(i, into: &original)) }
    for i in UInt64(100)..<110 { #expect(!insert(i, into: &copy)) }
  }
}
