extension StepContext {
  /// Pages, the page cache, generic objects, cells and globals.
  mutating func runObjectOp(_ instr: Instr) throws(Stop) {
    switch instr {
    /// `alloc_page()` / `folio_alloc()`.
    case .pageAlloc(let g, let into):
      guard try allocate(g, "page_alloc") else { set(into, .none); return }
      let index = Int32(s.pages.count)
      s.pages.append(PageState())
      set(into, Value(.ref(Ref(kind: .page, index: index))))
      say("allocates page#\(index)")
    /// `__free_page()`: a page still mapped by a PTE is a use-after-free through the user mapping.
    case .pageFree(let o):
      let r = try ref(o, .page, "a page")
      if s.pages[Int(r.index)].life == .live && s.pages[Int(r.index)].mapcount > 0 {
        throw fail(
          .useAfterFree,
          "frees page#\(r.index) while \(s.pages[Int(r.index)].mapcount) PTE(s) still map it: the user mapping now points to freed memory (Bad page state: nonzero mapcount)",
          objects: [r])
      }
      try free(r, .immediate, "page")
    /// `filemap_get_folio()` without I/O: a page-cache hit or none.
    case .filemapLookup(let a, let into):
      let addr = try address(a)
      if let i = s.pages.firstIndex(where: { $0.cachedAt == Int32(addr) && $0.life == .live }) {
        set(into, Value(.ref(Ref(kind: .page, index: Int32(i)))))
        say("page cache hit at \(addr): page#\(i)")
      } else {
        set(into, .none)
        say("page cache miss at \(addr)")
      }
    /// `filemap_fault()` reading the page in: may sleep.
    case .filemapRead(let a, let into):
      try mightSleep("filemap_read")
      let addr = try address(a)
      if let i = s.pages.firstIndex(where: { $0.cachedAt == Int32(addr) && $0.life == .live }) {
        set(into, Value(.ref(Ref(kind: .page, index: Int32(i)))))
        say("page cache hit at \(addr): page#\(i)")
      } else {
        var p = PageState()
        p.cachedAt = Int32(addr)
        s.pages.append(p)
        set(into, Value(.ref(Ref(kind: .page, index: Int32(s.pages.count - 1)))))
        say("reads page#\(s.pages.count - 1) into the page cache at \(addr)")
      }
    /// `call_rcu()`: queue any object to be freed after a grace period.
    case .callRcu(let o):
      let r = try ref(o, nil, "an object")
      try free(r, .rcu, r.kind.name)
    /// `kmalloc()` / `kmem_cache_alloc()` of a generic object (anon_vma, mempolicy, ...), refcount 1.
    case .objAlloc(let kind, let g, let into):
      let kindName = model.objectKinds[Int(kind)]
      guard try allocate(g, "obj_alloc(\(kindName))") else { set(into, .none); return }
      let index = Int32(s.objs.count)
      s.objs.append(ObjState(kind: kind))
      set(into, Value(.ref(Ref(kind: .obj, index: index))))
      say("allocates obj#\(index) (\(model.objectKinds[Int(kind)]))")
    /// `get_*()` / `refcount_inc()`: the reference pins the object for this thread.
    case .objGet(let o):
      let r = try ref(o, .obj, "an object")
      try deref(value(o), r, "object")
      s.objs[Int(r.index)].refcount += 1
      try room(th.pins, "counted references")
      th.pins.append(r)
      say("takes a reference on obj#\(r.index) (refcount \(s.objs[Int(r.index)].refcount))")
    /// `put_*()` / `refcount_dec_and_test()`: frees at zero, at once or through RCU.
    case .objPut(let o, let mode):
      let r = try ref(o, .obj, "an object")
      try deref(value(o), r, "object")
      s.objs[Int(r.index)].refcount -= 1
      if let i = th.pins.firstIndex(of: r) { th.pins.remove(at: i) }
      say("drops a reference on obj#\(r.index) (refcount \(s.objs[Int(r.index)].refcount))")
      if s.objs[Int(r.index)].refcount == 0 { try free(r, mode, "object") }
    /// `kfree()` / `kfree_rcu()`.
    case .objFree(let o, let mode):
      try free(try ref(o, .obj, "an object"), mode, "object")
    /// A dereference of the object (its memory is read).
    case .objUse(let o):
      let r = try ref(o, nil, "an object")
      try deref(value(o), r, r.kind.name)
      say("dereferences \(s.name(of: r))")
    /// `rcu_assign_pointer()`.
    case .cellStore(let c, let o):
      let protection = model.cellProtection[c]
      if protection >= 0 && !holdsSpin(protection) {
        throw fail(.lockMisuse, "cell_store(\(model.cellNames[c])) without holding \(model.spinlockNames[protection])")
      }
      if protection == CompiledModel.protectedByMmap && !holdsMmapWrite {
        throw fail(.lockMisuse, "cell_store(\(model.cellNames[c])) without holding mmap_lock for writing")
      }
      let v = value(o)
      s.cells[c] = Value(v.payload)
      say("publishes \(show(v)) in cell \(model.cellNames[c])")
    /// `rcu_dereference()` (or a plain load under the protecting lock).
    case .cellLoad(let c, let into):
      let protection = model.cellProtection[c]
      let underLock = (protection >= 0 && holdsSpin(protection)) || (protection == CompiledModel.protectedByMmap && th.mmap != .none)
      guard underLock || th.rcuDepth > 0 else {
        let lock = protection >= 0 ? model.spinlockNames[protection] : protection == CompiledModel.protectedByMmap ? "mmap_lock" : "RCU"
        throw fail(.lockMisuse, "cell_load(\(model.cellNames[c])) with neither RCU nor \(lock) held")
      }
      var v = s.cells[c]
      v.section = underLock ? 0 : rcuTag
      set(into, v)
      say("loads \(show(v)) from cell \(model.cellNames[c])")
    /// A plain load of a global.
    case .load(let g, let into):
      set(into, s.globals[g])
      say("\(model.globalNames[g]) = \(show(s.globals[g]))")
    /// A plain store to a global.
    case .store(let g, let o):
      s.globals[g] = Value(value(o).payload, torn: value(o).torn)
      say("\(model.globalNames[g]) := \(show(s.globals[g]))")
    default:
      break
    }
  }
}
