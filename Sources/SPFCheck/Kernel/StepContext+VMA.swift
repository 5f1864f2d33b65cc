extension StepContext {
  /// The VMA tree and VMA objects.
  mutating func runVMAOp(_ instr: Instr) throws(Stop) {
    switch instr {
    /// `vma_lookup()` / `mas_walk()` on `mm->mm_mt`: needs RCU or the mmap_lock.
    case .vmaLookup(let a, let into):
      let addr = try address(a)
      guard th.rcuDepth > 0 || th.mmap != .none else {
        throw fail(.lockMisuse, "vma_lookup(\(addr)) with neither RCU nor mmap_lock held")
      }
      let found = s.tree.first { Int(s.vmas[Int($0)].start) <= addr && addr < Int(s.vmas[Int($0)].end) }
      if let v = found {
        set(into, Value(.ref(Ref(kind: .vma, index: v)), section: th.mmap == .none ? rcuTag : 0))
        say("vma_lookup(\(addr)) finds vma#\(v)")
      } else {
        set(into, .none)
        say("vma_lookup(\(addr)) finds no VMA")
      }
    /// `vm_area_alloc()`.
    case .vmaAlloc(let g, let a, let b, let p, let anon, let into):
      let start = try address(a)
      let end = try address(b, allowEnd: true)
      let prot = try self.prot(p)
      guard start < end else { throw broken("vma_alloc needs start < end, found [\(start), \(end))") }
      guard try allocate(g, "vma_alloc") else { set(into, .none); return }
      let index = Int32(s.vmas.count)
      s.vmas.append(VMAState(start: Int32(start), end: Int32(end), prot: prot, anon: anon, lineage: index))
      set(into, Value(.ref(Ref(kind: .vma, index: index))))
      say("allocates vma#\(index) [\(start),\(end)) \(prot.text)")
    /// `vm_area_dup()`: a detached copy with the same lineage.
    case .vmaClone(let o, let g, let into):
      let v = try vma(o)
      guard try allocate(g, "vma_clone") else { set(into, .none); return }
      let index = Int32(s.vmas.count)
      let src = s.vmas[v]
      var copy = VMAState(start: src.start, end: src.end, prot: src.prot, anon: src.anon, lineage: src.lineage)
      copy.anonVma = src.anonVma
      copy.policy = src.policy
      copy.file = src.file
      s.vmas.append(copy)
      set(into, Value(.ref(Ref(kind: .vma, index: index))))
      say("clones vma#\(v) into vma#\(index)")
    /// In-place write of one VMA field (`vm_flags_set`, `vma->vm_end = ...`).
    case .vmaSet(let o, let field, let valueOp):
      let v = try vma(o)
      try checkInPlaceWrite(v, what: "vma_set(\(field.rawValue))", field: field)
      let value = self.value(valueOp)
      switch (field, value.payload) {
      case (.start, .int(let i)): s.vmas[v].start = Int32(i)
      case (.end, .int(let i)): s.vmas[v].end = Int32(i)
      case (.prot, .prot(let p)): s.vmas[v].prot = p
      case (.anon, .bool(let b)): s.vmas[v].anon = b
      case (.anonVma, .ref(let r)): s.vmas[v].anonVma = r
      case (.anonVma, .none): s.vmas[v].anonVma = nil
      case (.policy, .ref(let r)): s.vmas[v].policy = r
      case (.policy, .none): s.vmas[v].policy = nil
      case (.file, .ref(let r)): s.vmas[v].file = r
      case (.file, .none): s.vmas[v].file = nil
      default: throw broken("vma_set(\(field.rawValue)) cannot take \(show(value))")
      }
      if s.vmas[v].bracketOwner != Int8(t) { s.vmas[v].seq += 2 }
      say("sets vma#\(v).\(field.rawValue) = \(show(value))")
    /// Opens an in-place update bracket (Dufour's `vm_write_begin`: `vm_sequence` becomes odd).
    case .vmaWriteBegin(let o):
      let v = try vma(o)
      try checkInPlaceWrite(v, what: "vma_write_begin", field: nil)
      guard s.vmas[v].bracketOwner < 0 else { throw fail(.lockMisuse, "vma_write_begin(vma#\(v)) while a bracket is already open") }
      s.vmas[v].bracketOwner = Int8(t)
      s.vmas[v].seq += 1
      say("begins an in-place update of vma#\(v) (vm_sequence \(s.vmas[v].seq))")
    /// Closes the bracket (Dufour's `vm_write_end`: `vm_sequence` becomes even).
    case .vmaWriteEnd(let o):
      let v = try vma(o)
      guard s.vmas[v].bracketOwner == Int8(t) else { throw fail(.lockMisuse, "vma_write_end(vma#\(v)) without vma_write_begin") }
      s.vmas[v].bracketOwner = -1
      s.vmas[v].seq += 1
      say("ends the in-place update of vma#\(v) (vm_sequence \(s.vmas[v].seq))")
    /// Reads one field of a VMA or of a snapshot; torn when a writer is inside a bracket.
    case .vmaRead(let o, let field, let into):
      let source = value(o)
      if case .snapshot(let snap) = source.payload {
        set(into, Self.read(field, start: snap.start, end: snap.end, prot: snap.prot, anon: snap.anon,
                            anonVma: snap.anonVma, policy: snap.policy, file: snap.file, torn: source.torn))
        say("reads snapshot.\(field.rawValue) = \(show(s.regs[t, into]))")
        return
      }
      let v = try vma(o)
      let vm = s.vmas[v]
      let torn = vm.bracketOwner >= 0 && Int(vm.bracketOwner) != t
      set(into, Self.read(field, start: vm.start, end: vm.end, prot: vm.prot, anon: vm.anon,
                          anonVma: vm.anonVma, policy: vm.policy, file: vm.file, torn: torn))
      say("reads vma#\(v).\(field.rawValue) = \(show(s.regs[t, into]))\(torn ? " while another thread is mid-update" : "")")
    /// Lespinasse's `pvma = *vma`: a thread-local copy in one step.
    case .vmaCopy(let o, let into):
      let v = try vma(o)
      let vm = s.vmas[v]
      let torn = vm.bracketOwner >= 0 && Int(vm.bracketOwner) != t
      let snap = Snapshot(source: Int32(v), start: vm.start, end: vm.end, prot: vm.prot, anon: vm.anon,
                          lineage: vm.lineage, anonVma: vm.anonVma, policy: vm.policy, file: vm.file)
      set(into, Value(.snapshot(snap), torn: torn))
      say("copies vma#\(v)\(torn ? " while another thread is mid-update (torn copy)" : "")")
    /// `vma_iter_store_new()`: insert and mark attached; needs the mmap write lock.
    case .vmaInsert(let o):
      let v = try vma(o)
      guard holdsMmapWrite else { throw fail(.lockMisuse, "vma_insert(vma#\(v)) without holding mmap_lock for writing") }
      guard !s.vmas[v].inTree else { throw fail(.lockMisuse, "vma_insert(vma#\(v)): already in the VMA tree") }
      s.vmas[v].inTree = true
      s.vmas[v].attached = true
      s.tree.append(Int32(v))
      say("inserts vma#\(v) into the VMA tree")
    /// `vma_iter_clear_gfp()`: remove from the tree (the VMA was detached before).
    case .vmaRemove(let o):
      let r = try ref(o, .vma, "a VMA")
      let v = Int(r.index)
      guard holdsMmapWrite else { throw fail(.lockMisuse, "vma_remove(vma#\(v)) without holding mmap_lock for writing") }
      guard s.vmas[v].inTree else { throw fail(.lockMisuse, "vma_remove(vma#\(v)): not in the VMA tree") }
      s.vmas[v].inTree = false
      s.tree.removeAll { $0 == Int32(v) }
      say("removes vma#\(v) from the VMA tree")
    /// Copy-on-modify publish: the new VMA replaces the old in one tree store.
    case .vmaReplace(let oldOp, let newOp, let into):
      let old = Int(try ref(oldOp, .vma, "a VMA").index)
      let new = try vma(newOp, "new VMA")
      guard holdsMmapWrite else { throw fail(.lockMisuse, "vma_replace without holding mmap_lock for writing") }
      guard s.vmas[old].inTree, let pos = s.tree.firstIndex(of: Int32(old)) else {
        set(into, Value(.bool(false)))
        say("vma_replace fails: vma#\(old) is not in the tree")
        return
      }
      s.vmas[old].inTree = false
      s.vmas[old].attached = false
      s.vmas[new].inTree = true
      s.vmas[new].attached = true
      s.tree[pos] = Int32(new)
      set(into, Value(.bool(true)))
      say("publishes vma#\(new) in place of vma#\(old) (old detached)")
    /// `vm_area_free()` / RCU-deferred `vm_area_free_rcu_cb`.
    case .vmaFree(let o, let mode):
      let r = try ref(o, .vma, "a VMA")
      try free(r, mode, "VMA")
    /// `get_vma()` (Dufour) / Wilcox's VMA refcount slow path: the reference pins the VMA.
    case .vmaGet(let o):
      let v = try vma(o)
      s.vmas[v].refcount += 1
      try room(th.pins, "counted references")
      th.pins.append(Ref(kind: .vma, index: Int32(v)))
      say("takes a reference on vma#\(v) (refcount \(s.vmas[v].refcount))")
    /// `put_vma()`.
    case .vmaPut(let o):
      let v = try vma(o)
      guard s.vmas[v].refcount > 0 else { throw fail(.lockMisuse, "vma_put(vma#\(v)) with no reference held") }
      s.vmas[v].refcount -= 1
      if let i = th.pins.firstIndex(of: Ref(kind: .vma, index: Int32(v))) { th.pins.remove(at: i) }
      say("drops a reference on vma#\(v) (refcount \(s.vmas[v].refcount))")
    /// Waits until no reference is left (the writer side of a VMA refcount); may sleep.
    case .vmaWaitUnused(let o):
      try mightSleep("vma_wait_unused")
      let v = try vma(o)
      say("vma#\(v) has no references left")
    default:
      break
    }
  }

  /// Lock rules for an in-place VMA write: an attached VMA needs its VMA write lock;
  /// `anon_vma` may also be set under mmap_lock + page_table_lock, as `__anon_vma_prepare` does.
  func checkInPlaceWrite(_ v: Int, what: @autoclosure () -> String, field: VMAField?) throws(Stop) {
    guard s.vmas[v].attached else { return }
    if field == .anonVma {
      // __anon_vma_prepare: mmap_lock (read suffices) + page_table_lock; or the VMA write lock (dup_anon_vma).
      guard isVMAWriteLocked(v) || (th.mmap != .none && holdsSpin(CompiledModel.pageTableLock)) else {
        let held = th.mmap == .none ? "without mmap_lock" : "holding mmap_lock but not page_table_lock"
        throw fail(.lockMisuse, "\(what()) on attached vma#\(v) \(held), and without its VMA write lock (anon_vma needs mmap_lock + page_table_lock, or the VMA write lock)")
      }
      return
    }
    if s.vmas[v].bracketOwner == Int8(t) { return }
    guard isVMAWriteLocked(v) else {
      throw fail(.lockMisuse, "\(what()) on attached vma#\(v) without its VMA write lock (vma_start_write under mmap_write_lock)")
    }
  }

  static func read(
    _ field: VMAField, start: Int32, end: Int32, prot: Prot, anon: Bool, anonVma: Ref?, policy: Ref?, file: Ref?,
    torn: Bool
  ) -> Value {
    let payload: Payload
    switch field {
    case .start: payload = .int(Int(start))
    case .end: payload = .int(Int(end))
    case .prot: payload = .prot(prot)
    case .anon: payload = .bool(anon)
    case .anonVma: payload = anonVma.map { .ref($0) } ?? .none
    case .policy: payload = policy.map { .ref($0) } ?? .none
    case .file: payload = file.map { .ref($0) } ?? .none
    }
    return Value(payload, torn: torn)
  }
}
