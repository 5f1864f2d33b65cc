import Foundation

/// Symmetry reduction over identical threads (declared together with `count: N`), by a
/// canonical thread order (Ip & Dill, "Better verification through symmetry", 1996).
///
/// Threads of one group run the same program with the same arguments, so permuting them
/// maps reachable states to reachable states and violations to violations of the same
/// invariant. Before a state is stored, the threads of each group are sorted by their
/// encoded thread state and every thread id in the shared state is renamed to match: lock
/// owners, reader and waiter bitmasks, PTE committers. Equal thread states keep their
/// order, so two states of one orbit may still both be stored (less reduction, never a
/// missed state).
struct Symmetry {
  /// Thread indices of each group of two or more identical threads, ascending.
  let groups: [[Int]]
  /// Per thread: the index of its group in ``groups`` and its position there, or nil.
  let place: [(group: Int, position: Int)?]

  init(model: CompiledModel) {
    var byGroup: [Int: [Int]] = [:]
    var order: [Int] = []
    for (t, thread) in model.threads.enumerated() where thread.symmetryGroup >= 0 {
      if byGroup[thread.symmetryGroup] == nil { order.append(thread.symmetryGroup) }
      byGroup[thread.symmetryGroup, default: []].append(t)
    }
    groups = order.compactMap { byGroup[$0] }.filter { $0.count > 1 }
    var place: [(group: Int, position: Int)?] = Array(repeating: nil, count: model.threads.count)
    for (g, group) in groups.enumerated() {
      for (position, t) in group.enumerated() { place[t] = (g, position) }
    }
    self.place = place
  }

  /// Compares two thread encodings in the canonical order: by bytes, then by length.
  /// - Returns: negative, zero or positive, as `memcmp`.
  @inline(__always)
  static func order(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
    // Two threads' encodings mostly differ in their first bytes (the pc comes first):
    // comparing the first eight as big-endian words orders them as memcmp would, without
    // the call. A thread encoding takes at least 12 bytes; the guard only keeps this safe.
    if x.count >= 8 && y.count >= 8 {
      let u = UInt64(bigEndian: x.loadUnaligned(as: UInt64.self))
      let v = UInt64(bigEndian: y.loadUnaligned(as: UInt64.self))
      if u != v { return u < v ? -1 : 1 }
    }
    let c = memcmp(x.baseAddress!, y.baseAddress!, min(x.count, y.count))
    if c != 0 { return Int(c) }
    return x.count - y.count
  }

  /// Where thread `t` of a state in canonical order goes when it alone changes, to the
  /// encoding `x`, every other thread `u` keeping its encoding `encoding(u)`: its group and
  /// its position there before and after. The others stay sorted, so `t` alone moves, to
  /// where an insertion sort would put it: before a thread only when strictly smaller, after
  /// one only when strictly larger (equal threads keep their order). Nil for a thread in no
  /// group. O(distance moved) comparisons.
  @inline(__always)
  func destination(
    of t: Int, as x: UnsafeRawBufferPointer, others encoding: (Int) -> UnsafeRawBufferPointer
  ) -> (group: Int, from: Int, to: Int)? {
    guard let (g, p) = place[t] else { return nil }
    let group = groups[g]
    var q = p
    while q > 0 && Self.order(x, encoding(group[q - 1])) < 0 { q -= 1 }
    if q == p {
      while q + 1 < group.count && Self.order(encoding(group[q + 1]), x) < 0 { q += 1 }
    }
    return (g, p, q)
  }

  var isTrivial: Bool { groups.isEmpty }

  /// Reusable buffers for ``canonicalize(_:scratch:)``, one per worker, so canonicalising a
  /// successor allocates nothing.
  struct Scratch {
    var writer = ByteWriter()
    var encodings: [UnsafeRawBufferPointer] = []
    /// Where each thread's encoding ends in `writer`.
    var ends: [Int] = []
    var order: [Int] = []
    /// After a call that moved threads: thread `old` went to position `perm[old]`.
    var perm: [Int] = []
  }

  /// Puts `s` in canonical thread order.
  ///
  /// - Returns: true when threads moved.
  @discardableResult
  func canonicalize(_ s: inout State, scratch: inout Scratch) -> Bool {
    scratch.writer.reset()
    scratch.ends.removeAll(keepingCapacity: true)
    for t in s.threads.indices {
      s.encodeThread(t, into: &scratch.writer)
      scratch.ends.append(scratch.writer.count)
    }
    let bytes = scratch.writer.buffer
    // Taken out of the scratch (not copied) so that emptying it keeps its storage.
    var encodings = scratch.encodings
    scratch.encodings = []
    encodings.removeAll(keepingCapacity: true)
    var start = 0
    for end in scratch.ends {
      encodings.append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
      start = end
    }
    let moved = canonicalize(&s, encodings: encodings, scratch: &scratch)
    scratch.encodings = encodings
    return moved
  }

  /// Puts `s` in canonical thread order, given the encoding of each of its threads (the
  /// explorer passes the parent's stored bytes for threads the step did not change, so it
  /// encodes only the threads that changed). When `s` is a successor of a canonical state in
  /// which thread `moved` alone may have changed, only that thread is placed
  /// (``permutation(moving:encodings:scratch:)``).
  ///
  /// - Returns: true when threads moved (the encodings then no longer match `s`).
  /// - Complexity: O(g log g) comparisons of thread encodings per group of g threads.
  func canonicalize(
    _ s: inout State, encodings: [UnsafeRawBufferPointer], onlyChanged moved: Int? = nil, scratch: inout Scratch
  ) -> Bool {
    let reordered =
      moved.map { permutation(moving: $0, encodings: encodings, scratch: &scratch) }
      ?? permutation(encodings: encodings, scratch: &scratch)
    if reordered { s.renameThreads(scratch.perm) }
    return reordered
  }

  /// ``permutation(encodings:scratch:)`` for threads in canonical order of which only thread
  /// `t` changed: `t` alone moves (``destination(of:as:others:)``), instead of a check of
  /// every group.
  func permutation(moving t: Int, encodings: [UnsafeRawBufferPointer], scratch: inout Scratch) -> Bool {
    guard let (g, p, q) = destination(of: t, as: encodings[t], others: { encodings[$0] }), q != p else {
      assert(
        {
          var full = Scratch()
          return !permutation(encodings: encodings, scratch: &full)
        }(), "thread \(t) stays put, but the canonical order moves threads")
      return false
    }
    permutation(moving: t, within: g, from: p, to: q, threads: encodings.count, scratch: &scratch)
    assert(
      {
        var full = Scratch()
        return permutation(encodings: encodings, scratch: &full) && full.perm == scratch.perm
      }(), "moving thread \(t) alone is not the canonical order")
    return true
  }

  /// Sets `scratch.perm`, over `n` threads, to the permutation that moves thread `t` from
  /// position `p` of group `g` to position `q` (``destination(of:as:others:)``), the threads
  /// in between shifting by one toward `p`.
  func permutation(moving t: Int, within g: Int, from p: Int, to q: Int, threads n: Int, scratch: inout Scratch) {
    let group = groups[g]
    if scratch.perm.count != n { scratch.perm = Array(repeating: 0, count: n) }
    scratch.perm.withUnsafeMutableBufferPointer { perm in
      for u in perm.indices { perm[u] = u }
      // The threads between the two places shift by one toward `t`'s old place.
      if q < p {
        for i in q..<p { perm[group[i]] = group[i + 1] }
      } else if q > p {
        for i in (p + 1)...q { perm[group[i]] = group[i - 1] }
      }
      perm[t] = group[q]
    }
  }

  /// The canonical order of threads whose encodings are `encodings`: when some thread must
  /// move, sets `scratch.perm` (thread `old` goes to `perm[old]`) and returns true.
  func permutation(encodings: [UnsafeRawBufferPointer], scratch: inout Scratch) -> Bool {
    var moved = false
    for group in groups {
      // Sort the group's positions by the threads' encoded bytes.
      func less(_ a: Int, _ b: Int) -> Bool {
        let c = Self.order(encodings[group[a]], encodings[group[b]])
        if c != 0 { return c < 0 }
        return a < b  // stable: equal thread states keep their order
      }
      // Most successors are already in order (one thread moved): check that first.
      guard group.indices.dropFirst().contains(where: { less($0, $0 - 1) }) else { continue }
      // `less` is a total order, so the sorted order is unique; groups are small, so an
      // insertion sort does it without the closure overhead of `sort(by:)`. The scratch
      // arrays are sized once and overwritten through buffer pointers: emptying an array and
      // appending to it cost more than the sort.
      if scratch.order.count != group.count { scratch.order = Array(repeating: 0, count: group.count) }
      scratch.order.withUnsafeMutableBufferPointer { order in
        for position in group.indices {
          var slot = position
          while slot > 0 && less(position, order[slot - 1]) {
            order[slot] = order[slot - 1]
            slot -= 1
          }
          order[slot] = position
        }
      }
      if !moved {
        if scratch.perm.count != encodings.count { scratch.perm = Array(repeating: 0, count: encodings.count) }
        scratch.perm.withUnsafeMutableBufferPointer { perm in
          for t in perm.indices { perm[t] = t }
        }
        moved = true
      }
      for (slot, position) in scratch.order.enumerated() { scratch.perm[group[position]] = group[slot] }
    }
    return moved
  }
}

extension State {
  /// Moves thread `old` to position `perm[old]` and renames every thread id and thread
  /// bitmask in the shared state to match.
  mutating func renameThreads(_ perm: [Int]) {
    // Apply the permutation in place, cycle by cycle (no copy of the thread array); each
    // thread's register array travels with it.
    var placed: UInt32 = 0
    // The threads swap through one buffer pointer: the array's `swapAt` checked uniqueness
    // and bounds and copied each 170-byte thread through generated code (1.6 % of the
    // instructions on spf-4). The registers are moved out and back meanwhile (not copied,
    // so they stay unshared): the two arrays are observed properties, so one call may not
    // write both.
    var registers = Registers()
    swap(&registers, &regs)
    threads.withUnsafeMutableBufferPointer { threads in
      for start in threads.indices where placed & (UInt32(1) << UInt32(start)) == 0 {
        var j = perm[start]
        while j != start {
          registers.swapThreads(start, j)
          swapBlocks(threads.baseAddress! + start, threads.baseAddress! + j, count: 1)
          placed |= UInt32(1) << UInt32(j)
          j = perm[j]
        }
      }
    }
    swap(&registers, &regs)
    for t in threads.indices {
      if case .rcu(let m) = threads[t].wait { threads[t].wait = .rcu(Self.rename(mask: m, perm)) }
    }
    renameShared(perm)
  }

  /// Thread bitmask `m` with bit `t` moved to bit `perm[t]`.
  @inline(__always)
  static func rename(mask m: UInt32, _ perm: [Int]) -> UInt32 {
    var out: UInt32 = 0
    var rest = m
    while rest != 0 {
      let t = rest.trailingZeroBitCount
      out |= UInt32(1) << UInt32(perm[t])
      rest &= rest - 1
    }
    return out
  }

  /// The shared-state part of ``renameThreads(_:)``: renames every thread id and thread
  /// bitmask in the shared components (the threads stay where they are).
  mutating func renameShared(_ perm: [Int]) {
    func id<T: BinaryInteger>(_ t: T) -> T { t < 0 ? t : T(perm[Int(t)]) }
    func mask(_ m: UInt32) -> UInt32 { Self.rename(mask: m, perm) }
    mm.mmapReaders = mask(mm.mmapReaders)
    mm.writersWaiting = mask(mm.writersWaiting)
    mm.mmapWriter = id(mm.mmapWriter)
    for i in mm.spinOwner.indices { mm.spinOwner[i] = id(mm.spinOwner[i]) }
    // Each array is written only when some name in it changes: most hold no thread id, and
    // one left unwritten keeps sharing the parent's storage instead of being copied (the
    // optimizer makes an array unique before a loop that may write it, so testing inside
    // the loop would not do).
    if vmas.contains(where: { id($0.bracketOwner) != $0.bracketOwner || mask($0.rcuReaders) != $0.rcuReaders }) {
      for i in vmas.indices {
        vmas[i].bracketOwner = id(vmas[i].bracketOwner)
        vmas[i].rcuReaders = mask(vmas[i].rcuReaders)
      }
    }
    if tables.contains(where: { id($0.ptlOwner) != $0.ptlOwner || mask($0.rcuReaders) != $0.rcuReaders }) {
      for i in tables.indices {
        tables[i].ptlOwner = id(tables[i].ptlOwner)
        tables[i].rcuReaders = mask(tables[i].rcuReaders)
      }
    }
    tables.renameCommitters { id($0) }
    if pages.contains(where: { mask($0.rcuReaders) != $0.rcuReaders }) {
      for i in pages.indices { pages[i].rcuReaders = mask(pages[i].rcuReaders) }
    }
    if objs.contains(where: { mask($0.rcuReaders) != $0.rcuReaders }) {
      for i in objs.indices { objs[i].rcuReaders = mask(objs[i].rcuReaders) }
    }
  }
}
