extension StepContext {
  var layout: Layout { model.layout }

  /// Walks from the root to the table at `level` covering `addr`, reading one entry per level.
  ///
  /// - Returns: the table index, or nil when an entry on the path is empty.
  /// - Throws: `use-after-free` when the walk passes through a freed table.
  func walk(_ addr: Int, to level: Int) throws(Stop) -> Int32? {
    var current: Int32 = 0
    for l in 0..<level {
      try checkWalked(current, addr, "through")
      let child = s.tables.entry(current, layout.slot(addr, level: l))
      if child < 0 { return nil }
      current = child
    }
    try checkWalked(current, addr, "reaching")
    return current
  }

  /// ``deref(_:_:_:)`` of a table a walk of `addr` passes `how` ("through" or "reaching").
  ///
  /// A walk's pointer carries no RCU section, so a live table has nothing to check: the
  /// message is built only for a table that is not live (every step of every walk used to
  /// build it).
  private func checkWalked(_ table: Int32, _ addr: Int, _ how: String) throws(Stop) {
    guard s.tables[Int(table)].life != .live else { return }
    let r = Ref(kind: .table, index: table)
    try deref(Value(.ref(r)), r, "walk of address \(addr) \(how) table")
  }

  /// The ptl this thread holds for `addr` through `pte_lock`, or a lock-misuse violation.
  func heldTable(_ addr: Int, _ what: @autoclosure () -> String) throws(Stop) -> Int32 {
    guard let hold = th.ptl.first(where: { $0.addr == Int32(addr) }) else {
      throw fail(.lockMisuse, "\(what())(\(addr)) without holding the PTE table lock for that address (pte_lock first)")
    }
    let r = Ref(kind: .table, index: hold.table)
    try deref(Value(.ref(r)), r, "locked PTE table")
    return hold.table
  }

  /// Page tables and PTEs.
  mutating func runPageTableOp(_ instr: Instr) throws(Stop) {
    switch instr {
    /// One lockless step of a page-table walk (`pud_offset`/`pmd_offset` + `READ_ONCE`).
    case .ptWalk(let a, let level, let parentOp, let into):
      let addr = try address(a)
      var result: Int32?
      if let p = parentOp {
        let pr = try ref(p, .table, "a parent table")
        try deref(value(p), pr, "parent table")
        let parent = s.tables[Int(pr.index)]
        guard Int(parent.level) == level - 1 else {
          throw broken("pt_walk to level \(level) needs a parent at level \(level - 1); table#\(pr.index) is at level \(parent.level)")
        }
        let child = s.tables.entry(in: parent, layout.slot(addr, level: level - 1))
        result = child < 0 ? nil : child
        if let c = result {
          let cr = Ref(kind: .table, index: c)
          try deref(Value(.ref(cr)), cr, "table")
        }
      } else {
        result = try walk(addr, to: level)
      }
      let pinned = th.mmap != .none || !th.vmaReadLocks.isEmpty
      if let table = result {
        set(into, Value(.ref(Ref(kind: .table, index: table)), section: pinned ? 0 : rcuTag))
        say("walks address \(addr) to level \(level): table#\(table)")
      } else {
        set(into, .none)
        say("walks address \(addr) to level \(level): entry empty")
      }
    /// `pte_alloc_one()` / `pmd_alloc_one()`.
    case .ptAlloc(let g, let into):
      guard try allocate(g, "pt_alloc") else { set(into, .none); return }
      let index = s.tables.appendTable()
      set(into, Value(.ref(Ref(kind: .table, index: index))))
      say("allocates table#\(index)")
    /// `pmd_install()` / `__pud_alloc()` populate step under the install lock.
    case .ptInstall(let a, let level, let tableOp, let parentOp, let into):
      let addr = try address(a)
      let tr = try ref(tableOp, .table, "a table")
      try deref(value(tableOp), tr, "table")
      guard holdsSpin(CompiledModel.pageTableLock) else {
        throw fail(.lockMisuse, "pt_install without holding page_table_lock (pmd_install takes the install lock)")
      }
      guard s.tables[Int(tr.index)].parent < 0 else {
        throw fail(.lockMisuse, "pt_install of table#\(tr.index), which is already linked", objects: [tr])
      }
      var parentIndex: Int32
      if let p = parentOp {
        let pr = try ref(p, .table, "a parent table")
        try deref(value(p), pr, "parent table")
        parentIndex = pr.index
        guard Int(s.tables[Int(parentIndex)].level) == level - 1 else {
          throw broken("pt_install at level \(level) needs a parent at level \(level - 1); table#\(parentIndex) is at level \(s.tables[Int(parentIndex)].level)")
        }
      } else {
        guard let found = try walk(addr, to: level - 1) else {
          set(into, Value(.bool(false)))
          say("pt_install: no parent table at level \(level - 1) for address \(addr)")
          return
        }
        parentIndex = found
      }
      let slot = layout.slot(addr, level: level - 1)
      guard s.tables.entry(parentIndex, slot) < 0 else {
        set(into, Value(.bool(false)))
        say("pt_install: entry already populated by another thread; table#\(tr.index) not installed")
        return
      }
      if parentIndex != 0 && !s.isLinked(parentIndex) {
        throw fail(
          .pageTableLeak,
          "installs table#\(tr.index) under table#\(parentIndex), which free_pgtables already unlinked: nothing will ever walk to it or free it",
          objects: [tr, Ref(kind: .table, index: parentIndex)])
      }
      s.tables.installTable(tr.index, level: level, parent: parentIndex, parentSlot: slot, layout: layout)
      s.tables.setEntry(parentIndex, slot, tr.index)
      set(into, Value(.bool(true)))
      say("installs table#\(tr.index) at level \(level) under table#\(parentIndex) entry \(slot)")
    /// `pte_free()` / `pte_free_defer()`.
    case .ptFree(let o, let mode):
      let r = try ref(o, .table, "a table")
      try checkNoMappings(r.index, "pt_free")
      try free(r, mode ?? model.options.pageTableFree, "table")
    /// `pte_offset_map_lock()` (mm/pgtable-generic.c): RCU, walk, take the ptl, recheck the pmd.
    case .pteLock(let a, let trylock, let into):
      let addr = try address(a)
      guard !th.ptl.contains(where: { $0.addr == Int32(addr) }) else {
        throw fail(.lockMisuse, "pte_lock(\(addr)) while already holding that PTE table lock")
      }
      guard let table = try walk(addr, to: layout.leafLevel) else {
        set(into, Value(.bool(false)))
        say("pte_lock(\(addr)): no PTE table (pmd_none)")
        return
      }
      if Int(s.tables[Int(table)].ptlOwner) == t {
        throw fail(.lockMisuse, "pte_lock(\(addr)) on table#\(table), whose ptl this thread already holds (recursive spinlock)")
      }
      if s.tables[Int(table)].ptlOwner >= 0 {
        guard trylock else { throw broken("pte_lock ran while the ptl was held (scheduler bug)") }
        set(into, Value(.bool(false)))
        say("pte_trylock(\(addr)) fails: table#\(table) ptl is held")
        return
      }
      s.tables[Int(table)].ptlOwner = Int8(t)
      try room(th.ptl, "PTE table locks")
      th.ptl.append(PTLHold(addr: Int32(addr), table: table))
      rcuEnter()
      set(into, Value(.bool(true)))
      say("locks the ptl of table#\(table) for address \(addr)")
    /// `spin_lock(pte_lockptr(mm, &pmdval))` on the table a lockless pmd read returned: the ptl step of
    /// `__pte_offset_map_lock()` (mm/pgtable-generic.c) *without* its `pmd_same` recheck, and the
    /// `pte_offset_map_ro_nolock`/`_rw_nolock` + `spin_lock` pattern. The table may have been unlinked or
    /// freed since the pmd was read; a program rechecks with `pt_walk` + `if_ne`. Like `pte_lock` it opens an
    /// implicit RCU read-side section (`__pte_offset_map`'s `rcu_read_lock`), closed by `pte_unlock`.
    case .pteLockTable(let a, let tableOp):
      let addr = try address(a)
      let tr = try ref(tableOp, .table, "a PTE table (from pt_walk at the leaf level)")
      try deref(value(tableOp), tr, "PTE table")
      guard Int(s.tables[Int(tr.index)].level) == layout.leafLevel else {
        throw broken("pte_lock_table needs a leaf table (level \(layout.leafLevel)); table#\(tr.index) is at level \(s.tables[Int(tr.index)].level)")
      }
      guard !th.ptl.contains(where: { $0.addr == Int32(addr) }) else {
        throw fail(.lockMisuse, "pte_lock_table(\(addr)) while already holding a PTE table lock for that address")
      }
      if Int(s.tables[Int(tr.index)].ptlOwner) == t {
        throw fail(.lockMisuse, "pte_lock_table(\(addr)) on table#\(tr.index), whose ptl this thread already holds (recursive spinlock)")
      }
      guard s.tables[Int(tr.index)].ptlOwner < 0 else { throw broken("pte_lock_table ran while the ptl was held (scheduler bug)") }
      s.tables[Int(tr.index)].ptlOwner = Int8(t)
      try room(th.ptl, "PTE table locks")
      th.ptl.append(PTLHold(addr: Int32(addr), table: tr.index))
      rcuEnter()
      say("locks the ptl of table#\(tr.index) for address \(addr)\(s.isLinked(tr.index) ? "" : " (the table is no longer linked)")")
    /// `pmdp_collapse_flush()` in `retract_page_tables()` (mm/khugepaged.c), and the `pmd_clear` of
    /// `move_normal_pmd()` (mm/mremap.c): unlinks the leaf table covering `addr` from its pmd entry,
    /// under the pmd lock (`page_table_lock` here). Returns the table that was there, or `none`. The table
    /// keeps its PTEs; free it with `pt_free_rcu` (`pte_free_defer`) or move it with `pmd_populate`.
    case .pmdClear(let a, let into):
      let addr = try address(a)
      guard holdsSpin(CompiledModel.pageTableLock) else {
        throw fail(.lockMisuse, "pmd_clear(\(addr)) without holding page_table_lock (the pmd lock)")
      }
      guard let table = try walk(addr, to: layout.leafLevel) else {
        set(into, .none)
        say("pmd_clear(\(addr)): the pmd is already none")
        return
      }
      let parent = s.tables[Int(table)].parent
      s.tables.setEntry(parent, Int(s.tables[Int(table)].parentSlot), -1)
      s.tables[Int(table)].parent = -1
      s.tables[Int(table)].parentSlot = -1
      set(into, Value(.ref(Ref(kind: .table, index: table))))
      say("clears the pmd of address \(addr): table#\(table) unlinked")
    /// `pmd_populate(mm, new_pmd, pmd_pgtable(pmd))` in `move_normal_pmd()` (mm/mremap.c): links an
    /// existing leaf table, PTEs included, as the table for `addr`, under the pmd lock. Returns false
    /// when there is no parent table or the pmd is not none.
    case .pmdPopulate(let a, let tableOp, let into):
      let addr = try address(a)
      let tr = try ref(tableOp, .table, "a PTE table")
      try deref(value(tableOp), tr, "PTE table")
      guard holdsSpin(CompiledModel.pageTableLock) else {
        throw fail(.lockMisuse, "pmd_populate(\(addr)) without holding page_table_lock (the pmd lock)")
      }
      guard Int(s.tables[Int(tr.index)].level) == layout.leafLevel else {
        throw broken("pmd_populate needs a leaf table (level \(layout.leafLevel)); table#\(tr.index) is at level \(s.tables[Int(tr.index)].level)")
      }
      guard s.tables[Int(tr.index)].parent < 0 else {
        throw fail(.lockMisuse, "pmd_populate of table#\(tr.index), which is still linked under another pmd", objects: [tr])
      }
      guard let parentIndex = try walk(addr, to: layout.leafLevel - 1) else {
        set(into, Value(.bool(false)))
        say("pmd_populate: no pmd table for address \(addr)")
        return
      }
      let slot = layout.slot(addr, level: layout.leafLevel - 1)
      guard s.tables.entry(parentIndex, slot) < 0 else {
        set(into, Value(.bool(false)))
        say("pmd_populate: the pmd of address \(addr) is not none")
        return
      }
      if parentIndex != 0 && !s.isLinked(parentIndex) {
        throw fail(
          .pageTableLeak,
          "links table#\(tr.index) under table#\(parentIndex), which free_pgtables already unlinked",
          objects: [tr, Ref(kind: .table, index: parentIndex)])
      }
      s.tables[Int(tr.index)].parent = parentIndex
      s.tables[Int(tr.index)].parentSlot = Int16(slot)
      s.tables.setEntry(parentIndex, slot, tr.index)
      set(into, Value(.bool(true)))
      say("pmd_populate: table#\(tr.index) now maps address \(addr) (under table#\(parentIndex) entry \(slot))")
    /// `pte_unmap_unlock()`.
    case .pteUnlock(let a):
      let addr = try address(a)
      let table = try heldTable(addr, "pte_unlock")
      s.tables[Int(table)].ptlOwner = -1
      th.ptl.removeAll { $0.addr == Int32(addr) }
      try rcuExit()
      say("unlocks the ptl of table#\(table)")
    /// `ptep_get()` under the ptl (`vmf_pte_changed` / `pte_same` rechecks).
    case .pteRead(let a, let into):
      let addr = try address(a)
      let table = try heldTable(addr, "pte_read")
      let pte = s.tables.pte(table, layout.slot(addr, level: layout.leafLevel))
      set(into, pte.present ? Value(.prot(pte.prot)) : .none)
      say("reads PTE \(addr): \(pte.present ? pte.prot.text : "none")")
    /// `set_pte_at()` / `set_ptes()` under the ptl: the fault's commit.
    case .pteSet(let a, let protOp, let pageOp, let vmaOp):
      let addr = try address(a)
      let table = try heldTable(addr, "pte_set")
      let protValue = value(protOp)
      let prot = try self.prot(protOp)
      var lineage: Int32 = -1
      var torn = protValue.torn
      if let vo = vmaOp {
        let vv = value(vo)
        torn = torn || vv.torn
        switch vv.payload {
        case .snapshot(let snap): lineage = snap.lineage
        case .ref:
          let v = try vma(vo)
          lineage = s.vmas[v].lineage
        case .none: break
        default: throw broken("pte_set needs a VMA or snapshot in \"vma\", found \(show(vv))")
        }
      }
      if torn {
        throw fail(.tornRead, "commits PTE \(addr) from a VMA value read while another thread was inside an in-place update of that VMA")
      }
      var pageIndex: Int32 = -1
      if let po = pageOp, !value(po).isNone {
        let pr = try ref(po, .page, "a page")
        try deref(value(po), pr, "page")
        pageIndex = pr.index
      }
      if !s.isLinked(table) {
        throw fail(
          .lostMapping,
          "writes PTE \(addr) into table#\(table), which is no longer linked into the page tables: the page stays mapped and leaks (Bad rss-counter state)",
          objects: [Ref(kind: .table, index: table)])
      }
      let slot = layout.slot(addr, level: layout.leafLevel)
      dropPage(s.tables.pte(table, slot))
      if pageIndex >= 0 { s.pages[Int(pageIndex)].mapcount += 1 }
      s.tables.setPTE(
        table, slot,
        PTE(present: true, prot: prot, page: pageIndex, lineage: lineage, committer: Int16(t), commitPC: Int32(pc)))
      say("sets PTE \(addr) = \(prot.text) in table#\(table)")
    /// `pte_clear()` under the ptl; the page is released as `zap_pte_range` does.
    case .pteClear(let a):
      let addr = try address(a)
      let table = try heldTable(addr, "pte_clear")
      let slot = layout.slot(addr, level: layout.leafLevel)
      dropPage(s.tables.pte(table, slot))
      s.tables.setPTE(table, slot, PTE())
      say("clears PTE \(addr)")
    /// `change_protection()`: under each ptl, narrows present PTEs.
    case .pteProtect(let a, let b, let p):
      let start = try address(a)
      let end = try address(b, allowEnd: true)
      let prot = try self.prot(p)
      var changed: [Int] = []
      for addr in start..<max(start, end) {
        guard let table = try walk(addr, to: layout.leafLevel) else { continue }
        let slot = layout.slot(addr, level: layout.leafLevel)
        var pte = s.tables.pte(table, slot)
        if pte.present {
          pte.prot = Prot(bits: pte.prot.bits & prot.bits)
          s.tables.setPTE(table, slot, pte)
          changed.append(addr)
        }
      }
      say(changed.isEmpty ? "change_protection: no present PTE in [\(start),\(end))" : "change_protection narrows PTEs \(changed.map(String.init).joined(separator: ", ")) to \(prot.text)")
    /// `zap_page_range` / `unmap_vmas` → `zap_pte_range`: clears PTEs under each ptl, frees unmapped pages.
    case .zap(let a, let b):
      let start = try address(a)
      let end = try address(b, allowEnd: true)
      var cleared: [Int] = []
      for addr in start..<max(start, end) {
        guard let table = try walk(addr, to: layout.leafLevel) else { continue }
        let slot = layout.slot(addr, level: layout.leafLevel)
        let pte = s.tables.pte(table, slot)
        if pte.present {
          dropPage(pte)
          s.tables.setPTE(table, slot, PTE())
          cleared.append(addr)
        }
      }
      say(cleared.isEmpty ? "zap [\(start),\(end)): no present PTE" : "zap [\(start),\(end)) clears PTEs \(cleared.map(String.init).joined(separator: ", "))")
    /// `free_pgtables()`; see ``freePgtables(_:bounds:mode:)``.
    case .freePgtables(let a, let b, let floorOp, let ceilingOp, let mode):
      let start = try address(a)
      let end = try address(b, allowEnd: true)
      var bounds: (Int, Int)?
      if let f = floorOp, let c = ceilingOp { bounds = (try address(f), try address(c, allowEnd: true)) }
      try freePgtables(start..<end, bounds: bounds, mode: mode ?? model.options.pageTableFree)
    default:
      break
    }
  }

  /// Releases the page a PTE maps; `zap` and `pte_clear` free pages no longer mapped (tlb_finish_mmu).
  mutating func dropPage(_ pte: PTE) {
    guard pte.present, pte.page >= 0 else { return }
    let p = Int(pte.page)
    s.pages[p].mapcount -= 1
    if s.pages[p].mapcount == 0 && s.pages[p].cachedAt < 0 && s.pages[p].life == .live {
      s.pages[p].life = .freed
      s.mm.freePages += 1
    }
  }

  /// `lost-mapping`: a table must not be freed while it still maps a page.
  func checkNoMappings(_ table: Int32, _ what: @autoclosure () -> String) throws(Stop) {
    let header = s.tables[Int(table)]
    if let i = (0..<Int(header.pteCount)).first(where: { s.tables.pte(in: header, $0).present }) {
      throw fail(
        .lostMapping,
        "\(what()) frees table#\(table) while its PTE \(i) is still present: the page stays mapped and leaks (Bad rss-counter state)",
        objects: [Ref(kind: .table, index: table)])
    }
  }

  /// `free_pgtables()` → `free_pgd_range()` (mm/memory.c): unlinks and frees, without any ptl,
  /// every table that meets `range` and lies between the neighbouring VMAs.
  ///
  /// Default bounds: a table is freed when no attached VMA overlaps it (the kernel's
  /// floor/ceiling). With explicit `bounds`, every table inside [floor, ceiling) is freed.
  mutating func freePgtables(_ range: Range<Int>, bounds: (Int, Int)?, mode: FreeMode) throws(Stop) {
    var order: [(table: Int32, base: Int)] = []
    func collect(_ index: Int32, base: Int) {
      let table = s.tables[Int(index)]
      guard table.life != .freed, table.entryCount > 0 else { return }
      let level = Int(table.level)
      for slot in 0..<Int(table.entryCount) {
        let child = s.tables.entry(in: table, slot)
        guard child >= 0 else { continue }
        let childBase = base + slot * layout.span(ofEntryAt: level)
        collect(child, base: childBase)
        order.append((child, childBase))
      }
    }
    collect(0, base: 0)
    var freed: [Int32] = []
    for (index, base) in order {
      let level = Int(s.tables[Int(index)].level)
      let span = base..<(base + layout.span(ofTableAt: level))
      guard span.overlaps(range) else { continue }
      if let (floor, ceiling) = bounds {
        guard floor <= span.lowerBound && span.upperBound <= ceiling else { continue }
      } else {
        let covered = s.vmas.contains { $0.attached && $0.life != .freed && Int($0.start) < span.upperBound && span.lowerBound < Int($0.end) }
        if covered { continue }
      }
      try checkNoMappings(index, "free_pgtables")
      let parent = s.tables[Int(index)].parent
      let slot = Int(s.tables[Int(index)].parentSlot)
      if parent >= 0 && s.tables.entry(parent, slot) == index {
        s.tables.setEntry(parent, slot, -1)
      }
      try free(Ref(kind: .table, index: index), mode, "table")
      freed.append(index)
    }
    say(freed.isEmpty ? "free_pgtables [\(range.lowerBound),\(range.upperBound)): nothing to free" : "free_pgtables [\(range.lowerBound),\(range.upperBound)) unlinks \(freed.map { "table#\($0)" }.joined(separator: ", "))")
  }
}
