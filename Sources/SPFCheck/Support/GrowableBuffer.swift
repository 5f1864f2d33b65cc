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
/// The storage is a ``ZeroedBuffer`` that doubles when full; ``removeAll()`` and
/// ``truncate(to:)`` keep it.
struct GrowableBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
  private var storage: ZeroedBuffer<Element>
  /// Elements held.
  private(set) var count = 0

  /// An empty buffer with room for `capacity` elements.
  init(capacity: Int = 256) {
    storage = ZeroedBuffer(count: max(1, capacity))
  }

  /// Adds `n` elements, which the caller writes through the pointer returned (before any other
  /// change to the buffer): their values are unspecified until then.
  @inline(__always)
  mutating func appendUninitialized(_ n: Int) -> UnsafeMutablePointer<Element> {
    if count + n > storage.count || !isKnownUniquelyReferenced(&storage) { reserve(count + n) }
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
      if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
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
  /// needed, copying the elements held.
  @inline(never)
  private mutating func reserve(_ capacity: Int) {
    var size = storage.count
    while size < capacity { size *= 2 }
    let grown = ZeroedBuffer<Element>(count: size)
    grown.base.update(from: storage.base, count: count)
    storage = grown
  }
}
