/// Compiles each thread's program: inlines `call`s, resolves labels and args,
/// and checks registers.
extension ModelBuilder {
  mutating func compileThreads(_ node: JSONNode) throws(ModelError) -> [ThreadProgram] {
    var out: [ThreadProgram] = []
    var names: [String] = []
    var group = 0
    let items = try node.elements("a list of threads")
    guard !items.isEmpty else { throw node.error("expected at least one thread") }
    for item in items {
      let m = try item.members(allowed: ["name", "program", "args", "count"], what: "a thread")
      func get(_ k: String) -> JSONNode? { m.first(where: { $0.key == k })?.node }
      guard let n = get("name"), let p = get("program") else { throw item.error("a thread needs \"name\" and \"program\"") }
      let tname = try n.string()
      guard tname != "rcu", !tname.isEmpty else {
        throw n.error("\"\(tname)\" cannot name a thread (counterexamples use \"rcu\" for the grace-period step)")
      }
      let program = try p.string()
      guard programs[program] != nil else {
        throw p.error("unknown program \"\(program)\"; defined: \(programs.keys.sorted().joined(separator: ", "))")
      }
      var args: [String: ArgValue] = [:]
      if let a = get("args") {
        guard case .object(let members) = a.json else { throw a.error("expected args (an object)") }
        for mm in members where !(mm.key == "note" || mm.key.hasPrefix("x-")) {
          args[mm.key] = .json(a.child(mm.key)!)
        }
      }
      let count = try get("count")?.int() ?? 1
      guard (1...8).contains(count) else { throw get("count")!.error("expected a count from 1 to 8, found \(count)") }
      for i in 0..<count {
        let full = count == 1 ? tname : "\(tname)\(i + 1)"
        if names.contains(full) { throw n.error("duplicate thread name \"\(full)\"") }
        names.append(full)
        var compiler = ThreadCompiler(builder: self, threadPath: item.path)
        try compiler.compileEntry(program: program, args: args, at: p)
        self = compiler.builder
        out.append(ThreadProgram(
          name: full, program: program, code: compiler.code, sites: compiler.sites,
          registerNames: compiler.registerNames, symmetryGroup: count > 1 ? group : -1))
        guard compiler.registerNames.count <= Int(UInt8.max) else {
          throw n.error("at most \(UInt8.max) registers per thread are supported, found \(compiler.registerNames.count)")
        }
        state.threads.append(ThreadState())
        state.regs.append(thread: Array(repeating: .none, count: compiler.registerNames.count))
      }
      if count > 1 { group += 1 }
    }
    guard out.count <= 30 else { throw node.error("at most 30 threads are supported, found \(out.count)") }
    return out
  }
}

/// A parameter of a program: a JSON constant from the thread declaration or a call site, or a register.
enum ArgValue {
  case json(JSONNode)
  case reg(Int, String)
}

/// Compiles one thread: its entry program and everything it calls, inlined.
struct ThreadCompiler {
  var builder: ModelBuilder
  let threadPath: String
  var code: [Instr] = []
  var sites: [SourceSite] = []
  var registerNames: [String] = []
  /// Registers read, with the first place each was read.
  var reads: [Int: JSONNode] = [:]
  var written: Set<Int> = []
  var inlineCounter = 0
  /// For each call being inlined, the caller's `into` register for the callee's `return` value.
  var resultStack: [Int?] = []

  init(builder: ModelBuilder, threadPath: String) {
    self.builder = builder
    self.threadPath = threadPath
  }

  /// The frame of one inlined program instance.
  struct Frame {
    var program: String
    var chain: String
    var prefix: String
    var args: [String: ArgValue]
    var isTop: Bool
    var labels: [String: Int] = [:]
    var pending: [(instr: Int, label: String, node: JSONNode)] = []
    var returns: [Int] = []
  }

  mutating func compileEntry(program: String, args: [String: ArgValue], at node: JSONNode) throws(ModelError) {
    var frame = Frame(program: program, chain: program, prefix: "", args: args, isTop: true)
    try compileBody(&frame, stack: [program])
    for (r, n) in reads.sorted(by: { $0.key < $1.key }) where !written.contains(r) {
      throw n.error("register \"\(registerNames[r])\" is read but never assigned (no op writes it with \"into\")")
    }
  }

  private mutating func compileBody(_ frame: inout Frame, stack: [String]) throws(ModelError) {
    builder.usedPrograms.insert(frame.program)
    let entry = builder.programs[frame.program]!.node
    let ops = try entry.elements("a program (a list of ops)")
    guard !ops.isEmpty else { throw entry.error("a program needs at least one op") }
    var lastWasCall = false
    for op in ops {
      let m = try op.members(allowed: OpTable.allKeys, what: "an op")
      guard let nameNode = m.first(where: { $0.key == "op" })?.node else {
        throw op.error("missing \"op\": every step names its op")
      }
      let name = try nameNode.string()
      guard let spec = OpTable.fields[name] else {
        throw nameNode.error("unknown op \"\(name)\"; see docs/model-language.md for the op list")
      }
      for (key, child) in m where key != "op" && key != "label" && !spec.contains(key) {
        throw child.error("op \"\(name)\" takes no \"\(key)\"; its fields are: \(spec.isEmpty ? "(none)" : spec.joined(separator: ", "))")
      }
      if let l = m.first(where: { $0.key == "label" })?.node {
        let label = try l.string()
        if frame.labels[label] != nil { throw l.error("duplicate label \"\(label)\" in program \"\(frame.program)\"") }
        frame.labels[label] = code.count
      }
      var reader = OpReader(node: op, name: name, members: m)
      if name == "call" {
        try compileCall(&reader, frame: &frame, stack: stack)
        lastWasCall = true
        continue
      }
      lastWasCall = false
      try compileOp(&reader, frame: &frame)
    }
    let last = try ops.last!.child("op")!.string()
    if lastWasCall {
      emitReturn(&frame, node: ops.last!)
    } else if !["goto", "end", "return"].contains(last) {
      throw ops.last!.error(
        "program \"\(frame.program)\" can fall off its end: its last op must be end, return, goto or call")
    }
    for p in frame.pending {
      guard let target = frame.labels[p.label] else {
        throw p.node.error("no label \"\(p.label)\" in program \"\(frame.program)\"")
      }
      code[p.instr] = code[p.instr].retargeted(target)
    }
    for r in frame.returns { code[r] = .goto(code.count) }
  }

  private mutating func emitReturn(_ frame: inout Frame, node: JSONNode) {
    if frame.isTop {
      append(.end(.done), site: site(frame, node: node, op: "return", label: nil, summary: "(end of program)"))
    } else {
      frame.returns.append(code.count)
      append(.goto(-1), site: site(frame, node: node, op: "return", label: nil, summary: "(end of \(frame.program))"))
    }
  }

  // MARK: Calls

  private mutating func compileCall(_ r: inout OpReader, frame: inout Frame, stack: [String]) throws(ModelError) {
    let pnode = try r.required("program")
    let callee = try pnode.string("a program name")
    guard builder.programs[callee] != nil else {
      throw pnode.error("unknown program \"\(callee)\"; defined: \(builder.programs.keys.sorted().joined(separator: ", "))")
    }
    if stack.contains(callee) {
      throw pnode.error("recursive call: \((stack + [callee]).joined(separator: " -> ")) (calls are inlined; no recursion)")
    }
    var args: [String: ArgValue] = [:]
    if let a = r.optional("args") {
      guard case .object(let members) = a.json else { throw a.error("expected args (an object)") }
      for m in members where !(m.key == "note" || m.key.hasPrefix("x-")) {
        let child = a.child(m.key)!
        args[m.key] = try passArg(child, frame: frame)
      }
    }
    let into = try intoRegister(r, frame: frame)
    inlineCounter += 1
    var calleeFrame = Frame(
      program: callee, chain: frame.chain + " > " + callee, prefix: "\(callee)#\(inlineCounter).", args: args, isTop: false)
    calleeFrame.labels = [:]
    resultStack.append(into)
    try compileBody(&calleeFrame, stack: stack + [callee])
    resultStack.removeLast()
  }

  private mutating func passArg(_ node: JSONNode, frame: Frame) throws(ModelError) -> ArgValue {
    if case .string(let s) = node.json, s.hasPrefix("@") {
      guard let v = frame.args[String(s.dropFirst())] else { throw node.error("no argument \"\(s)\" in program \"\(frame.program)\"") }
      return v
    }
    if case .object = node.json, let regNode = node.child("reg") {
      let idx = register(try regNode.string("a register name"), frame: frame)
      noteRead(idx, regNode)
      return .reg(idx, registerNames[idx])
    }
    return .json(node)
  }

  // MARK: Registers and sites

  mutating func register(_ name: String, frame: Frame) -> Int {
    let full = frame.prefix + name
    if let i = registerNames.firstIndex(of: full) { return i }
    registerNames.append(full)
    return registerNames.count - 1
  }

  mutating func noteRead(_ r: Int, _ node: JSONNode) {
    if reads[r] == nil { reads[r] = node }
  }

  func site(_ frame: Frame, node: JSONNode, op: String, label: String?, summary: String) -> SourceSite {
    SourceSite(file: node.file, path: node.path, op: op, label: label, program: frame.chain, summary: summary)
  }

  mutating func append(_ instr: Instr, site: SourceSite) {
    code.append(instr)
    sites.append(site)
  }

  /// Emits `instr`; a jump target given by label is patched when the program is complete.
  mutating func emit(_ instr: Instr, _ r: OpReader, frame: inout Frame, target: String? = nil) throws(ModelError) {
    if let t = target { frame.pending.append((code.count, t, r.node.child("goto") ?? r.node)) }
    let label = try r.optional("label")?.string()
    append(instr, site: site(frame, node: r.node, op: r.name, label: label, summary: r.summary))
  }

  mutating func emitReturnValue(_ value: Operand?, _ r: OpReader, frame: inout Frame) throws(ModelError) {
    if frame.isTop {
      try emit(.end(.done), r, frame: &frame)
      return
    }
    if let v = value, let into = resultStack.last ?? nil {
      try emit(.mov(v, into: into), r, frame: &frame)
      written.insert(into)
    }
    frame.returns.append(code.count)
    try emit(.goto(-1), r, frame: &frame)
  }
}

extension Instr {
  /// The same jump with its target replaced (used to patch forward labels).
  func retargeted(_ target: Int) -> Instr {
    switch self {
    case .goto: return .goto(target)
    case .branch(let c, _): return .branch(c, target)
    case .choose: return .choose(target)
    default: return self
    }
  }
}
