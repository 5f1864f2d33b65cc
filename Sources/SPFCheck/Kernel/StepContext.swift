/// The working state of one step: the state being changed, the thread, the
/// branch taken, and the narration.
///
/// The op semantics are methods of this type, one file per family of ops.
struct StepContext {
  let model: CompiledModel
  /// The state being changed, the caller's own: the context borrows it for one step, so a
  /// step neither moves nor destroys a `State`.
  private let state: UnsafeMutablePointer<State>
  let t: Int
  let branch: Int
  /// The narration, present only when narrating (replay, counterexample writing).
  let log: NarrationLog?
  var branches = 1
  var blocked = false
  /// True once the step wrote another thread's state (only `rcu_read_unlock` does: it wakes
  /// `synchronize_rcu` waiters); otherwise a step changes only its own thread.
  var changedOtherThreads = false
  /// What the step read of other threads' state; a step reads, of all threads, only its
  /// own besides these, which the explorer's transition cache relies on.
  var readOtherThreads = OtherThreadReads()

  /// - Parameter state: valid, and not accessed otherwise, while the context is in use.
  init(model: CompiledModel, state: UnsafeMutablePointer<State>, t: Int, branch: Int, narrate: Bool) {
    self.model = model
    self.state = state
    self.t = t
    self.branch = branch
    self.log = narrate ? NarrationLog() : nil
  }

  var effect: String { log?.text ?? "" }

  /// The state being changed.
  var s: State {
    unsafeAddress { UnsafePointer(state) }
    unsafeMutableAddress { state }
  }

  var th: ThreadState {
    get { s.threads[t] }
    _modify { yield &s.threads[t] }
  }
  var pc: Int { Int(s.threads[t].pc) }
  var site: SourceSite { model.threads[t].sites[pc] }
  var threadName: String { model.threads[t].name }
  var bit: UInt32 { UInt32(1) << UInt32(t) }

  /// Appends to the narration (the text is built only when narrating).
  func say(_ text: @autoclosure () -> String) {
    log?.append(text())
  }

  /// Stops the step with a violation of `invariant`.
  func fail(_ invariant: Invariant, _ message: String, objects: [Ref] = []) -> Stop {
    .violation(Violation(
      invariant: invariant, message: "\(threadName) \(site.op): \(message)", thread: t,
      objects: objects.map { s.name(of: $0) }))
  }

  /// Stops with a model error when a per-thread list of held things is full: a thread
  /// state is plain data with fixed room (8 VMA read locks, 8 counted references, 4 PTE
  /// table locks), far more than any kernel path holds at once.
  func room<let n: Int, E>(_ list: InlineList<n, E>, _ what: @autoclosure () -> String) throws(Stop) {
    guard !list.isFull else {
      throw broken("the thread already holds \(InlineList<n, E>.maxCount) \(what()), the most a thread state has room for")
    }
  }

  /// Stops exploration: the model is broken at run time.
  func broken(_ message: String) -> Stop {
    .model(.runtime(file: site.file, path: site.path, message: message))
  }

  // MARK: Operands

  /// The value of `o` for thread `t`.
  static func value(_ o: Operand, _ s: State, thread t: Int) -> Value {
    switch o {
    case .const(let c): return c.value
    case .reg(let r): return s.regs[t, r]
    }
  }

  static func intValue(_ o: Operand, _ s: State, thread t: Int) throws -> Int {
    guard case .int(let v) = value(o, s, thread: t).payload else { throw OperandTypeError() }
    return v
  }

  static func refValue(_ o: Operand, _ s: State, thread t: Int) throws -> Ref {
    guard case .ref(let r) = value(o, s, thread: t).payload else { throw OperandTypeError() }
    return r
  }

  struct OperandTypeError: Error {}

  func value(_ o: Operand) -> Value { Self.value(o, s, thread: t) }

  func describe(_ o: Operand) -> String {
    switch o {
    case .const: return "constant"
    case .reg(let r): return "register \"\(model.threads[t].registerNames[r])\""
    }
  }

  func int(_ o: Operand, _ what: @autoclosure () -> String) throws(Stop) -> Int {
    guard case .int(let v) = value(o).payload else {
      throw broken("expected \(what()) (an integer) in \(describe(o)), found \(show(value(o)))")
    }
    return v
  }

  func address(_ o: Operand, allowEnd: Bool = false) throws(Stop) -> Int {
    let a = try int(o, "an address")
    let limit = allowEnd ? model.layout.size : model.layout.size - 1
    guard a >= 0 && a <= limit else {
      throw broken("address \(a) in \(describe(o)) is outside the layout (0..<\(model.layout.size))")
    }
    return a
  }

  func prot(_ o: Operand) throws(Stop) -> Prot {
    guard case .prot(let p) = value(o).payload else {
      throw broken("expected a protection in \(describe(o)), found \(show(value(o)))")
    }
    return p
  }

  func ref(_ o: Operand, _ kind: ObjKind?, _ what: @autoclosure () -> String) throws(Stop) -> Ref {
    let v = value(o)
    guard case .ref(let r) = v.payload else {
      throw broken("expected \(what()) in \(describe(o)), found \(show(v)) (test it with if_none first)")
    }
    if let k = kind, r.kind != k { throw broken("expected \(what()) in \(describe(o)), found a \(r.kind.name)") }
    return r
  }

  /// Writes `v` to `register` (nothing when nil). An equal value is not written, so a step
  /// that leaves every register as it was does not mark the registers in ``State/written``
  /// (restoring and comparing them is then skipped).
  mutating func set(_ register: Int?, _ v: Value) {
    guard let r = register, s.regs[t, r] != v else { return }
    s.regs[t, r] = v
  }

  /// Text for a value in messages and narration.
  func show(_ v: Value) -> String {
    var text: String
    switch v.payload {
    case .none: text = "none"
    case .int(let i): text = String(i)
    case .bool(let b): text = b ? "true" : "false"
    case .sym(let i): text = model.symbols[Int(i)]
    case .ref(let r): text = s.name(of: r)
    case .prot(let p): text = p.text
    case .snapshot(let snap): text = "snapshot of vma#\(snap.source) [\(snap.start),\(snap.end)) \(snap.prot.text)"
    }
    if v.torn { text += " (torn)" }
    return text
  }

  // MARK: Dereference checks

  /// True when thread `t` holds something that keeps `r` alive without RCU.
  func isPinned(_ r: Ref) -> Bool {
    let th = self.th
    if th.pins.contains(r) { return true }
    switch r.kind {
    case .vma: return th.mmap != .none || th.vmaReadLocks.contains(r.index)
    case .table: return th.mmap != .none || !th.vmaReadLocks.isEmpty || th.ptl.contains { $0.table == r.index }
    case .page, .obj: return false
    }
  }

  /// Checks that dereferencing the pointer in `v` is safe: not freed, readable if queued
  /// for RCU freeing, and not escaped from the RCU section it came from.
  ///
  /// This is where `use-after-free` and `rcu-escape` are detected.
  func deref(_ v: Value, _ r: Ref, _ what: @autoclosure () -> String) throws(Stop) {
    switch s.life(of: r) {
    case .live: break
    case .freed:
      throw fail(.useAfterFree, "\(what()) \(s.name(of: r)) was already freed", objects: [r])
    case .rcuPending:
      if s.rcuReaders(of: r) & bit == 0 {
        throw fail(
          .useAfterFree,
          "\(what()) \(s.name(of: r)) is queued for freeing after a grace period and \(threadName) was not in an RCU read-side section when it was queued (a faster grace period would already have freed it)",
          objects: [r])
      }
    }
    if v.section != 0 && (th.rcuDepth == 0 || th.section != v.section) && !isPinned(r) {
      throw fail(
        .rcuEscape,
        "\(what()) \(s.name(of: r)) was obtained inside an RCU read-side section that has ended, and nothing pins it (no lock, refcount or VMA read lock)",
        objects: [r])
    }
  }

  /// Reads a VMA operand and checks the dereference.
  mutating func vma(_ o: Operand, _ what: @autoclosure () -> String = "VMA") throws(Stop) -> Int {
    let r = try ref(o, .vma, "a VMA")
    try deref(value(o), r, what())
    return Int(r.index)
  }

  /// The RCU section tag for a pointer obtained now: non-zero when only RCU protects it.
  var rcuTag: Int32 { th.rcuDepth > 0 ? th.section : 0 }

  // MARK: Locks and context

  var holdsMmapWrite: Bool { th.mmap == .write && s.mm.mmapWriter == Int8(t) }

  /// True when this thread holds `vma`'s write lock: mmap write-locked and `vm_lock_seq == mm_lock_seq`.
  func isVMAWriteLocked(_ v: Int) -> Bool {
    th.mmap == .write && s.vmas[v].lockSeq == s.mm.seq
  }

  func holdsSpin(_ l: Int) -> Bool { th.spinHeld & (UInt32(1) << UInt32(l)) != 0 }

  /// The atomic context the thread is in, for sleep-in-atomic messages.
  var atomicContext: String {
    var parts: [String] = []
    if th.rcuDepth > 0 { parts.append("inside an RCU read-side section") }
    if th.spinHeld != 0 || !th.ptl.isEmpty { parts.append("holding a spinlock") }
    if th.irqOff > 0 { parts.append("with interrupts disabled") }
    return parts.joined(separator: ", ")
  }

  /// The `might_sleep()` check of every op that may sleep.
  func mightSleep(_ what: @autoclosure () -> String) throws(Stop) {
    if th.isAtomic {
      throw fail(.sleepInAtomic, "\(what()) may sleep but runs \(atomicContext)")
    }
  }

  /// Enters an RCU read-side section (`rcu_read_lock`).
  ///
  /// A new outermost section gets the smallest id no register of this thread carries, so
  /// a value's tag equals the current id exactly when it was obtained in this section,
  /// and retry loops through RCU sections revisit the same states (ids stay bounded).
  mutating func rcuEnter() {
    if th.rcuDepth == 0 {
      var id: Int32 = 1
      let mine = s.registers(of: t)
      while mine.contains(where: { $0.section == id }) { id += 1 }
      th.section = id
    }
    th.rcuDepth += 1
  }

  /// Leaves an RCU read-side section; at the outermost level the thread stops
  /// holding up every grace period that waited for it.
  mutating func rcuExit() throws(Stop) {
    guard th.rcuDepth > 0 else { throw fail(.lockMisuse, "rcu_read_unlock without rcu_read_lock") }
    th.rcuDepth -= 1
    guard th.rcuDepth == 0 else { return }
    th.section = 0
    readOtherThreads.rcuWaiters = true
    for cb in s.callbacks {
      s.setRcuReaders(cb.ref, s.rcuReaders(of: cb.ref) & ~bit)
    }
    for i in s.threads.indices {
      if case .rcu(let mask) = s.threads[i].wait, mask & bit != 0 {
        s.threads[i].wait = .rcu(mask & ~bit)
        if i != t { changedOtherThreads = true }
      }
    }
  }

  /// The threads currently inside an RCU read-side section (a read of other threads).
  mutating func rcuReadersNow() -> UInt32 {
    readOtherThreads.rcuReaders = true
    return s.rcuReaders
  }

  /// Frees `r` now or queues it for freeing after a grace period; `double-free` when already freed.
  mutating func free(_ r: Ref, _ mode: FreeMode, _ what: @autoclosure () -> String) throws(Stop) {
    switch s.life(of: r) {
    case .freed, .rcuPending:
      throw fail(.doubleFree, "\(what()) \(s.name(of: r)) is freed twice", objects: [r])
    case .live: break
    }
    switch mode {
    case .immediate:
      s.setLife(r, .freed)
      s.mm.freePages += 1
      say("frees \(s.name(of: r))")
    case .rcu:
      s.setLife(r, .rcuPending)
      s.setRcuReaders(r, rcuReadersNow())
      s.callbacks.append(Callback(ref: r))
      say("queues \(s.name(of: r)) to be freed after a grace period")
    }
  }

  /// Takes one page from the allocator, following the GFP rules; returns false when the
  /// allocation fails (an explored branch when the model allows failures of this class).
  ///
  /// Mirrors the page allocator's entry checks: `might_sleep_if(gfpflags_allow_blocking())`,
  /// and `ALLOC_NON_BLOCK`/`ALLOC_MIN_RESERVE` reserve access unless `__GFP_NOMEMALLOC`.
  mutating func allocate(_ g: GFP, _ what: @autoclosure () -> String) throws(Stop) -> Bool {
    if g.maySleep { try mightSleep("\(what()) with GFP \(g.text)") }
    if Int(th.rcuDepth) > th.ptl.count && g.mayUseReserve {
      throw fail(
        .emergencyReserve,
        "\(what()) with GFP \(g.text) inside an RCU read-side section may take the emergency reserve; a fast path with a fallback must use nowait|nomemalloc|nowarn")
    }
    let hasFree = s.mm.freePages > 0
    let hasReserve = g.mayUseReserve && s.mm.reservePages > 0
    if !hasFree && !hasReserve {
      say("\(what()) fails: no free memory")
      return false
    }
    if model.options.allocFailure.contains(g.base) {
      branches = 2
      if branch == 1 {
        say("\(what()) fails (injected \(g.base.rawValue) allocation failure)")
        return false
      }
    }
    if hasFree { s.mm.freePages -= 1 } else { s.mm.reservePages -= 1 }
    return true
  }
}

/// Collects what a step did, in words.
final class NarrationLog {
  private(set) var text = ""

  func append(_ line: String) {
    text = text.isEmpty ? line : text + "; " + line
  }
}
