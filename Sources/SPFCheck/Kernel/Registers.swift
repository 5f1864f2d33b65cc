/// Every thread's registers, one thread after another in one array.
///
/// A thread's register count is fixed by its program (``ThreadCompiler`` numbers its
/// registers), so the layout never changes during an exploration: thread `t`'s registers
/// are `values[starts[t]..<starts[t + 1]]`. One flat array of plain data, where there was one
/// array per thread, lets the reused successor (`State+Reuse.swift`) copy back and compare
/// every register with one `memcpy` or `memcmp`, not one per thread with a retain, a release
/// and a uniqueness check each.
struct Registers: Hashable, Sendable {
  /// The registers of thread 0, then thread 1, and so on.
  private(set) var values: [Value] = []
  /// Where each thread's registers start, then where the last thread's end.
  private(set) var starts: [Int32] = [0]

  /// The positions in ``values`` of thread `t`'s registers.
  @inline(__always)
  func range(of t: Int) -> Range<Int> { Int(starts[t])..<Int(starts[t + 1]) }

  /// Register `r` of thread `t`.
  subscript(t: Int, r: Int) -> Value {
    @inline(__always) get { values[Int(starts[t]) + r] }
    @inline(__always) set { values[Int(starts[t]) + r] = newValue }
  }

  /// Thread `t`'s registers.
  func of(_ t: Int) -> ArraySlice<Value> { values[range(of: t)] }

  /// Adds a thread whose registers are `registers`.
  mutating func append(thread registers: [Value]) {
    values.append(contentsOf: registers)
    starts.append(Int32(values.count))
  }

  /// Sets every register of thread `t` to `.none`.
  mutating func clear(thread t: Int) {
    for i in range(of: t) { values[i] = .none }
  }

  /// Swaps the registers of threads `a` and `b`, which run the same program (symmetry only
  /// permutes threads declared together with `count: N`), so hold as many.
  mutating func swapThreads(_ a: Int, _ b: Int) {
    let (x, y) = (range(of: a), range(of: b))
    precondition(x.count == y.count, "threads swapped by symmetry have as many registers")
    // One block swap (``swapBlocks(_:_:count:)``): `values.swapAt` checked uniqueness and
    // bounds per register, and copied 32-byte values one by one (1.0 % of the instructions
    // on spf-4 went to this swap).
    guard !x.isEmpty else { return }
    values.withUnsafeMutableBufferPointer { v in
      swapBlocks(v.baseAddress! + x.lowerBound, v.baseAddress! + y.lowerBound, count: x.count)
    }
  }

  /// Calls `body` with thread `t`'s registers.
  @inline(__always)
  func withRegisters<R>(of t: Int, _ body: (UnsafeBufferPointer<Value>) throws -> R) rethrows -> R {
    let r = range(of: t)
    return try values.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[r])) }
  }

  /// Calls `body` with thread `t`'s registers to overwrite in place.
  @inline(__always)
  mutating func withMutableRegisters<R>(of t: Int, _ body: (UnsafeMutableBufferPointer<Value>) throws -> R) rethrows
    -> R
  {
    let r = range(of: t)
    return try values.withUnsafeMutableBufferPointer { try body(UnsafeMutableBufferPointer(rebasing: $0[r])) }
  }

  /// Makes `self` equal to `other`, copying the registers into `self`'s storage. The layout
  /// is taken by reference: it is never written, so it stays shared.
  @inline(__always)
  mutating func overwrite(with other: Registers) {
    values.overwrite(with: other.values)
    // O(1) when the two share the layout's storage, as they do from the second call on.
    if starts != other.starts { starts = other.starts }
  }

  /// Makes thread `t`'s registers equal to its registers in `other`, which has the same
  /// layout (a state this one was loaded from).
  @inline(__always)
  mutating func overwrite(thread t: Int, with other: Registers) {
    // As many registers in all: the range, within `self`, is then within `other` too.
    precondition(values.count == other.values.count, "registers overwritten from another layout")
    let r = range(of: t)
    guard !r.isEmpty else { return }
    values.withUnsafeMutableBufferPointer { dst in
      other.values.withUnsafeBufferPointer { src in
        (dst.baseAddress! + r.lowerBound).update(from: src.baseAddress! + r.lowerBound, count: r.count)
      }
    }
  }

  /// True when thread `t` holds the same register bytes in both (see ``sameBytes(_:_:)``).
  @inline(__always)
  func sameBytes(of t: Int, as other: Registers) -> Bool {
    let r = range(of: t)
    guard r == other.range(of: t) else { return false }
    let bytes = (r.lowerBound * MemoryLayout<Value>.stride)..<(r.upperBound * MemoryLayout<Value>.stride)
    return values.withUnsafeBytes { a in
      other.values.withUnsafeBytes { b in
        SPFCheck.sameBytes(UnsafeRawBufferPointer(rebasing: a[bytes]), UnsafeRawBufferPointer(rebasing: b[bytes]))
      }
    }
  }
}
