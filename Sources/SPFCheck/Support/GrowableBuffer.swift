#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable array of plain-data elements, with value semantics (copy on write), whose
/// appends reserve room for several elements at once and hand back a pointer to write them.
///
/// The workers append every candidate's component vector to their batch's buffer (3.8
/// candidates per expanded state on `spf-4`). As a `[UInt32]`, a vector took two
/// `append(contentsOf:)` calls and a subscript store: each of the three checked the array's
/// uniqueness and capacity, and the generic `append(contentsOf:)` cost about 90 instructions
/// for four or six words (4 % of one worker's instructions in all). Here a candidate checks
/// once (``appendUninitialized(_:)``) and then writes through the pointer.
///
/// The explorer also keeps the trace and the component store's arena in one: what it only
/// ever appends to. A Swift array doubles by allocating anew and copying, and the copy writes
/// every page of fresh memory once more, each first write a page fault: on `spf-4` at 5 M
/// states the state arena's and the trace's appends and doublings, both arrays then, took 78 %
/// of the search's page faults (performance.md, "Stop 22"; the state store's entries are
/// ``EntrySegments`` since). This storage doubles with `realloc`, which moves a block as large
/// as those (one glibc mapped on its own) with `mremap`, page table entries and not bytes, so
/// growing writes no page the elements held.
///
/// ``removeAll()`` and ``truncate(to:)`` keep the storage.
struct GrowableBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
  /// The elements' memory, from `malloc`, freed with the last buffer holding it.
  private final class Storage {
    private(set) var base: UnsafeMutablePointer<Element>
    /// Elements there is room for.
    private(set) var capacity: Int

    init(capacity: Int) {
      self.capacity = capacity
      base = Self.reallocate(nil, count: capacity)
    }

    deinit { free(base) }

    /// Makes room for `capacity` elements, keeping those before: in place or moved by `realloc`.
    func grow(to capacity: Int) {
      base = Self.reallocate(base, count: capacity)
      self.capacity = capacity
    }

    private static func reallocate(_ p: UnsafeMutablePointer<Element>?, count: Int) -> UnsafeMutablePointer<Element> {
      let bytes = count * MemoryLayout<Element>.stride
      guard let raw = realloc(p, bytes) else { fatalError("out of memory: growing a buffer to \(bytes) bytes") }
      return raw.bindMemory(to: Element.self, capacity: count)
    }
  }

  private var storage: Storage
  /// Elements held.
  private(set) var count = 0

  /// An empty buffer with room for `capacity` elements.
  init(capacity: Int = 256) {
    storage = Storage(capacity: max(1, capacity))
  }

  /// Adds `n` elements, which the caller writes through the pointer returned (before any other
  /// change to the buffer): their values are unspecified until then.
  @inline(__always)
  mutating func appendUninitialized(_ n: Int) -> UnsafeMutablePointer<Element> {
    if count + n > storage.capacity || !isKnownUniquelyReferenced(&storage) { reserve(count + n) }
    let p = storage.base + count
    count += n
    return p
  }

  /// Appends `element`.
  @inline(__always)
  mutating func append(_ element: Element) {
    appendUninitialized(1).initialize(to: element)
  }

  /// Appends the elements of `elements`.
  @inline(__always)
  mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
    guard let source = elements.baseAddress else { return }
    appendUninitialized(elements.count).update(from: source, count: elements.count)
  }

  /// Appends the elements of `elements`.
  mutating func append(contentsOf elements: [Element]) {
    elements.withUnsafeBufferPointer { append(contentsOf: $0) }
  }

  /// Whether the buffer holds no element.
  var isEmpty: Bool { count == 0 }

  /// Element `i` (`i` < ``count``).
  subscript(i: Int) -> Element {
    @inline(__always) get {
      precondition(i >= 0 && i < count, "index out of range")
      return storage.base[i]
    }
    @inline(__always) set {
      precondition(i >= 0 && i < count, "index out of range")
      if !isKnownUniquelyReferenced(&storage) { reserve(count) }
      storage.base[i] = newValue
    }
  }

  /// Drops the elements from `newCount` on, keeping the storage.
  mutating func truncate(to newCount: Int) {
    precondition(newCount >= 0 && newCount <= count, "truncating past the end")
    count = newCount
  }

  /// Drops every element, keeping the storage.
  mutating func removeAll() { count = 0 }

  /// The elements, read through a pointer valid for the call.
  func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
    try withExtendedLifetime(storage) { () throws(E) -> R in
      try body(UnsafeBufferPointer(start: storage.base, count: count))
    }
  }

  /// The elements from `start` on, as an array.
  func elements(from start: Int) -> [Element] {
    precondition(start >= 0 && start <= count, "start out of range")
    return Array(UnsafeBufferPointer(start: storage.base + start, count: count - start))
  }

  /// Makes the storage unshared and able to hold `capacity` elements: doubles it as often as
  /// needed, in place when unshared (``Storage/grow(to:)``), else copying the elements held.
  @inline(never)
  private mutating func reserve(_ capacity: Int) {
    var size = storage.capacity
    while size < capacity { size *= 2 }
    if isKnownUniquelyReferenced(&storage) {
      storage.grow(to: size)
    } else {
      let copy = Storage(capacity: size)
      copy.base.update(from: storage.base, count: count)
      storage = copy
    }
  }
}

extension GrowableBuffer where Element == UInt8 {
  /// Appends the bytes of `bytes`, memory of any type (a byte arena's append).
  @inline(__always)
  mutating func append(bytes: UnsafeRawBufferPointer) {
    guard let source = bytes.baseAddress else { return }
    UnsafeMutableRawPointer(appendUninitialized(bytes.count)).copyMemory(from: source, byteCount: bytes.count)
  }
}
