/// Partial-order reduction by thread-local steps, the reduction SPIN applies to statements
/// that touch only local variables (Holzmann & Peled, "An improvement in formal
/// verification", 1994), made safe for every built-in invariant:
///
/// - A *local* op reads and writes only the running thread's registers, program counter
///   and own lock context (`mov`, branches, `choose`, `assert`, `end`, `nop`,
///   `might_sleep`). (`irq_disable`/`irq_enable` are not: `tlb_flush_ipi` waits on other
///   threads' interrupt state.) It commutes with every step of every other thread and of the
///   grace period, and no other step can enable or disable it.
/// - When some thread's next op is local, the singleton {that thread} is a persistent set
///   (its branches all explored), so only its successors are explored (ample set, C0–C1).
///   Local ops change no shared state, so no invariant can see them (C2).
/// - Only ops that do not jump backwards qualify, so every cycle of the reduced graph
///   contains a fully expanded state (the cycle proviso C3, decided statically: the state
///   count does not depend on the search order, which keeps `--jobs N` deterministic).
/// - Deterministic local ops after a step are *coalesced* into it: the intermediate states
///   are neither stored nor counted, and the schedule lists each coalesced step, so a
///   counterexample replays step by step without the reduction.
///
/// Every violation is a sink (a failing step, a deadlock, or a quiescent end state), and
/// persistent sets preserve every reachable sink (Godefroid, LNCS 1032, Thm. 4.3).
struct PartialOrder {
  /// Per thread, per pc: the op is local and forward (a candidate ample set).
  let local: [[Bool]]
  /// Per thread, per pc: local, forward and single-branch (coalesced into the step before it).
  let coalescible: [[Bool]]

  init(model: CompiledModel) {
    var local: [[Bool]] = []
    var coalescible: [[Bool]] = []
    for thread in model.threads {
      local.append(thread.code.indices.map { Self.isLocal(thread.code[$0], pc: $0) })
      coalescible.append(thread.code.indices.map {
        if case .choose = thread.code[$0] { return false }
        return Self.isLocal(thread.code[$0], pc: $0)
      })
    }
    self.local = local
    self.coalescible = coalescible
  }

  /// True when `instr` at `pc` touches only its own thread and never jumps backwards.
  static func isLocal(_ instr: Instr, pc: Int) -> Bool {
    switch instr {
    case .goto(let target), .branch(_, let target), .choose(let target): return target > pc
    case .assert, .mov, .nop, .mightSleep: return true
    case .end(let kind): return kind != .restart
    default: return false
    }
  }

  /// The thread whose local next op forms a singleton ample set in `s`, or nil.
  func ampleThread(_ s: State) -> Int? {
    for (t, th) in s.threads.enumerated()
    where th.outcome == .running && th.wait == .none && local[t][Int(th.pc)] {
      return t
    }
    return nil
  }

  /// True when thread `t`'s next op in `s` is coalesced into the step that led there.
  func coalesces(_ s: State, _ t: Int) -> Bool {
    let th = s.threads[t]
    return th.outcome == .running && th.wait == .none && coalescible[t][Int(th.pc)]
  }
}
