import Testing

@testable import SPFCheck

/// The batches' vector buffer, the component store's arena and the trace: appends that grow it
/// keep what it held, a copy is its own, and truncating keeps the elements before the mark.
@Suite struct GrowableBufferTests {
  @Test(arguments: [1, 3, 256])
  func appendsPastTheCapacityKeepEveryElementInOrder(capacity: Int) {
    var buffer = GrowableBuffer<UInt32>(capacity: capacity)
    var expected: [UInt32] = []
    for i in UInt32(0)..<700 {
      switch i % 3 {
      case 0:
        buffer.append(i)
        expected.append(i)
      case 1:
        let words: [UInt32] = [i, i &* 7, i &* 13]
        words.withUnsafeBufferPointer { buffer.append(contentsOf: $0) }
        expected += words
      default:
        let p = buffer.appendUninitialized(2)
        p[0] = i
        p[1] = ~i
        expected += [i, ~i]
      }
    }
    #expect(buffer.count == expected.count)
    #expect(buffer.elements(from: 0) == expected)
    #expect(buffer.withUnsafeBufferPointer { Array($0) } == expected)
    #expect((0..<expected.count).allSatisfy { buffer[$0] == expected[$0] })
  }

  /// Past glibc's mapping threshold `realloc` moves the block's pages instead of copying them;
  /// the elements must come along either way, also when a copy shares the storage.
  @Test func growingALargeBufferKeepsItsElements() {
    var buffer = GrowableBuffer<UInt32>(capacity: 1)
    var shared: GrowableBuffer<UInt32>?
    for i in UInt32(0)..<3_000_000 {
      buffer.append(i &* 2_654_435_761)
      if i == 1_000_000 { shared = buffer }
    }
    #expect(buffer.count == 3_000_000)
    let wrong = buffer.withUnsafeBufferPointer { p in p.indices.first { p[$0] != UInt32($0) &* 2_654_435_761 } }
    #expect(wrong == nil)
    #expect(shared?.count == 1_000_001)
    #expect(shared?.elements(from: 999_999) == [999_999 &* 2_654_435_761, 1_000_000 &* 2_654_435_761])
  }

  @Test func aCopyIsItsOwnWhicheverSideWrites() {
    var original = GrowableBuffer<UInt32>(capacity: 8)
    for i in UInt32(0)..<4 { original.append(i) }
    var copy = original
    // Within the capacity both share the storage until one writes: the writer copies it.
    copy.append(100)
    copy[0] = 50
    #expect(original.elements(from: 0) == [0, 1, 2, 3])
    #expect(copy.elements(from: 0) == [50, 1, 2, 3, 100])
    var third = original
    original.appendUninitialized(1).initialize(to: 9)
    original[1] = 11
    #expect(third.elements(from: 0) == [0, 1, 2, 3])
    #expect(original.elements(from: 0) == [0, 11, 2, 3, 9])
    third.append(7)
    #expect(third.elements(from: 2) == [2, 3, 7])
  }

  @Test func truncatingKeepsTheElementsBeforeTheMarkAndAppendsAfterThem() {
    var buffer = GrowableBuffer<UInt32>(capacity: 2)
    for i in UInt32(0)..<10 { buffer.append(i) }
    buffer.truncate(to: 4)
    buffer.append(40)
    #expect(buffer.elements(from: 0) == [0, 1, 2, 3, 40])
    #expect(buffer.elements(from: 5).isEmpty)
    buffer.removeAll()
    #expect(buffer.count == 0 && buffer.elements(from: 0).isEmpty)
    buffer.append(1)
    #expect(buffer.elements(from: 0) == [1])
  }
}
