/// A plain-data element with a fixed filler value for the unused slots of an ``InlineList``.
protocol InlineElement: BitwiseCopyable, Hashable, Sendable {
  static var filler: Self { get }
}

extension Int8: InlineElement { static var filler: Int8 { 0 } }
extension Int32: InlineElement { static var filler: Int32 { 0 } }
extension Int: InlineElement { static var filler: Int { 0 } }

/// A list of at most `capacity` plain-data elements, stored inline (an `InlineArray` and a
/// count), so a struct holding it stays plain data: copying it is a memcpy, with no heap
/// allocation, retain or release.
///
/// Equality and hashing look at the first `count` elements only. Unused slots hold
/// ``InlineElement/filler``, which `removeLast`/`remove(at:)` restore, so memberwise
/// comparisons of the raw bytes stay meaningful too.
struct InlineList<let capacity: Int, Element: InlineElement>: RandomAccessCollection, MutableCollection, Hashable, Sendable,
  BitwiseCopyable
{
  private var storage = InlineArray<capacity, Element>(repeating: .filler)
  private var length: UInt8 = 0

  init() {}

  /// A list holding `elements`.
  ///
  /// - Precondition: `elements.count <= capacity`.
  init(_ elements: some Sequence<Element>) {
    for e in elements { append(e) }
  }

  /// The most elements a list of this type holds.
  static var maxCount: Int { capacity }

  var startIndex: Int { 0 }
  var endIndex: Int { Int(length) }
  var count: Int { Int(length) }
  var isEmpty: Bool { length == 0 }
  var isFull: Bool { Int(length) == capacity }

  subscript(position: Int) -> Element {
    get {
      precondition(position >= 0 && position < Int(length), "InlineList index out of range")
      return storage[position]
    }
    set {
      precondition(position >= 0 && position < Int(length), "InlineList index out of range")
      storage[position] = newValue
    }
  }

  /// Appends `element`.
  ///
  /// - Precondition: the list is not full (callers that can overflow check ``isFull``
  ///   first and report a model error).
  mutating func append(_ element: Element) {
    precondition(Int(length) < capacity, "InlineList capacity \(capacity) exceeded")
    storage[Int(length)] = element
    length += 1
  }

  /// Removes and returns the element at `position`, shifting the later ones down.
  @discardableResult
  mutating func remove(at position: Int) -> Element {
    let removed = self[position]
    var i = position
    while i + 1 < Int(length) {
      storage[i] = storage[i + 1]
      i += 1
    }
    length -= 1
    storage[Int(length)] = .filler
    return removed
  }

  /// Removes every element that satisfies `predicate`, keeping the order of the others.
  mutating func removeAll(where predicate: (Element) -> Bool) {
    var kept = Self()
    for e in self where !predicate(e) { kept.append(e) }
    self = kept
  }

  mutating func removeAll() {
    while length > 0 {
      length -= 1
      storage[Int(length)] = .filler
    }
  }

  static func == (a: Self, b: Self) -> Bool {
    guard a.length == b.length else { return false }
    for i in 0..<Int(a.length) where a.storage[i] != b.storage[i] { return false }
    return true
  }

  func hash(into hasher: inout Hasher) {
    hasher.combine(length)
    for i in 0..<Int(length) { hasher.combine(storage[i]) }
  }
}

extension InlineList: ExpressibleByArrayLiteral {
  init(arrayLiteral elements: Element...) { self.init(elements) }
}
