import Foundation
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

  #if os(Linux)
  /// A buffer at the threshold is a mapping of its own on a huge-page boundary, advised to use
  /// huge pages (the `hg` flag of its mapping in `/proc/self/smaps`, which the advice sets
  /// whatever the system's THP setting, on any kernel built with THP); a smaller one is not
  /// mapped.
  @Test func aBigBufferIsAMappingAdvisedToUseHugePages() throws {
    let small = ZeroedBuffer<UInt64>(count: ZeroedBuffer<UInt64>.hugeThreshold / 8 - 1)
    #expect(small.mapped == 0)
    let big = ZeroedBuffer<UInt64>(count: ZeroedBuffer<UInt64>.hugeThreshold / 8 + 3)
    #expect(big.mapped >= big.count * 8 && big.mapped % ZeroedBuffer<UInt64>.hugePage == 0)
    let address = UInt(bitPattern: big.base)
    #expect(address % UInt(ZeroedBuffer<UInt64>.hugePage) == 0)
    // Read while the buffer is alive, to the end (a /proc file has no size to read up to).
    let file = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
    let smaps = withExtendedLifetime(big) { String(decoding: file.readDataToEndOfFile(), as: UTF8.self) }
    var flags: String?
    var inside = false
    for line in smaps.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":"),
        case let bounds = range.split(separator: "-"), bounds.count == 2,
        let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16)
      {
        inside = start <= address && address < end
      } else if inside && line.hasPrefix("VmFlags:") {
        flags = String(line)
      }
    }
    let advised = try #require(flags, "no mapping holds the buffer")
    // A kernel built without transparent huge pages refuses the advice (and has no THP files).
    if FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled") {
      #expect(advised.split(separator: " ").contains("hg"), "\(advised)")
    }
  }
  #endif

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
