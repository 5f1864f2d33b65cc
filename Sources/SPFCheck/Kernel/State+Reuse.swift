import Foundation

/// A state's storage reused from successor to successor.
///
/// Copying a `State` shares its arrays, so the first write of a step to each array
/// allocates a copy and the successor's destruction frees it: about a quarter of a
/// successor's instructions went to that copy-on-write traffic (retain, release, malloc,
/// free, memcpy). The expander instead keeps one successor whose arrays it owns outright,
/// loads each frontier state into it (``load(_:parts:)``), lets every step write it in place, and
/// copies back only the parts the step wrote (``restore(_:)``, told by ``written``). Every
/// element type is plain data (`BitwiseCopyable`), so these copies are `memcpy`.
extension State {
  /// A set of the parts of a state (its arrays and the mm-wide state), as bits.
  ///
  /// A record of writes, not a part of the state's value: every two compare equal and hash
  /// alike. It is no `OptionSet`, whose `contains` and `isEmpty` are built on `==`.
  struct Written: Hashable, Sendable {
    var bits: UInt16 = 0

    static let mm = Written(bits: 1 << 0)
    static let vmas = Written(bits: 1 << 1)
    static let tables = Written(bits: 1 << 2)
    static let pages = Written(bits: 1 << 3)
    static let objs = Written(bits: 1 << 4)
    static let threads = Written(bits: 1 << 5)
    static let regs = Written(bits: 1 << 6)
    static let callbacks = Written(bits: 1 << 7)
    static let globals = Written(bits: 1 << 8)
    static let cells = Written(bits: 1 << 9)
    static let tree = Written(bits: 1 << 10)
    /// The parts of component 3 (see ``State/encodeComponent(_:into:)``).
    static let rest = Written(bits: pages.bits | objs.bits | callbacks.bits | globals.bits | cells.bits | tree.bits)
    /// Every part.
    static let all = Written(bits: (1 << 11) - 1)

    var isEmpty: Bool { bits == 0 }
    /// True when `self` holds any of the parts `part` holds.
    func contains(_ part: Written) -> Bool { bits & part.bits != 0 }
    mutating func insert(_ part: Written) { bits |= part.bits }

    static func == (a: Self, b: Self) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
  }

  /// Makes `self` equal to `other`, writing into `self`'s own storage (it allocates only
  /// while an array grows past every size it had), and clears ``written``. Only `parts`
  /// (with those written since the last ``restore(_:)``) are copied: the caller knows the
  /// others equal already.
  mutating func load(_ other: State, parts: Written = .all) {
    written.insert(parts)
    restore(other)
  }

  /// Makes `self`, loaded from `other` (``load(_:parts:)``) and written since, equal to `other`
  /// again, copying only the parts ``written`` names, and clears ``written``.
  ///
  /// `onlyThread`, when given, says that of the threads and their registers only thread
  /// `onlyThread`'s may differ from `other`'s (a step that reported changing no other thread,
  /// and no symmetry renaming since): only that thread and its registers are copied back, not
  /// every thread's.
  mutating func restore(_ other: State, onlyThread: Int? = nil) {
    let w = written
    if w.isEmpty { return }
    if w.contains(.mm) { mm = other.mm }
    if w.contains(.vmas) { vmas.overwrite(with: other.vmas) }
    if w.contains(.tables) { tables.overwrite(with: other.tables) }
    if let t = onlyThread {
      // Pointer to pointer: the element assignment, with its uniqueness and bounds checks,
      // cost 0.5 % of all instructions more (callgrind, spf-2 455.1M -> 452.8M).
      if w.contains(.threads) {
        threads.withUnsafeMutableBufferPointer { dst in
          other.threads.withUnsafeBufferPointer { src in (dst.baseAddress! + t).update(from: src.baseAddress! + t, count: 1) }
        }
      }
      if w.contains(.regs) { regs.overwrite(thread: t, with: other.regs) }
    } else {
      if w.contains(.threads) { threads.overwrite(with: other.threads) }
      if w.contains(.regs) { regs.overwrite(with: other.regs) }
    }
    if w.contains(.rest) {
      if w.contains(.pages) { pages.overwrite(with: other.pages) }
      if w.contains(.objs) { objs.overwrite(with: other.objs) }
      if w.contains(.callbacks) { callbacks.overwrite(with: other.callbacks) }
      if w.contains(.globals) { globals.overwrite(with: other.globals) }
      if w.contains(.cells) { cells.overwrite(with: other.cells) }
      if w.contains(.tree) { tree.overwrite(with: other.tree) }
    }
    written = Written()
    assert(
      onlyThread == nil || (threads == other.threads && regs == other.regs),
      "restore(onlyThread:) left another thread different")
  }

  /// True when component `k` (see ``encodeComponent(_:into:)``) of `self`, loaded from
  /// `other`, is unwritten since or holds the same bytes, either of which implies equal
  /// values. False may still mean equal values (an enum case's unused payload bytes, say);
  /// callers then encode the component and find it stored, so a false answer costs time,
  /// never a state.
  ///
  /// The comparison ``sameComponent(_:as:)`` makes by value finds two arrays equal at once
  /// when they share storage, which a reused successor never does.
  func sameBytes(_ k: Int, as other: State) -> Bool {
    switch k {
    case 0: return !written.contains(.mm) || SPFCheck.sameBytes(mm, other.mm)
    case 1: return !written.contains(.vmas) || vmas.sameBytes(as: other.vmas)
    case 2: return !written.contains(.tables) || tables.sameBytes(as: other.tables)
    case 3:
      let w = written
      if !w.contains(.rest) { return true }
      return (!w.contains(.pages) || pages.sameBytes(as: other.pages))
        && (!w.contains(.objs) || objs.sameBytes(as: other.objs))
        && (!w.contains(.callbacks) || callbacks.sameBytes(as: other.callbacks))
        && (!w.contains(.globals) || globals.sameBytes(as: other.globals))
        && (!w.contains(.cells) || cells.sameBytes(as: other.cells))
        && (!w.contains(.tree) || tree.sameBytes(as: other.tree))
    default:
      let t = k - Self.sharedComponents
      return (!written.contains(.threads) || SPFCheck.sameBytes(threads[t], other.threads[t]))
        && (!written.contains(.regs) || regs.sameBytes(of: t, as: other.regs))
    }
  }
}

/// True when `a` and `b` hold the same bytes, padding included: equal values then, though
/// equal values may differ in bytes they do not use.
@inline(__always)
func sameBytes<T: BitwiseCopyable>(_ a: T, _ b: T) -> Bool {
  withUnsafeBytes(of: a) { a in withUnsafeBytes(of: b) { b in sameBytes(a, b) } }
}

/// Swaps the `count` elements at `a` with those at `b` (the two ranges apart) as three block
/// copies through a temporary: element by element, `swapAt` copied each value through
/// generated code (a 170-byte thread field by field, 32-byte registers one by one).
@inline(__always)
func swapBlocks<T: BitwiseCopyable>(_ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, count: Int) {
  guard count > 0 else { return }
  withUnsafeTemporaryAllocation(of: T.self, capacity: count) { tmp in
    let t = tmp.baseAddress!
    t.initialize(from: a, count: count)
    a.update(from: b, count: count)
    b.update(from: t, count: count)
  }
}

/// True when the two buffers hold as many bytes, the same ones.
@inline(__always)
func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
  a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
}

extension Array where Element: BitwiseCopyable {
  /// Makes `self` equal to `other`, copying its elements into `self`'s storage (which
  /// allocates only when `self` is shared or too small).
  @inline(__always)
  mutating func overwrite(with other: [Element]) {
    if count == other.count {
      guard count > 0 else { return }
      withUnsafeMutableBufferPointer { dst in
        other.withUnsafeBufferPointer { src in
          UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(
            from: src.baseAddress!, byteCount: src.count * MemoryLayout<Element>.stride)
        }
      }
    } else {
      removeAll(keepingCapacity: true)
      append(contentsOf: other)
    }
  }

  /// True when both hold the same number of elements with the same bytes (see
  /// ``sameBytes(_:_:)``).
  @inline(__always)
  func sameBytes(as other: [Element]) -> Bool {
    withUnsafeBytes { a in other.withUnsafeBytes { b in SPFCheck.sameBytes(a, b) } }
  }
}
