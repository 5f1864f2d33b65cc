#if canImport(Glibc)
import Glibc
#endif

/// A fixed number of plain-data elements, zero when allocated, held by reference and freed
/// with the last reference: the storage of the explorer's big hash tables (the visited store's
/// slots, the transition cache's words).
///
/// Those tables are probed at random, one cache miss a probe, and at a few million states they
/// span tens of megabytes: with 4 KiB pages nearly every probe also missed the TLB, and the
/// page walk held up the prefetch that was meant to hide the miss (`perf annotate` put most of
/// the merge's own samples on the instruction after its `prefetcht0`). So on Linux a buffer of
/// ``hugeThreshold`` bytes or more is mapped on its own, aligned to 2 MiB, and advised to use
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`, which takes effect where
/// `/sys/kernel/mm/transparent_hugepage/enabled` is `madvise` or `always`). A fresh mapping is
/// zero already, so a big buffer is never cleared by hand either. Smaller buffers come from
/// the allocator, on a cache-line boundary.
///
/// The elements are reached through ``base``; callers that share a buffer copy it before
/// writing (``copy()``, with `isKnownUniquelyReferenced`).
final class ZeroedBuffer<Element: BitwiseCopyable> {
  /// The first element.
  let base: UnsafeMutablePointer<Element>
  /// Elements held.
  let count: Int
  /// Bytes mapped, when the buffer is a mapping of its own (0 when it came from the allocator).
  let mapped: Int

  /// Buffers of this many bytes or more are mapped with huge pages.
  static var hugeThreshold: Int { 4 << 20 }
  /// The size (and alignment) of a transparent huge page on x86-64 and arm64 with 4 KiB pages.
  static var hugePage: Int { 2 << 20 }

  /// `count` elements, all bits zero.
  init(count: Int) {
    precondition(count > 0, "an empty buffer")
    self.count = count
    let bytes = count * MemoryLayout<Element>.stride
    if bytes >= Self.hugeThreshold, let mapping = Self.mapAligned(bytes: bytes) {
      base = mapping.bindMemory(to: Element.self, capacity: count)
      mapped = Self.roundedUp(bytes)
    } else {
      let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
      raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
      base = raw.bindMemory(to: Element.self, capacity: count)
      mapped = 0
    }
  }

  deinit {
    #if canImport(Glibc)
    if mapped > 0 {
      munmap(UnsafeMutableRawPointer(base), mapped)
      return
    }
    #endif
    UnsafeMutableRawPointer(base).deallocate()
  }

  /// A buffer holding the same elements.
  func copy() -> ZeroedBuffer {
    let copy = ZeroedBuffer(count: count)
    copy.base.update(from: base, count: count)
    return copy
  }

  /// The elements, for reading.
  var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

  private static func roundedUp(_ bytes: Int) -> Int { (bytes + hugePage - 1) / hugePage * hugePage }

  /// A zero-filled private mapping of `bytes` (rounded up to whole huge pages) starting on a
  /// huge-page boundary, advised to use huge pages; nil when the system refuses the mapping.
  private static func mapAligned(bytes: Int) -> UnsafeMutableRawPointer? {
    #if canImport(Glibc)
    let length = roundedUp(bytes)
    // Map one huge page more than needed, then unmap the unaligned head and the rest of the tail.
    guard let raw = mmap(nil, length + hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      raw != UnsafeMutableRawPointer(bitPattern: -1)
    else { return nil }
    let start = Int(bitPattern: raw)
    let aligned = (start + hugePage - 1) / hugePage * hugePage
    let head = aligned - start
    if head > 0 { munmap(raw, head) }
    let tail = hugePage - head
    if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + length), tail) }
    let result = UnsafeMutableRawPointer(bitPattern: aligned)!
    // A hint: where transparent huge pages are off, the mapping works with small pages.
    _ = madvise(result, length, MADV_HUGEPAGE)
    return result
    #else
    return nil
    #endif
  }
}
