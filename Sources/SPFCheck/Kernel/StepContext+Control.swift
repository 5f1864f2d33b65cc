extension StepContext {
  /// Runs the thread's next instruction.
  mutating func run() throws(Stop) {
    let instr = model.threads[t].code[pc]
    if th.wait != .none {
      try resume(instr)
      return
    }
    var next = pc + 1
    switch instr {
    /// Control flow: jumps, branches, `choose` (both ways explored), assertions, moves, `end`.
    case .goto(let target): next = target
    case .branch(let c, let target):
      let taken = try evaluate(c)
      say(taken ? "condition holds: jump" : "condition fails: fall through")
      if taken { next = target }
    case .choose(let target):
      branches = 2
      if branch == 1 { next = target }
      say(branch == 1 ? "chooses the jump" : "chooses to fall through")
    case .assert(let c):
      if !(try evaluate(c)) { throw fail(.assertion, site.message ?? "assertion failed") }
      say("assertion holds")
    case .mov(let o, let into):
      set(into, value(o))
      say("\(model.threads[t].registerNames[into]) = \(show(value(o)))")
    case .end(let kind):
      try end(kind)
      return
    case .nop: break
    default:
      if try runKernelOp(instr) == false { return }
    }
    th.pc = Int32(next)
  }

  /// Runs a kernel op; returns false when the thread blocked (its pc stays).
  mutating func runKernelOp(_ instr: Instr) throws(Stop) -> Bool {
    switch instr {
    case .mmapReadLock, .mmapReadTrylock, .mmapReadUnlock, .mmapWriteLock, .mmapWriteUnlock,
      .mmapWriteDowngrade, .mmapSeqRead, .mmapSeqCheck, .vmaSeqRead, .vmaSeqCheck, .vmaStartRead,
      .vmaEndRead, .vmaStartWrite, .vmaMarkDetached, .vmaMarkAttached, .rcuReadLock, .rcuReadUnlock,
      .synchronizeRcu, .spinLock, .spinTrylock, .spinUnlock, .irqDisable, .irqEnable, .mightSleep,
      .vmaLockSeqRead, .vmaReadTrylock, .vmaIsAttached, .tlbFlushIPI:
      return try runLockOp(instr)
    case .vmaLookup, .vmaAlloc, .vmaClone, .vmaSet, .vmaWriteBegin, .vmaWriteEnd, .vmaRead, .vmaCopy,
      .vmaInsert, .vmaRemove, .vmaReplace, .vmaFree, .vmaGet, .vmaPut, .vmaWaitUnused:
      try runVMAOp(instr)
    case .ptWalk, .ptAlloc, .ptInstall, .ptFree, .pteLock, .pteUnlock, .pteRead, .pteSet, .pteClear,
      .pteProtect, .zap, .freePgtables, .pteLockTable, .pmdClear, .pmdPopulate:
      try runPageTableOp(instr)
    default:
      try runObjectOp(instr)
    }
    return true
  }

  /// Completes a blocked two-phase op (`mmap_write_lock`, `synchronize_rcu`, `vma_start_write`).
  mutating func resume(_ instr: Instr) throws(Stop) {
    switch th.wait {
    case .mmapWrite:
      s.mm.writersWaiting &= ~bit
      s.mm.mmapWriter = Int8(t)
      s.mm.seq += 1
      th.mmap = .write
      say("resumes: takes mmap_lock for writing (mm_lock_seq \(s.mm.seq))")
    case .rcu:
      say("resumes: grace period complete, every pre-existing reader has left its section")
    case .vmaDrain(let v):
      s.vmas[Int(v)].excluding = false
      s.vmas[Int(v)].lockSeq = s.mm.seq
      say("resumes: readers drained, vma#\(v) write-locked")
    case .none: break
    }
    th.wait = .none
    th.pc += 1
  }

  /// `end`: checks that nothing is still held, then ends or restarts the thread.
  mutating func end(_ kind: EndKind) throws(Stop) {
    var held: [String] = []
    if th.mmap != .none { held.append("mmap_lock") }
    if th.rcuDepth > 0 { held.append("an RCU read-side section") }
    if !th.ptl.isEmpty { held.append("a ptl") }
    if th.spinHeld != 0 {
      for (i, name) in model.spinlockNames.enumerated() where holdsSpin(i) { held.append(name) }
    }
    if !th.vmaReadLocks.isEmpty { held.append("a VMA read lock on vma#\(th.vmaReadLocks[0])") }
    if th.irqOff > 0 { held.append("interrupts disabled") }
    if s.vmas.contains(where: { $0.bracketOwner == Int8(t) }) { held.append("an open vma_write_begin bracket") }
    if !held.isEmpty {
      throw fail(.lockMisuse, "thread ends (\(kind.rawValue)) still holding \(held.joined(separator: ", "))")
    }
    switch kind {
    case .restart:
      if Int(th.retries) >= model.options.retryLimit {
        th.outcome = .retryLimit
        say("retry limit \(model.options.retryLimit) reached: this interleaving is not explored further")
        return
      }
      let retries = th.retries + 1
      s.threads[t] = ThreadState()
      s.regs.clear(thread: t)
      th.retries = retries
      say("restarts from the top (retry \(retries))")
    case .done: th.outcome = .done; say("ends")
    case .sigsegv: th.outcome = .sigsegv; say("ends with SIGSEGV")
    case .retry: th.outcome = .retry; say("ends with VM_FAULT_RETRY")
    }
  }

  /// Evaluates a branch or assert condition.
  func evaluate(_ c: Condition) throws(Stop) -> Bool {
    switch c {
    case .isTrue(let o), .isFalse(let o):
      guard case .bool(let b) = value(o).payload else {
        throw broken("expected a boolean in \(describe(o)), found \(show(value(o)))")
      }
      if case .isTrue = c { return b }
      return !b
    case .isNone(let o): return value(o).isNone
    case .isSome(let o): return !value(o).isNone
    case .isOdd(let o): return try int(o, "a sequence value") & 1 == 1
    case .isEven(let o): return try int(o, "a sequence value") & 1 == 0
    case .equal(let a, let b): return value(a).payload == value(b).payload
    case .notEqual(let a, let b): return value(a).payload != value(b).payload
    case .lessThan(let a, let b): return try int(a, "an integer") < int(b, "an integer")
    case .greaterOrEqual(let a, let b): return try int(a, "an integer") >= int(b, "an integer")
    case .allows(let o, let access):
      switch value(o).payload {
      case .prot(let p): return p.contains(access)
      case .snapshot(let snap): return snap.prot.contains(access)
      default: throw broken("expected a protection in \(describe(o)), found \(show(value(o)))")
      }
    }
  }
}
