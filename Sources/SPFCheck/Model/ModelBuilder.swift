/// Turns a validated model's top-level sections into a ``CompiledModel``.
struct ModelBuilder {
  let root: JSONNode
  let file: String
  let programs: [String: (node: JSONNode, file: String)]

  var layout = Layout(fanout: [2, 4])
  var vmaNames: [String] = []
  var objectNames: [String] = []
  var objectKinds: [String] = []
  var symbols: [String] = ["ok", "locked", "detached"]
  var spinlockNames: [String] = ["page_table_lock"]
  var cellNames: [String] = []
  var cellProtection: [Int] = []
  var globalNames: [String] = []
  var state = State()
  var options = ModelOptions()

  init(root: JSONNode, file: String, programs: [String: (node: JSONNode, file: String)]) {
    self.root = root
    self.file = file
    self.programs = programs
  }

  /// Programs some thread runs or calls, collected while compiling (for the content hash).
  var usedPrograms: Set<String> = []

  /// The content hash recorded in counterexamples: the model file's bytes, then the canonical
  /// JSON of every program the threads run or call, by name. Editing an included file changes
  /// the hash only when it changes a program this model uses.
  func contentHash(modelBytes: [UInt8]) -> String {
    var input = modelBytes
    for name in usedPrograms.sorted() {
      input.append(contentsOf: Array("\n\(name)=".utf8))
      input.append(contentsOf: Array(programs[name]!.node.json.serialized().utf8))
    }
    return SHA256.hex(input)
  }

  mutating func build(modelBytes: [UInt8]) throws(ModelError) -> CompiledModel {
    if let f = root.child("format") {
      let format = try f.string()
      guard format == "spfcheck-model/1" else { throw f.error("expected \"spfcheck-model/1\", found \"\(format)\"") }
    }
    guard let nameNode = root.child("name") else { throw root.error("missing \"name\" (a string naming the model)") }
    let name = try nameNode.string()
    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
      throw nameNode.error("a model name uses letters, digits, '-', '_' and '.' only (it names counterexample files)")
    }
    let description = try root.child("description")?.string() ?? ""
    try parseLayout()
    try parseVMAs()
    try parseObjectsCellsGlobals()
    try parseMemoryAndOptions()
    guard let threadsNode = root.child("threads") else {
      throw root.error("missing \"threads\": a model runs at least one thread (a file without threads is a protocol file to include)")
    }
    let threads = try compileThreads(threadsNode)
    guard spinlockNames.count <= MMState.SpinOwners.maxCount else {
      throw root.error(
        "at most \(MMState.SpinOwners.maxCount) distinct spinlock names are supported, found \(spinlockNames.count)")
    }
    state.mm.spinOwner = MMState.SpinOwners(repeatElement(-1, count: spinlockNames.count))
    try parsePageTables()
    try parsePageCache()
    let expect = try parseExpect()
    return CompiledModel(
      name: name, description: description, file: file, contentHash: contentHash(modelBytes: modelBytes), layout: layout,
      options: options, threads: threads, initial: state, expect: expect, symbols: symbols,
      objectKinds: objectKinds, cellNames: cellNames, cellProtection: cellProtection,
      globalNames: globalNames, spinlockNames: spinlockNames, vmaNames: vmaNames, objectNames: objectNames)
  }

  // MARK: Address space

  private mutating func parseLayout() throws(ModelError) {
    guard let node = root.child("layout") else {
      resetPageTables()
      return
    }
    let members = try node.members(allowed: ["fanout"], what: "a layout")
    guard let fan = members.first(where: { $0.key == "fanout" })?.node else {
      throw node.error("missing \"fanout\": entries per table from the root down, e.g. [2, 4]")
    }
    var fanout: [Int] = []
    for e in try fan.elements("a list of entries per level") {
      let v = try e.int()
      guard (1...64).contains(v) else { throw e.error("expected between 1 and 64 entries per table, found \(v)") }
      fanout.append(v)
    }
    guard (2...5).contains(fanout.count) else {
      throw fan.error("expected 2 to 5 levels (the root and at least the PTE level), found \(fanout.count)")
    }
    layout = Layout(fanout: fanout)
    guard layout.size <= 4096 else { throw fan.error("the address space has \(layout.size) pages; at most 4096 are supported") }
    resetPageTables()
  }

  /// Replaces the page tables with the root (pgd) alone, every entry empty.
  private mutating func resetPageTables() {
    state.tables = PageTables()
    state.tables.installTable(state.tables.appendTable(), level: 0, parent: -1, parentSlot: -1, layout: layout)
  }

  func address(_ node: JSONNode, what: String = "an address", allowEnd: Bool = false) throws(ModelError) -> Int {
    let v = try node.int(what)
    let limit = allowEnd ? layout.size : layout.size - 1
    guard (0...limit).contains(v) else {
      throw node.error("address \(v) is outside the layout (addresses are 0..<\(layout.size))")
    }
    return v
  }

  private mutating func parseVMAs() throws(ModelError) {
    guard let node = root.child("vmas") else { return }
    for item in try node.elements("a list of VMAs") {
      let m = try item.members(allowed: ["name", "start", "end", "prot", "anon", "anon_vma", "policy", "file"], what: "a VMA")
      func get(_ k: String) -> JSONNode? { m.first(where: { $0.key == k })?.node }
      guard let n = get("name"), let s = get("start"), let e = get("end") else {
        throw item.error("a VMA needs \"name\", \"start\" and \"end\"")
      }
      let vname = try n.string()
      if vmaNames.contains(vname) { throw n.error("duplicate VMA name \"\(vname)\"") }
      let start = try address(s)
      let end = try address(e, allowEnd: true)
      guard start < end else { throw e.error("a VMA needs start < end, found [\(start), \(end))") }
      for other in state.vmas where Int(other.start) < end && start < Int(other.end) {
        throw item.error("VMA \"\(vname)\" overlaps [\(other.start), \(other.end))")
      }
      var prot = Prot(bits: 3)
      if let p = get("prot") {
        guard let parsed = Prot(parsing: try p.string()) else { throw p.error("expected a protection such as \"r\", \"rw\" or \"rwx\"") }
        prot = parsed
      }
      let index = Int32(state.vmas.count)
      var v = VMAState(start: Int32(start), end: Int32(end), prot: prot, anon: try get("anon")?.bool() ?? true, lineage: index)
      v.attached = true
      v.inTree = true
      state.vmas.append(v)
      state.tree.append(index)
      vmaNames.append(vname)
    }
  }

  // MARK: Objects, cells, globals

  private mutating func parseObjectsCellsGlobals() throws(ModelError) {
    if let node = root.child("objects") {
      for item in try node.elements("a list of objects") {
        let m = try item.members(allowed: ["name", "kind", "refcount"], what: "an object")
        func get(_ k: String) -> JSONNode? { m.first(where: { $0.key == k })?.node }
        guard let n = get("name"), let k = get("kind") else { throw item.error("an object needs \"name\" and \"kind\"") }
        let oname = try n.string()
        if objectNames.contains(oname) { throw n.error("duplicate object name \"\(oname)\"") }
        var o = ObjState(kind: internKind(try k.string()))
        o.refcount = Int16(try get("refcount")?.int() ?? 1)
        o.isStatic = true
        state.objs.append(o)
        objectNames.append(oname)
      }
    }
    // VMA fields that name objects (anon_vma, policy, file).
    if let node = root.child("vmas") {
      for (i, item) in try node.elements("a list of VMAs").enumerated() {
        for field in [VMAField.anonVma, .policy, .file] {
          guard let f = item.child(field.rawValue) else { continue }
          let ref = try objectRef(f)
          switch field {
          case .anonVma: state.vmas[i].anonVma = ref
          case .policy: state.vmas[i].policy = ref
          default: state.vmas[i].file = ref
          }
        }
      }
    }
    if let node = root.child("cells") {
      for item in try node.elements("a list of cells") {
        let m = try item.members(allowed: ["name", "init", "protectedBy"], what: "a cell")
        func get(_ k: String) -> JSONNode? { m.first(where: { $0.key == k })?.node }
        guard let n = get("name") else { throw item.error("a cell needs a \"name\"") }
        let cname = try n.string()
        if cellNames.contains(cname) { throw n.error("duplicate cell name \"\(cname)\"") }
        var value = Value.none
        if let i = get("init"), let r = try objectRef(i) { value = Value(.ref(r)) }
        var protection = CompiledModel.protectedByRCU
        if let p = get("protectedBy") {
          let lock = try p.string("\"rcu\", \"mmap_lock\" or a spinlock name")
          switch lock {
          case "rcu": protection = CompiledModel.protectedByRCU
          case "mmap_lock": protection = CompiledModel.protectedByMmap
          default: protection = internSpinlock(lock)
          }
        }
        cellNames.append(cname)
        cellProtection.append(protection)
        state.cells.append(value)
      }
    }
    if let node = root.child("globals") {
      guard case .object(let members) = node.json else { throw node.error("expected globals (an object of initial values)") }
      for m in members where !(m.key == "note" || m.key.hasPrefix("x-")) {
        let child = node.child(m.key)!
        switch m.value {
        case .int(let v): state.globals.append(Value(.int(v)))
        case .bool(let b): state.globals.append(Value(.bool(b)))
        case .null: state.globals.append(.none)
        default: throw child.error("expected an integer, a boolean or null as the initial value of global \"\(m.key)\"")
        }
        globalNames.append(m.key)
      }
    }
  }

  mutating func internKind(_ kind: String) -> Int32 {
    if let i = objectKinds.firstIndex(of: kind) { return Int32(i) }
    objectKinds.append(kind)
    return Int32(objectKinds.count - 1)
  }

  mutating func internSpinlock(_ lock: String) -> Int {
    if let i = spinlockNames.firstIndex(of: lock) { return i }
    spinlockNames.append(lock)
    return spinlockNames.count - 1
  }

  mutating func internSymbol(_ s: String) -> Int32 {
    if let i = symbols.firstIndex(of: s) { return Int32(i) }
    symbols.append(s)
    return Int32(symbols.count - 1)
  }

  /// An object named by a string (or null for none).
  func objectRef(_ node: JSONNode) throws(ModelError) -> Ref? {
    if case .null = node.json { return nil }
    let oname = try node.string("an object name or null")
    guard let i = objectNames.firstIndex(of: oname) else {
      throw node.error("unknown object \"\(oname)\"; declare it under \"objects\"")
    }
    return Ref(kind: .obj, index: Int32(i))
  }

  // MARK: Memory and options

  private mutating func parseMemoryAndOptions() throws(ModelError) {
    state.mm.freePages = 64
    if let node = root.child("memory") {
      for (key, child) in try node.members(allowed: ["free", "reserve"], what: "memory") {
        let v = try child.int("a page count")
        guard (0...1000).contains(v) else { throw child.error("expected 0 to 1000 pages, found \(v)") }
        if key == "free" { state.mm.freePages = Int16(v) } else { state.mm.reservePages = Int16(v) }
      }
    }
    if let node = root.child("faults") {
      for (_, child) in try node.members(allowed: ["allocFailure"], what: "fault injection") {
        for item in try child.elements("a list of allocation classes") {
          let s = try item.string()
          guard let base = GFP.Base(rawValue: s) else {
            throw item.error("expected an allocation class: kernel, nowait or atomic; found \"\(s)\"")
          }
          options.allocFailure.insert(base)
        }
      }
    }
    if let node = root.child("options") {
      for (key, child) in try node.members(allowed: ["pageTableFree", "retryLimit", "rwsem"], what: "options") {
        switch key {
        case "pageTableFree":
          let s = try child.string()
          guard let mode = FreeMode(rawValue: s) else { throw child.error("expected \"immediate\" or \"rcu\", found \"\(s)\"") }
          options.pageTableFree = mode
        case "retryLimit":
          let v = try child.int()
          guard (0...16).contains(v) else { throw child.error("expected a retry limit from 0 to 16, found \(v)") }
          options.retryLimit = v
        default:
          let s = try child.string()
          switch s {
          case "writer-preferring": options.writerPreferring = true
          case "reader-preferring": options.writerPreferring = false
          default: throw child.error("expected \"writer-preferring\" or \"reader-preferring\", found \"\(s)\"")
          }
        }
      }
    }
  }

  // MARK: Page tables

  private mutating func parsePageTables() throws(ModelError) {
    if let node = root.child("pageTables") {
      switch node.json {
      case .string(let s) where s == "empty": break
      case .string(let s) where s == "populated":
        for v in state.vmas {
          for a in Int(v.start)..<Int(v.end) { _ = state.ensureTable(addr: a, level: layout.leafLevel, layout: layout) }
        }
      case .array:
        for item in try node.elements("a list of tables") {
          let m = try item.members(allowed: ["addr", "level"], what: "a page table")
          guard let a = m.first(where: { $0.key == "addr" })?.node, let l = m.first(where: { $0.key == "level" })?.node else {
            throw item.error("a page table needs \"addr\" and \"level\"")
          }
          let level = try l.int()
          guard (1...layout.leafLevel).contains(level) else {
            throw l.error("expected a level from 1 to \(layout.leafLevel) (the root, level 0, always exists)")
          }
          _ = state.ensureTable(addr: try address(a), level: level, layout: layout)
        }
      default:
        throw node.error("expected \"empty\", \"populated\" or a list of {\"addr\", \"level\"}")
      }
    }
    if let node = root.child("ptes") {
      for item in try node.elements("a list of present PTEs") {
        let m = try item.members(allowed: ["addr", "prot"], what: "a PTE")
        guard let a = m.first(where: { $0.key == "addr" })?.node else { throw item.error("a PTE needs \"addr\"") }
        let addr = try address(a)
        var prot = Prot(bits: 1)
        if let p = m.first(where: { $0.key == "prot" })?.node {
          guard let parsed = Prot(parsing: try p.string()) else { throw p.error("expected a protection such as \"r\" or \"rw\"") }
          prot = parsed
        }
        let t = state.ensureTable(addr: addr, level: layout.leafLevel, layout: layout)
        let page = Int32(state.pages.count)
        state.pages.append(PageState(mapcount: 1))
        let lineage = state.vmas.first(where: { Int($0.start) <= addr && addr < Int($0.end) })?.lineage ?? -1
        state.tables.setPTE(
          t, layout.slot(addr, level: layout.leafLevel), PTE(present: true, prot: prot, page: page, lineage: lineage))
      }
    }
  }

  private mutating func parsePageCache() throws(ModelError) {
    guard let node = root.child("pageCache") else { return }
    for item in try node.elements("a list of cached file addresses") {
      let addr = try address(item)
      var p = PageState()
      p.cachedAt = Int32(addr)
      state.pages.append(p)
    }
  }

  // MARK: Expectation

  private func parseExpect() throws(ModelError) -> Expectation? {
    guard let node = root.child("expect") else { return nil }
    let m = try node.members(allowed: ["verdict", "violations", "allowed"], what: "an expectation")
    guard let v = m.first(where: { $0.key == "verdict" })?.node else {
      throw node.error("missing \"verdict\": \"verified\" or \"violation\"")
    }
    let s = try v.string()
    guard let verdict = Expectation.Verdict(rawValue: s) else { throw v.error("expected \"verified\" or \"violation\", found \"\(s)\"") }
    func names(_ key: String) throws(ModelError) -> [String] {
      guard let n = m.first(where: { $0.key == key })?.node else { return [] }
      var out: [String] = []
      for item in try n.elements("a list of invariant names") {
        let name = try item.string()
        guard Invariant(rawValue: name) != nil else {
          throw item.error("unknown invariant \"\(name)\"; expected one of: \(Invariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        out.append(name)
      }
      return out
    }
    let violations = try names("violations")
    if verdict == .violation && violations.isEmpty {
      throw node.error("a \"violation\" verdict lists the invariants that must be violated under \"violations\"")
    }
    if verdict == .verified && !violations.isEmpty {
      throw node.error("a \"verified\" verdict cannot list required \"violations\"")
    }
    return Expectation(verdict: verdict, violations: violations, allowed: try names("allowed"))
  }
}

extension State {
  /// Returns the table at `level` covering `addr`, creating every missing table on the path.
  mutating func ensureTable(addr: Int, level: Int, layout: Layout) -> Int32 {
    var current: Int32 = 0
    for l in 0..<level {
      let slot = layout.slot(addr, level: l)
      let child = tables.entry(current, slot)
      if child >= 0 {
        current = child
        continue
      }
      let index = tables.appendTable()
      tables.installTable(index, level: l + 1, parent: current, parentSlot: slot, layout: layout)
      tables.setEntry(current, slot, index)
      current = index
    }
    return current
  }
}
