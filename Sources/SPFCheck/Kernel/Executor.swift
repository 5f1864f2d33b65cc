/// Why a step stopped early: an invariant was violated, or the model is broken at run time.
enum Stop: Error {
  case violation(Violation)
  case model(ModelError)
}

/// The result of one atomic step.
struct StepResult {
  /// How many alternatives this step offers (allocation failure, `choose`); the
  /// explorer runs each branch index `0..<branches` from the same state.
  var branches = 1
  /// The violation this step committed, if any (its successor is not explored).
  var violation: Violation?
  /// What the step did, in words (only when narrating).
  var effect = ""
  /// True when the step registered a wait and the thread is now blocked.
  var blocked = false
  /// True when the step changed a thread other than its own (see
  /// ``StepContext/changedOtherThreads``); the grace period changes no thread.
  var changedOtherThreads = false
  /// What the step read of threads other than its own (see
  /// ``StepContext/readOtherThreads``).
  var readOtherThreads = OtherThreadReads()
}

/// What a step read of threads other than its own. These are the only such reads: every
/// other read of thread state in the op semantics is of the running thread's.
struct OtherThreadReads: Equatable {
  /// `rcu_read_unlock` left its outermost section and looked for `synchronize_rcu` callers
  /// waiting for it (those it found it changed, which ``StepResult/changedOtherThreads`` says).
  var rcuWaiters = false
  /// The step read which threads are inside an RCU read-side section (`synchronize_rcu`, an
  /// RCU free): ``State/rcuReaders``.
  var rcuReaders = false

  mutating func formUnion(_ other: OtherThreadReads) {
    rcuWaiters = rcuWaiters || other.rcuWaiters
    rcuReaders = rcuReaders || other.rcuReaders
  }
}

/// Executes the model language's ops on a ``State``: the semantics of every op
/// and the invariants checked inside ops.
///
/// Each op is one atomic step. A thread's next op is *enabled* when it can run
/// (see ``isEnabled(_:_:)``); running it may violate an invariant, which ends
/// that interleaving.
struct Executor {
  let model: CompiledModel
  let narrate: Bool

  init(model: CompiledModel, narrate: Bool = false) {
    self.model = model
    self.narrate = narrate
  }

  /// Runs thread `t`'s next op on `state` taking branch `branch`.
  ///
  /// - Returns: the step's result; `state` holds the successor (meaningless, half-changed,
  ///   when a violation is returned or an error thrown).
  /// - Throws: ``ModelError/runtime(file:path:message:)`` when the model itself is broken at run time.
  func step(_ state: inout State, thread t: Int, branch: Int) throws(ModelError) -> StepResult {
    // The context changes the caller's state in place, through a pointer: a step copies only
    // the arrays the caller's state shares with its parent, and moves no `State` around.
    let outcome = withUnsafeMutablePointer(to: &state) { p -> Result<StepResult, ModelError> in
      var ctx = StepContext(model: model, state: p, t: t, branch: branch, narrate: narrate)
      do throws(Stop) {
        try ctx.run()
      } catch {
        switch error {
        case .violation(let v):
          var result = StepResult(branches: ctx.branches, violation: v, effect: ctx.effect)
          result.effect = ctx.effect.isEmpty ? v.message : ctx.effect + "; " + v.message
          return .success(result)
        case .model(let e): return .failure(e)
        }
      }
      return .success(StepResult(
        branches: ctx.branches, violation: nil, effect: ctx.effect, blocked: ctx.blocked,
        changedOtherThreads: ctx.changedOtherThreads, readOtherThreads: ctx.readOtherThreads))
    }
    return try outcome.get()
  }

  /// True when thread `t` of `s` can take a step.
  func isEnabled(_ s: State, _ t: Int) -> Bool {
    let th = s.threads[t]
    guard th.outcome == .running else { return false }
    switch th.wait {
    case .rcu(let mask): return mask == 0
    case .mmapWrite: return s.mm.mmapWriter < 0 && s.mm.mmapReaders == 0
    case .vmaDrain(let v): return s.vmas[Int(v)].readers == 0
    case .none: break
    }
    // Most ops never block (``Instr/mayBlock``): they run whenever their thread does.
    guard model.threads[t].mayBlock[Int(th.pc)] else { return true }
    return canRun(model.threads[t].code[Int(th.pc)], s, t)
  }

  /// True when `instr`, thread `t`'s next op, can run in `s`, the thread running and waiting
  /// for nothing: the op's own part of ``isEnabled(_:_:)``. Every case that can return false
  /// must make ``Instr/mayBlock`` true.
  func canRun(_ instr: Instr, _ s: State, _ t: Int) -> Bool {
    let th = s.threads[t]
    // A may-sleep op attempted in atomic context is always taken: the step reports sleep-in-atomic.
    if instr.maySleep && th.isAtomic { return true }
    switch instr {
    case .mmapReadLock:
      if th.mmap != .none { return true }  // recursive: the step reports lock-misuse
      if s.mm.mmapWriter >= 0 { return false }
      if model.options.writerPreferring && s.mm.writersWaiting & ~(UInt32(1) << UInt32(t)) != 0 { return false }
      return true
    case .spinLock(let l):
      // Taking a lock this thread already holds runs, and reports lock-misuse.
      return s.mm.spinOwner[l] < 0 || Int(s.mm.spinOwner[l]) == t
    case .pteLock(let a, let trylock, _):
      if trylock { return true }
      guard let addr = try? StepContext.intValue(a, s, thread: t), let table = peekLeaf(s, addr) else { return true }
      return s.tables[Int(table)].ptlOwner < 0 || Int(s.tables[Int(table)].ptlOwner) == t
    case .pteLockTable(_, let tableOp):
      guard let r = try? StepContext.refValue(tableOp, s, thread: t), r.kind == .table, Int(r.index) < s.tables.count,
        s.tables[Int(r.index)].life != .freed
      else { return true }
      let owner = s.tables[Int(r.index)].ptlOwner
      return owner < 0 || Int(owner) == t
    case .tlbFlushIPI:
      // The sender spins until every other CPU has taken the IPI; a CPU with interrupts disabled cannot.
      if th.irqOff > 0 { return true }  // the step reports lock-misuse
      return !s.threads.indices.contains { $0 != t && s.threads[$0].outcome == .running && s.threads[$0].irqOff > 0 }
    case .zap(let a, let b), .pteProtect(let a, let b, _):
      guard let start = try? StepContext.intValue(a, s, thread: t), let end = try? StepContext.intValue(b, s, thread: t) else { return true }
      var seen: [Int32] = []
      for addr in start..<max(start, end) {
        guard let table = peekLeaf(s, addr), !seen.contains(table) else { continue }
        seen.append(table)
        let owner = s.tables[Int(table)].ptlOwner
        if owner >= 0 && Int(owner) != t { return false }
      }
      return true
    case .vmaMarkDetached(let v):
      guard let r = try? StepContext.refValue(v, s, thread: t), r.kind == .vma, Int(r.index) < s.vmas.count else { return true }
      return s.vmas[Int(r.index)].readers == 0
    case .vmaWaitUnused(let v):
      guard let r = try? StepContext.refValue(v, s, thread: t), r.kind == .vma, Int(r.index) < s.vmas.count else { return true }
      return s.vmas[Int(r.index)].refcount == 0
    default:
      // A sleeping allocation with no memory waits for some other thread to free a page.
      if let g = instr.allocationFlags, g.maySleep && s.mm.freePages == 0 { return false }
      return true
    }
  }

  /// The leaf table covering `addr` reached from the root, or nil; nil too when the
  /// walk meets a freed table (the step itself will report it).
  func peekLeaf(_ s: State, _ addr: Int) -> Int32? {
    guard addr >= 0 && addr < model.layout.size else { return nil }
    var current: Int32 = 0
    for l in 0..<model.layout.leafLevel {
      let table = s.tables[Int(current)]
      if table.life == .freed || table.entryCount == 0 { return nil }
      let child = s.tables.entry(in: table, model.layout.slot(addr, level: l))
      if child < 0 { return nil }
      current = child
    }
    return s.tables[Int(current)].life == .freed ? nil : current
  }

  /// Every step enabled in `s`, in the fixed exploration order: threads in declaration
  /// order (each branch in index order), then the grace period.
  func successors(of s: State) throws(ModelError) -> [(State, Choice, StepResult)] {
    var out: [(State, Choice, StepResult)] = []
    for t in s.threads.indices where isEnabled(s, t) {
      var branch = 0
      var branches = 1
      while branch < branches {
        var next = s
        let result = try step(&next, thread: t, branch: branch)
        branches = result.branches
        out.append((next, Choice(thread: t, branch: branch), result))
        branch += 1
      }
    }
    if isGracePeriodEnabled(s) {
      var next = s
      let result = gracePeriod(&next)
      out.append((next, Choice(thread: Choice.gracePeriod, branch: 0), result))
    }
    return out
  }

  /// True when the environment's grace-period step can run: some queued callback
  /// no longer waits for any reader.
  func isGracePeriodEnabled(_ s: State) -> Bool {
    s.callbacks.contains { s.rcuReaders(of: $0.ref) == 0 }
  }

  /// Ends a grace period: runs every callback whose readers have all left their sections.
  ///
  /// The callbacks left are kept in order, in place (a new array per grace period, grown
  /// callback by callback, cost about 1.5 % of the instructions on spf-4).
  func gracePeriod(_ s: inout State) -> StepResult {
    var freed: [String] = []
    var kept = 0
    for i in s.callbacks.indices {
      let cb = s.callbacks[i]
      if s.rcuReaders(of: cb.ref) == 0 {
        s.setLife(cb.ref, .freed)
        s.mm.freePages += 1
        if narrate { freed.append(s.name(of: cb.ref)) }
      } else {
        if kept != i { s.callbacks[kept] = cb }
        kept += 1
      }
    }
    s.callbacks.removeLast(s.callbacks.count - kept)
    return StepResult(effect: narrate ? "grace period ends: frees \(freed.joined(separator: ", "))" : "")
  }
}

extension Instr {
  /// True when ``Executor/isEnabled(_:_:)`` may find the op disabled while its thread runs and
  /// waits for nothing: the ops that wait for a lock, an IPI, readers to drain, a reference to
  /// drop or a free page. Every other op is then enabled, and `isEnabled` answers without
  /// reading the instruction. `ExecutorEnabledTests` checks on every corpus model that each op
  /// found disabled is one of these.
  var mayBlock: Bool {
    switch self {
    case .mmapReadLock, .spinLock, .pteLock, .pteLockTable, .tlbFlushIPI, .zap, .pteProtect, .vmaMarkDetached,
      .vmaWaitUnused:
      return true
    default:
      return allocationFlags?.maySleep ?? false
    }
  }

  /// True when the op may sleep (`might_sleep()` in the kernel function it mirrors).
  var maySleep: Bool {
    switch self {
    case .mmapReadLock, .mmapWriteLock, .vmaStartWrite, .synchronizeRcu, .filemapRead, .vmaWaitUnused,
      .mightSleep, .vmaMarkDetached:
      return true
    default:
      return allocationFlags?.maySleep ?? false
    }
  }

  /// The allocation flags of an allocating op, nil for every other op.
  var allocationFlags: GFP? {
    switch self {
    case .ptAlloc(let g, _), .pageAlloc(let g, _), .vmaAlloc(let g, _, _, _, _, _), .vmaClone(_, let g, _),
      .objAlloc(_, let g, _):
      return g
    default:
      return nil
    }
  }
}

extension State {
  /// The lifecycle of any object.
  func life(of r: Ref) -> Life {
    switch r.kind {
    case .vma: return vmas[Int(r.index)].life
    case .table: return tables[Int(r.index)].life
    case .page: return pages[Int(r.index)].life
    case .obj: return objs[Int(r.index)].life
    }
  }

  mutating func setLife(_ r: Ref, _ life: Life) {
    switch r.kind {
    case .vma: vmas[Int(r.index)].life = life
    case .table: tables[Int(r.index)].life = life
    case .page: pages[Int(r.index)].life = life
    case .obj: objs[Int(r.index)].life = life
    }
  }

  /// The threads that may still read an object queued for freeing through RCU.
  func rcuReaders(of r: Ref) -> UInt32 {
    switch r.kind {
    case .vma: return vmas[Int(r.index)].rcuReaders
    case .table: return tables[Int(r.index)].rcuReaders
    case .page: return pages[Int(r.index)].rcuReaders
    case .obj: return objs[Int(r.index)].rcuReaders
    }
  }

  mutating func setRcuReaders(_ r: Ref, _ mask: UInt32) {
    switch r.kind {
    case .vma: vmas[Int(r.index)].rcuReaders = mask
    case .table: tables[Int(r.index)].rcuReaders = mask
    case .page: pages[Int(r.index)].rcuReaders = mask
    case .obj: objs[Int(r.index)].rcuReaders = mask
    }
  }

  /// A stable display name such as `table#2`.
  func name(of r: Ref) -> String { "\(r.kind.name)#\(r.index)" }

  /// The addresses a table covers, computed from its parent chain (a table that was
  /// never installed covers the range of its level starting at 0).
  func range(ofTable index: Int32, layout: Layout) -> Range<Int> {
    var addr = 0
    var current = index
    while current != 0 {
      let table = tables[Int(current)]
      guard table.parent >= 0 else { break }
      addr += Int(table.parentSlot) * layout.span(ofEntryAt: Int(tables[Int(table.parent)].level))
      current = table.parent
    }
    let level = max(Int(tables[Int(index)].level), 0)
    return addr..<(addr + layout.span(ofTableAt: level))
  }

  /// True when table `t` is reachable from the root through intact links.
  func isLinked(_ t: Int32) -> Bool {
    var current = t
    var hops = 0
    while current != 0 {
      let table = tables[Int(current)]
      guard table.parent >= 0, table.life != .freed, hops < 8 else { return false }
      let parent = tables[Int(table.parent)]
      guard parent.life != .freed, Int(table.parentSlot) < Int(parent.entryCount),
        tables.entry(in: parent, Int(table.parentSlot)) == current
      else { return false }
      current = table.parent
      hops += 1
    }
    return true
  }
}
