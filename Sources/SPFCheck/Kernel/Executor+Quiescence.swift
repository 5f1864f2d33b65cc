extension Executor {
  /// The invariants checked at quiescence: every thread ended and every pending RCU
  /// callback run (drained here in queue order).
  ///
  /// Checks `page-table-leak`, `pte-outside-vma`, `stale-commit` and `leak`.
  /// - Returns: every violation found, at most one per invariant, in a fixed order.
  func quiescenceViolations(_ state: State) -> [Violation] {
    var s = state
    for cb in s.callbacks { s.setLife(cb.ref, .freed) }
    s.callbacks = []
    var found: [Violation] = []
    func report(_ inv: Invariant, _ message: String, _ objects: [String]) {
      if !found.contains(where: { $0.invariant == inv }) {
        found.append(Violation(invariant: inv, message: message, thread: nil, objects: objects))
      }
    }
    let layout = model.layout
    let attached = s.vmas.enumerated().filter { $0.element.attached && $0.element.life != .freed }

    // page-table-leak: allocated tables that are unreachable, or reachable but covering no VMA.
    for (i, table) in s.tables.enumerated() where i > 0 && table.life == .live {
      let index = Int32(i)
      if !s.isLinked(index) {
        let how = table.level < 0 ? "was allocated but never installed or freed" : "is allocated but unreachable from the root"
        report(.pageTableLeak, "at quiescence table#\(i) \(how): nothing will ever free it (non-zero pgtables_bytes at mm teardown)", ["table#\(i)"])
        continue
      }
      let span = s.range(ofTable: index, layout: layout)
      if !attached.contains(where: { Int($0.element.start) < span.upperBound && span.lowerBound < Int($0.element.end) }) {
        report(.pageTableLeak, "at quiescence table#\(i) covering [\(span.lowerBound),\(span.upperBound)) is linked but no VMA covers it: free_pgtables only visits ranges around VMAs, so it is never freed", ["table#\(i)"])
      }
    }

    // pte-outside-vma and stale-commit: every present PTE in a linked leaf table.
    for (i, table) in s.tables.enumerated() where table.life == .live && table.pteCount > 0 && s.isLinked(Int32(i)) {
      let base = s.range(ofTable: Int32(i), layout: layout).lowerBound
      for (slot, pte) in s.tables.ptes(of: Int32(i)).enumerated() where pte.present {
        let addr = base + slot
        guard let (vi, vma) = attached.first(where: { Int($0.element.start) <= addr && addr < Int($0.element.end) }) else {
          report(.pteOutsideVMA, "at quiescence PTE \(addr) in table#\(i) is present\(committedBy(pte)) but no VMA covers address \(addr): user memory stays mapped after munmap", ["table#\(i)"])
          continue
        }
        if !vma.prot.contains(pte.prot) {
          report(.staleCommit, "at quiescence PTE \(addr) allows \(pte.prot.text) but vma#\(vi) allows only \(vma.prot.text)\(committedBy(pte)): the commit used a stale view of the VMA", ["table#\(i)", "vma#\(vi)"])
        } else if pte.lineage >= 0 && pte.lineage != vma.lineage {
          report(.staleCommit, "at quiescence PTE \(addr) maps a page committed for another VMA (lineage \(pte.lineage))\(committedBy(pte)) but vma#\(vi) covers the address now", ["table#\(i)", "vma#\(vi)"])
        }
      }
    }

    // leak: objects allocated at run time that nothing reaches any more.
    for (i, v) in s.vmas.enumerated() where v.life == .live && !v.inTree && i >= model.initial.vmas.count {
      report(.leak, "at quiescence vma#\(i) is allocated but neither in the VMA tree nor freed", ["vma#\(i)"])
    }
    for (i, p) in s.pages.enumerated() where p.life == .live && p.mapcount <= 0 && p.cachedAt < 0 {
      report(.leak, "at quiescence page#\(i) is allocated but not mapped by any PTE nor in the page cache", ["page#\(i)"])
    }
    for (i, o) in s.objs.enumerated() where o.life == .live && !o.isStatic {
      let ref = Ref(kind: .obj, index: Int32(i))
      let inCell = s.cells.contains { $0.ref == ref }
      let inVMA = s.vmas.contains { $0.life != .freed && ($0.anonVma == ref || $0.policy == ref || $0.file == ref) }
      let inGlobal = s.globals.contains { $0.ref == ref }
      if !inCell && !inVMA && !inGlobal {
        report(.leak, "at quiescence obj#\(i) (\(model.objectKinds[Int(o.kind)])) is allocated but unreachable", ["obj#\(i)"])
      }
    }
    return found
  }

  private func committedBy(_ pte: PTE) -> String {
    guard pte.committer >= 0 else { return "" }
    let site = model.threads[Int(pte.committer)].sites[Int(pte.commitPC)]
    return " (committed by \(model.threads[Int(pte.committer)].name) at \(site.path))"
  }

  /// A deadlock: no thread and no grace period can step while some thread has not ended.
  func deadlock(_ s: State) -> Violation? {
    let running = s.threads.indices.filter { s.threads[$0].outcome == .running }
    guard !running.isEmpty, !isGracePeriodEnabled(s), !running.contains(where: { isEnabled(s, $0) }) else { return nil }
    let waits = running.map { t -> String in
      let th = s.threads[t]
      let site = model.threads[t].sites[Int(th.pc)]
      var reason = ""
      switch th.wait {
      case .rcu: reason = " (synchronize_rcu waits for a reader that never leaves its section)"
      case .mmapWrite: reason = " (waits for mmap_lock)"
      case .vmaDrain(let v): reason = " (waits for readers of vma#\(v) to drain)"
      case .none: break
      }
      return "\(model.threads[t].name) blocked at \(site.op)\(reason)"
    }
    return Violation(invariant: .deadlock, message: "no thread can make progress: \(waits.joined(separator: "; "))", thread: nil, objects: [])
  }
}
