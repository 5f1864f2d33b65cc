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

  init(model: CompiledModel) {
    var byGroup: [Int: [Int]] = [:]
    var order: [Int] = []
    for (t, thread) in model.threads.enumerated() where thread.symmetryGroup >= 0 {
      if byGroup[thread.symmetryGroup] == nil { order.append(thread.symmetryGroup) }
      byGroup[thread.symmetryGroup, default: []].append(t)
    }
    groups = order.compactMap { byGroup[$0] }.filter { $0.count > 1 }
  }

  var isTrivial: Bool { groups.isEmpty }

  /// Puts `s` in canonical thread order.
  ///
  /// - Returns: true when threads moved.
  @discardableResult
  func canonicalize(_ s: inout State, scratch w: inout ByteWriter) -> Bool {
    var perm: [Int]?
    for group in groups {
      // Encode the group's threads back to back and sort their positions by those bytes.
      w.reset()
      var ranges: [Range<Int>] = []
      for t in group {
        let start = w.count
        s.threads[t].encode(into: &w)
        ranges.append(start..<w.count)
      }
      let buffer = w.buffer
      func less(_ a: Int, _ b: Int) -> Bool {
        let x = buffer[ranges[a]]
        let y = buffer[ranges[b]]
        let n = min(x.count, y.count)
        let c = memcmp(buffer.baseAddress! + x.startIndex, buffer.baseAddress! + y.startIndex, n)
        if c != 0 { return c < 0 }
        if x.count != y.count { return x.count < y.count }
        return a < b  // stable: equal thread states keep their order
      }
      let order = group.indices.sorted(by: less)
      guard order != Array(group.indices) else { continue }
      if perm == nil { perm = Array(s.threads.indices) }
      for (slot, position) in order.enumerated() { perm![group[position]] = group[slot] }
    }
    guard let perm else { return false }
    s.renameThreads(perm)
    return true
  }
}

extension State {
  /// Moves thread `old` to position `perm[old]` and renames every thread id and thread
  /// bitmask in the shared state to match.
  mutating func renameThreads(_ perm: [Int]) {
    func id<T: BinaryInteger>(_ t: T) -> T { t < 0 ? t : T(perm[Int(t)]) }
    func mask(_ m: UInt32) -> UInt32 {
      var out: UInt32 = 0
      var rest = m
      while rest != 0 {
        let t = rest.trailingZeroBitCount
        out |= UInt32(1) << UInt32(perm[t])
        rest &= rest - 1
      }
      return out
    }
    var moved = threads
    for (old, th) in threads.enumerated() {
      var th = th
      if case .rcu(let m) = th.wait { th.wait = .rcu(mask(m)) }
      moved[perm[old]] = th
    }
    threads = moved
    mm.mmapReaders = mask(mm.mmapReaders)
    mm.writersWaiting = mask(mm.writersWaiting)
    mm.mmapWriter = id(mm.mmapWriter)
    for i in mm.spinOwner.indices { mm.spinOwner[i] = id(mm.spinOwner[i]) }
    for i in vmas.indices {
      vmas[i].bracketOwner = id(vmas[i].bracketOwner)
      vmas[i].rcuReaders = mask(vmas[i].rcuReaders)
    }
    for i in tables.indices {
      tables[i].ptlOwner = id(tables[i].ptlOwner)
      tables[i].rcuReaders = mask(tables[i].rcuReaders)
      for j in tables[i].ptes.indices where tables[i].ptes[j].committer >= 0 {
        tables[i].ptes[j].committer = id(tables[i].ptes[j].committer)
      }
    }
    for i in pages.indices { pages[i].rcuReaders = mask(pages[i].rcuReaders) }
    for i in objs.indices { objs[i].rcuReaders = mask(objs[i].rcuReaders) }
  }
}
