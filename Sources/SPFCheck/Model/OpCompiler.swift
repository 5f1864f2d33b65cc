/// What an operand field may hold.
enum OperandKind {
  case addr, bound, int, prot, vma, obj, ref, any, bool
}

extension ThreadCompiler {
  // MARK: Operands

  /// The register named by the op's `into`, if present.
  mutating func intoRegister(_ r: OpReader, frame: Frame) throws(ModelError) -> Int? {
    guard let n = r.optional("into") else { return nil }
    let idx = register(try n.string("a register name"), frame: frame)
    written.insert(idx)
    return idx
  }

  mutating func requiredInto(_ r: OpReader, frame: Frame) throws(ModelError) -> Int {
    guard let i = try intoRegister(r, frame: frame) else { throw r.node.error("op \"\(r.name)\" needs \"into\" (the result register)") }
    return i
  }

  /// Reads field `key` as an operand of `kind`.
  mutating func operand(_ r: inout OpReader, _ key: String, _ kind: OperandKind, frame: Frame) throws(ModelError) -> Operand {
    let n = try r.required(key)
    let o = try resolve(n, kind, frame: frame)
    r.note(key, text(o))
    return o
  }

  mutating func optionalOperand(_ r: inout OpReader, _ key: String, _ kind: OperandKind, frame: Frame) throws(ModelError) -> Operand? {
    guard let n = r.optional(key) else { return nil }
    let o = try resolve(n, kind, frame: frame)
    r.note(key, text(o))
    return o
  }

  /// Narration text for a compiled operand: the constant, or the register's name.
  func text(_ o: Operand) -> String {
    switch o {
    case .reg(let i):
      let name = registerNames[i]
      return name.split(separator: ".").last.map(String.init) ?? name
    case .const(let c):
      switch c.value.payload {
      case .none: return "none"
      case .int(let i): return String(i)
      case .bool(let b): return b ? "true" : "false"
      case .sym(let i): return builder.symbols[Int(i)]
      case .prot(let p): return p.text
      case .ref(let r):
        if r.kind == .vma, Int(r.index) < builder.vmaNames.count { return builder.vmaNames[Int(r.index)] }
        if r.kind == .obj, Int(r.index) < builder.objectNames.count { return builder.objectNames[Int(r.index)] }
        return "\(r.kind.name)#\(r.index)"
      case .snapshot: return "snapshot"
      }
    }
  }

  /// A register operand named by a plain string field such as `reg`.
  mutating func registerField(_ r: inout OpReader, _ key: String, frame: Frame) throws(ModelError) -> Operand {
    let n = try r.required(key)
    if case .string(let s) = n.json, s.hasPrefix("@") {
      let o = try resolve(n, .any, frame: frame)
      r.note(key, text(o))
      return o
    }
    let idx = register(try n.string("a register name"), frame: frame)
    noteRead(idx, n)
    r.note(key, text(.reg(idx)))
    return .reg(idx)
  }

  mutating func resolve(_ n: JSONNode, _ kind: OperandKind, frame: Frame) throws(ModelError) -> Operand {
    if case .string(let s) = n.json, s.hasPrefix("@") {
      guard let arg = frame.args[String(s.dropFirst())] else {
        throw n.error("no argument \"\(s)\": the thread or call that runs program \"\(frame.program)\" passes no \"\(s.dropFirst())\" in \"args\"")
      }
      switch arg {
      case .reg(let idx, _): return .reg(idx)
      case .json(let argNode): return try resolveConstant(argNode, kind, frame: frame)
      }
    }
    if case .object = n.json, let regNode = n.child("reg") {
      _ = try n.members(allowed: ["reg"], what: "a register operand")
      let idx = register(try regNode.string("a register name"), frame: frame)
      noteRead(idx, regNode)
      return .reg(idx)
    }
    return try resolveConstant(n, kind, frame: frame)
  }

  private mutating func resolveConstant(_ n: JSONNode, _ kind: OperandKind, frame: Frame) throws(ModelError) -> Operand {
    if case .object(let members) = n.json, members.count == 1, let key = members.first?.key, ["prot", "vma", "obj"].contains(key) {
      let inner = n.child(key)!
      switch key {
      case "prot": return try resolveConstant(inner, .prot, frame: frame)
      case "vma": return try resolveConstant(inner, .vma, frame: frame)
      default: return try resolveConstant(inner, .obj, frame: frame)
      }
    }
    if case .null = n.json, [.vma, .obj, .ref, .any].contains(kind) { return .constant(.none) }
    switch kind {
    case .addr, .bound:
      let v = try builder.address(n, what: "an address (an integer or {\"reg\": name})", allowEnd: kind == .bound)
      return .constant(Value(.int(v)))
    case .int:
      return .constant(Value(.int(try n.int("an integer or {\"reg\": name}"))))
    case .bool:
      return .constant(Value(.bool(try n.bool("a boolean or {\"reg\": name}"))))
    case .prot:
      let s = try n.string("a protection such as \"r\", \"rw\" or {\"reg\": name}")
      guard let p = Prot(parsing: s) else { throw n.error("expected a protection made of r, w, x (or \"none\"), found \"\(s)\"") }
      return .constant(Value(.prot(p)))
    case .vma:
      let s = try n.string("a VMA name, null or {\"reg\": name}")
      guard let i = builder.vmaNames.firstIndex(of: s) else {
        throw n.error("unknown VMA \"\(s)\"; declared VMAs: \(builder.vmaNames.joined(separator: ", "))")
      }
      return .constant(Value(.ref(Ref(kind: .vma, index: Int32(i)))))
    case .obj, .ref:
      let s = try n.string("an object name, null or {\"reg\": name}")
      if let i = builder.objectNames.firstIndex(of: s) { return .constant(Value(.ref(Ref(kind: .obj, index: Int32(i))))) }
      if kind == .ref, let i = builder.vmaNames.firstIndex(of: s) { return .constant(Value(.ref(Ref(kind: .vma, index: Int32(i))))) }
      throw n.error("unknown object \"\(s)\"; declare it under \"objects\"")
    case .any:
      switch n.json {
      case .int(let v): return .constant(Value(.int(v)))
      case .bool(let b): return .constant(Value(.bool(b)))
      case .string(let s): return .constant(Value(.sym(builder.internSymbol(s))))
      default: throw n.error("expected an integer, boolean, string, null, {\"reg\"}, {\"prot\"}, {\"vma\"} or {\"obj\"}, found \(n.json.kindName)")
      }
    }
  }

  private mutating func gfp(_ r: inout OpReader) throws(ModelError) -> GFP {
    let n = try r.required("gfp")
    let s = try n.string("allocation flags such as \"kernel\" or \"nowait|nomemalloc|nowarn\"")
    r.note("gfp", n)
    let parts = s.split(separator: "|").map(String.init)
    guard let first = parts.first, let base = GFP.Base(rawValue: first) else {
      throw n.error("allocation flags start with kernel, nowait or atomic; found \"\(s)\"")
    }
    var g = GFP(base: base)
    for p in parts.dropFirst() {
      switch p {
      case "nomemalloc": g.nomemalloc = true
      case "nowarn": g.nowarn = true
      case "noretry": g.noretry = true
      default: throw n.error("unknown allocation modifier \"\(p)\"; expected nomemalloc, nowarn or noretry")
      }
    }
    return g
  }

  private func level(_ r: inout OpReader) throws(ModelError) -> Int {
    let n = try r.required("level")
    r.note("level", n)
    let v = try n.int("a table level")
    guard (1...builder.layout.leafLevel).contains(v) else {
      throw n.error("expected a level from 1 to \(builder.layout.leafLevel) (level 0 is the root, which always exists)")
    }
    return v
  }

  private func field(_ r: inout OpReader) throws(ModelError) -> VMAField {
    let n = try r.required("field")
    r.note("field", n)
    let s = try n.string("a VMA field name")
    guard let f = VMAField(rawValue: s) else {
      throw n.error("unknown VMA field \"\(s)\"; expected one of: \(VMAField.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return f
  }

  private func mode(_ r: inout OpReader) throws(ModelError) -> FreeMode? {
    guard let n = r.optional("mode") else { return nil }
    r.note("mode", n)
    let s = try n.string()
    guard let m = FreeMode(rawValue: s) else { throw n.error("expected \"immediate\" or \"rcu\", found \"\(s)\"") }
    return m
  }

  private mutating func target(_ r: inout OpReader) throws(ModelError) -> String {
    let n = try r.required("goto")
    r.note("goto", n)
    return try n.string("a label")
  }

  private mutating func lockName(_ r: inout OpReader) throws(ModelError) -> Int {
    let n = try r.required("lock")
    r.note("lock", n)
    return builder.internSpinlock(try n.string("a spinlock name"))
  }

  private func cell(_ r: inout OpReader) throws(ModelError) -> Int {
    let n = try r.required("cell")
    r.note("cell", n)
    let s = try n.string("a cell name")
    guard let i = builder.cellNames.firstIndex(of: s) else {
      throw n.error("unknown cell \"\(s)\"; declare it under \"cells\"")
    }
    return i
  }

  private func global(_ r: inout OpReader) throws(ModelError) -> Int {
    let n = try r.required("global")
    r.note("global", n)
    let s = try n.string("a global name")
    guard let i = builder.globalNames.firstIndex(of: s) else {
      throw n.error("unknown global \"\(s)\"; declare it under \"globals\"")
    }
    return i
  }

  /// The condition of an `if_*` op or an `assert` (`check` names the test for assert).
  private mutating func condition(_ r: inout OpReader, test: String, frame: Frame) throws(ModelError) -> Condition {
    let reg = try registerField(&r, "reg", frame: frame)
    switch test {
    case "true": return .isTrue(reg)
    case "false": return .isFalse(reg)
    case "none": return .isNone(reg)
    case "some": return .isSome(reg)
    case "odd": return .isOdd(reg)
    case "even": return .isEven(reg)
    case "eq", "ne", "lt", "ge":
      let other: Operand
      if r.optional("reg2") != nil {
        other = try registerField(&r, "reg2", frame: frame)
      } else if r.optional("value") != nil {
        other = try operand(&r, "value", .any, frame: frame)
      } else {
        throw r.node.error("op \"\(r.name)\" compares \"reg\" with \"reg2\" or with \"value\"; give one of them")
      }
      switch test {
      case "eq": return .equal(reg, other)
      case "ne": return .notEqual(reg, other)
      case "lt": return .lessThan(reg, other)
      default: return .greaterOrEqual(reg, other)
      }
    case "allows":
      let n = try r.required("access")
      r.note("access", n)
      let s = try n.string("an access: r, w or x")
      guard ["r", "w", "x"].contains(s), let p = Prot(parsing: s) else { throw n.error("expected an access: r, w or x, found \"\(s)\"") }
      return .allows(reg, p)
    default:
      throw (r.optional("check") ?? r.node).error("unknown check \"\(test)\"; expected true, false, none, some, odd, even, eq, ne, lt, ge or allows")
    }
  }

  // MARK: Ops

  mutating func compileOp(_ r: inout OpReader, frame: inout Frame) throws(ModelError) {
    let f = frame
    switch r.name {
    case "goto":
      let t = try target(&r)
      try emit(.goto(-1), r, frame: &frame, target: t)
    case "if", "if_not", "if_none", "if_some", "if_odd", "if_even", "if_eq", "if_ne", "if_lt", "if_ge", "if_allows":
      let test = ["if": "true", "if_not": "false"][r.name] ?? String(r.name.dropFirst(3))
      let c = try condition(&r, test: test, frame: f)
      let t = try target(&r)
      try emit(.branch(c, -1), r, frame: &frame, target: t)
    case "choose":
      let t = try target(&r)
      try emit(.choose(-1), r, frame: &frame, target: t)
    case "assert":
      let test = try r.optional("check")?.string("a check name") ?? "true"
      let c = try condition(&r, test: test, frame: f)
      let message = try r.optional("message")?.string() ?? "assertion at \(r.node.path) failed"
      try emit(.assert(c), r, frame: &frame)
      sites[sites.count - 1].message = message
    case "mov":
      let v = try operand(&r, "value", .any, frame: f)
      try emit(.mov(v, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "end":
      var kind = EndKind.done
      if let n = r.optional("outcome") {
        r.note("outcome", n)
        let s = try n.string()
        guard let k = EndKind(rawValue: s) else { throw n.error("expected an outcome: done, sigsegv, retry or restart; found \"\(s)\"") }
        kind = k
      }
      try emit(.end(kind), r, frame: &frame)
    case "return":
      let v = try optionalOperand(&r, "value", .any, frame: f)
      try emitReturnValue(v, r, frame: &frame)
    case "nop": try emit(.nop, r, frame: &frame)
    case "mmap_read_lock": try emit(.mmapReadLock, r, frame: &frame)
    case "mmap_read_trylock": try emit(.mmapReadTrylock(into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "mmap_read_unlock": try emit(.mmapReadUnlock, r, frame: &frame)
    case "mmap_write_lock": try emit(.mmapWriteLock, r, frame: &frame)
    case "mmap_write_unlock": try emit(.mmapWriteUnlock, r, frame: &frame)
    case "mmap_write_downgrade": try emit(.mmapWriteDowngrade, r, frame: &frame)
    case "mmap_seq_read": try emit(.mmapSeqRead(into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "mmap_seq_check":
      let s = try operand(&r, "seq", .int, frame: f)
      try emit(.mmapSeqCheck(s, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_seq_read":
      let v = try operand(&r, "vma", .vma, frame: f)
      try emit(.vmaSeqRead(v, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_seq_check":
      let v = try operand(&r, "vma", .vma, frame: f)
      let s = try operand(&r, "seq", .int, frame: f)
      try emit(.vmaSeqCheck(v, s, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_start_read":
      let v = try operand(&r, "vma", .vma, frame: f)
      try emit(.vmaStartRead(v, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "vma_end_read": try emit(.vmaEndRead(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_start_write": try emit(.vmaStartWrite(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_mark_detached": try emit(.vmaMarkDetached(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_mark_attached": try emit(.vmaMarkAttached(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_lock_seq_read":
      let v = try operand(&r, "vma", .vma, frame: f)
      try emit(.vmaLockSeqRead(v, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_read_trylock":
      let v = try operand(&r, "vma", .vma, frame: f)
      try emit(.vmaReadTrylock(v, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "vma_is_attached":
      let v = try operand(&r, "vma", .vma, frame: f)
      try emit(.vmaIsAttached(v, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_lookup":
      let a = try operand(&r, "addr", .addr, frame: f)
      try emit(.vmaLookup(addr: a, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_alloc":
      let g = try gfp(&r)
      let s = try operand(&r, "start", .addr, frame: f)
      let e = try operand(&r, "end", .bound, frame: f)
      let p = try operand(&r, "prot", .prot, frame: f)
      let anon = try r.optional("anon")?.bool() ?? true
      try emit(.vmaAlloc(g, start: s, end: e, prot: p, anon: anon, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_clone":
      let v = try operand(&r, "vma", .vma, frame: f)
      let g = try gfp(&r)
      try emit(.vmaClone(v, g, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_set":
      let v = try operand(&r, "vma", .vma, frame: f)
      let fl = try field(&r)
      let kind: OperandKind = fl == .prot ? .prot : (fl == .start || fl == .end) ? .bound : fl == .anon ? .bool : .obj
      let value = try operand(&r, "value", kind, frame: f)
      try emit(.vmaSet(v, fl, value), r, frame: &frame)
    case "vma_write_begin": try emit(.vmaWriteBegin(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_write_end": try emit(.vmaWriteEnd(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_read":
      let v = try operand(&r, "vma", .vma, frame: f)
      let fl = try field(&r)
      try emit(.vmaRead(v, fl, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_copy":
      let v = try operand(&r, "vma", .vma, frame: f)
      try emit(.vmaCopy(v, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "vma_insert": try emit(.vmaInsert(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_remove": try emit(.vmaRemove(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_replace":
      let o = try operand(&r, "old", .vma, frame: f)
      let n = try operand(&r, "new", .vma, frame: f)
      try emit(.vmaReplace(o, n, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "vma_free": try emit(.vmaFree(try operand(&r, "vma", .vma, frame: f), .immediate), r, frame: &frame)
    case "vma_free_rcu": try emit(.vmaFree(try operand(&r, "vma", .vma, frame: f), .rcu), r, frame: &frame)
    case "vma_get": try emit(.vmaGet(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_put": try emit(.vmaPut(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "vma_wait_unused": try emit(.vmaWaitUnused(try operand(&r, "vma", .vma, frame: f)), r, frame: &frame)
    case "pt_walk":
      let a = try operand(&r, "addr", .addr, frame: f)
      let l = try level(&r)
      let p = try optionalOperand(&r, "parent", .ref, frame: f)
      try emit(.ptWalk(addr: a, level: l, parent: p, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "pt_alloc":
      let g = try gfp(&r)
      try emit(.ptAlloc(g, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "pt_install":
      let a = try operand(&r, "addr", .addr, frame: f)
      let l = try level(&r)
      let t = try operand(&r, "table", .ref, frame: f)
      let p = try optionalOperand(&r, "parent", .ref, frame: f)
      try emit(.ptInstall(addr: a, level: l, table: t, parent: p, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "pt_free": try emit(.ptFree(try operand(&r, "table", .ref, frame: f), .immediate), r, frame: &frame)
    case "pt_free_rcu": try emit(.ptFree(try operand(&r, "table", .ref, frame: f), .rcu), r, frame: &frame)
    case "pte_lock", "pte_trylock":
      let a = try operand(&r, "addr", .addr, frame: f)
      try emit(.pteLock(addr: a, trylock: r.name == "pte_trylock", into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "pte_lock_table":
      let a = try operand(&r, "addr", .addr, frame: f)
      let t = try operand(&r, "table", .ref, frame: f)
      try emit(.pteLockTable(addr: a, table: t), r, frame: &frame)
    case "pmd_clear":
      let a = try operand(&r, "addr", .addr, frame: f)
      try emit(.pmdClear(addr: a, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "pmd_populate":
      let a = try operand(&r, "addr", .addr, frame: f)
      let t = try operand(&r, "table", .ref, frame: f)
      try emit(.pmdPopulate(addr: a, table: t, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "pte_unlock": try emit(.pteUnlock(addr: try operand(&r, "addr", .addr, frame: f)), r, frame: &frame)
    case "pte_read":
      let a = try operand(&r, "addr", .addr, frame: f)
      try emit(.pteRead(addr: a, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "pte_set":
      let a = try operand(&r, "addr", .addr, frame: f)
      let p = try operand(&r, "prot", .prot, frame: f)
      let pg = try optionalOperand(&r, "page", .ref, frame: f)
      let v = try optionalOperand(&r, "vma", .vma, frame: f)
      try emit(.pteSet(addr: a, prot: p, page: pg, vma: v), r, frame: &frame)
    case "pte_clear": try emit(.pteClear(addr: try operand(&r, "addr", .addr, frame: f)), r, frame: &frame)
    case "pte_protect":
      let s = try operand(&r, "start", .addr, frame: f)
      let e = try operand(&r, "end", .bound, frame: f)
      let p = try operand(&r, "prot", .prot, frame: f)
      try emit(.pteProtect(start: s, end: e, prot: p), r, frame: &frame)
    case "zap":
      let s = try operand(&r, "start", .addr, frame: f)
      let e = try operand(&r, "end", .bound, frame: f)
      try emit(.zap(start: s, end: e), r, frame: &frame)
    case "free_pgtables":
      let s = try operand(&r, "start", .addr, frame: f)
      let e = try operand(&r, "end", .bound, frame: f)
      let fl = try optionalOperand(&r, "floor", .addr, frame: f)
      let c = try optionalOperand(&r, "ceiling", .bound, frame: f)
      if (fl == nil) != (c == nil) { throw r.node.error("free_pgtables takes both \"floor\" and \"ceiling\", or neither") }
      try emit(.freePgtables(start: s, end: e, floor: fl, ceiling: c, mode: try mode(&r)), r, frame: &frame)
    case "page_alloc":
      let g = try gfp(&r)
      try emit(.pageAlloc(g, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "page_free": try emit(.pageFree(try operand(&r, "page", .ref, frame: f)), r, frame: &frame)
    case "filemap_lookup", "filemap_read":
      let a = try operand(&r, "addr", .addr, frame: f)
      let into = try requiredInto(r, frame: f)
      try emit(r.name == "filemap_read" ? .filemapRead(addr: a, into: into) : .filemapLookup(addr: a, into: into), r, frame: &frame)
    case "rcu_read_lock": try emit(.rcuReadLock, r, frame: &frame)
    case "rcu_read_unlock": try emit(.rcuReadUnlock, r, frame: &frame)
    case "synchronize_rcu": try emit(.synchronizeRcu, r, frame: &frame)
    case "call_rcu": try emit(.callRcu(try operand(&r, "obj", .ref, frame: f)), r, frame: &frame)
    case "obj_alloc":
      let kn = try r.required("kind")
      r.note("kind", kn)
      let kind = builder.internKind(try kn.string("an object kind"))
      let g = try gfp(&r)
      try emit(.objAlloc(kind: kind, g, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "obj_get": try emit(.objGet(try operand(&r, "obj", .obj, frame: f)), r, frame: &frame)
    case "obj_put":
      let o = try operand(&r, "obj", .obj, frame: f)
      let rcu = try r.optional("rcu")?.bool() ?? false
      try emit(.objPut(o, rcu ? .rcu : .immediate), r, frame: &frame)
    case "obj_free": try emit(.objFree(try operand(&r, "obj", .obj, frame: f), .immediate), r, frame: &frame)
    case "obj_free_rcu": try emit(.objFree(try operand(&r, "obj", .obj, frame: f), .rcu), r, frame: &frame)
    case "obj_use": try emit(.objUse(try operand(&r, "obj", .ref, frame: f)), r, frame: &frame)
    case "cell_store":
      let c = try cell(&r)
      try emit(.cellStore(cell: c, try operand(&r, "obj", .obj, frame: f)), r, frame: &frame)
    case "cell_load":
      let c = try cell(&r)
      try emit(.cellLoad(cell: c, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "load":
      let g = try global(&r)
      try emit(.load(global: g, into: try requiredInto(r, frame: f)), r, frame: &frame)
    case "store":
      let g = try global(&r)
      try emit(.store(global: g, try operand(&r, "value", .any, frame: f)), r, frame: &frame)
    case "spin_lock": try emit(.spinLock(try lockName(&r)), r, frame: &frame)
    case "spin_trylock":
      let l = try lockName(&r)
      try emit(.spinTrylock(l, into: try intoRegister(r, frame: f)), r, frame: &frame)
    case "spin_unlock": try emit(.spinUnlock(try lockName(&r)), r, frame: &frame)
    case "irq_disable": try emit(.irqDisable, r, frame: &frame)
    case "irq_enable": try emit(.irqEnable, r, frame: &frame)
    case "might_sleep": try emit(.mightSleep, r, frame: &frame)
    case "tlb_flush_ipi": try emit(.tlbFlushIPI, r, frame: &frame)
    default:
      throw r.node.error("unknown op \"\(r.name)\"")
    }
  }
}
