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

  /// Puts `s` in canonical thread order; returns the permutation applied
  /// (`perm[old] == new`), or nil when the state already was canonical.
  func canonicalize(_ s: inout State, scratch w: inout ByteWriter) -> [Int]? {
    var perm: [Int]?
    for group in groups {
      var keyed: [(key: [UInt8], thread: Int)] = []
      keyed.reserveCapacity(group.count)
      for t in group {
        w.reset()
        s.threads[t].encode(into: &w)
        keyed.append((w.bytes, t))
      }
      // Stable: equal thread states keep their relative order.
      let sorted = keyed.enumerated().sorted {
        $0.element.key.lexicographicallyPrecedes($1.element.key)
          || ($0.element.key == $1.element.key && $0.offset < $1.offset)
      }.map(\.element.thread)
      guard sorted != group else { continue }
      if perm == nil { perm = Array(s.threads.indices) }
      for (slot, old) in sorted.enumerated() { perm![old] = group[slot] }
    }
    if let perm { s.renameThreads(perm) }
    return perm
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
