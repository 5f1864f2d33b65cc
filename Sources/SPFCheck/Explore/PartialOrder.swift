/// Partial-order reduction by independent steps: thread-local ops, the reduction SPIN applies
/// to statements that touch only local variables (Holzmann & Peled, "An improvement in formal
/// verification", 1994), and ops on objects no other thread can reach, made safe for every
/// built-in invariant.
///
/// - A *local* op reads and writes only the running thread's registers, program counter
///   and own lock context (`mov`, branches, `choose`, `assert`, `end`, `nop`,
///   `might_sleep`). (`irq_disable`/`irq_enable` are not: `tlb_flush_ipi` waits on other
///   threads' interrupt state.) It commutes with every step of every other thread and of the
///   grace period, and no other step can enable or disable it.
/// - A *private* op is local in the state at hand: a `vma_read` of a thread-local snapshot
///   (`vma_copy`'s `pvma`: only the register is read), or an op whose only operand object is
///   *private* to the thread (``isPrivate(_:in:to:)``): allocated at run time (a program
///   constant can only name a declared object), live, outside the VMA tree, detached, in no
///   open bracket of another thread, and named by nothing another step can follow: no other
///   thread's register (a snapshot's source and field refs included), pin, VMA read lock or
///   drain wait; no cell, global, RCU callback or field of any VMA. The ops that qualify
///   (``Rule``) read and write only that object and the thread's own context, never block,
///   never allocate or free, and never read a lock, counter or mask another thread changes.
///   Privacy is stable: another thread obtains a reference only from the tree, a cell, a
///   global, a VMA field, a page-table entry, the page cache or a fresh allocation (new
///   slots are appended, never reused), all of which only the owner itself can make name the
///   object; and every op that visits objects by index instead (`free_pgtables` and
///   `vma_lookup` see attached or tree VMAs only; `end` reads only `bracketOwner == self`;
///   the grace period and `rcu_read_unlock` only queued callbacks; walks, `zap`,
///   `pte_protect` and `isLinked` only tables, which are never private) ignores a private
///   object and reads no field a private op writes. So a private op commutes with every step
///   of every other thread and of the grace period, in every state those steps reach, and
///   none of them can enable or disable it: {that thread} is a persistent set.
/// - When some thread's next op is local or private, the singleton {that thread} is a
///   persistent set (its branches all explored), so only its successors are explored (ample
///   set, C0–C1); the first such thread in index order is chosen, so the choice is a
///   function of the state. No invariant is checked on a non-sink state (they are checked
///   inside steps, at deadlocks and at quiescence), so private writes need no visibility
///   condition (C2) beyond sink preservation: a failing step is a transition whose outcome
///   the independent op does not change.
/// - Only ops that do not jump backwards qualify (kernel ops never jump), so every cycle of
///   the reduced graph contains a fully expanded state (the cycle proviso C3, decided
///   statically: the state count does not depend on the search order, which keeps
///   `--jobs N` deterministic).
/// - Deterministic local and private ops after a step are *coalesced* into it (none of the
///   private ops has a second branch): the intermediate states are neither stored nor
///   counted, and the schedule lists each coalesced step, so a counterexample replays step
///   by step without the reduction.
///
/// Every violation is a sink (a failing step, a deadlock, or a quiescent end state), and
/// persistent sets preserve every reachable sink (Godefroid, LNCS 1032, Thm. 4.3).
struct PartialOrder {
  /// When a thread's next op is independent of every other step.
  enum Rule: Hashable {
    /// Touches other threads' state or shared state: never.
    case never
    /// Statically local: always.
    case local
    /// `vma_read`: when the operand holds a snapshot, or a private VMA.
    case snapshotOrPrivateVMA(Operand)
    /// `vma_copy`, `vma_set`, `vma_write_begin`/`_end`, `vma_get`/`vma_put`,
    /// `vma_seq_read`, `vma_lock_seq_read`, `vma_is_attached`: when the VMA is private.
    case privateVMA(Operand)
    /// `vma_start_write`: when the VMA is private and the thread holds mmap_lock for
    /// writing (then `mm_lock_seq`, the value it copies, changes only by this thread).
    case privateVMAUnderMmapWrite(Operand)
    /// `obj_get`, and `obj_use` of any kind: when the object is private.
    case privateObject(Operand)
    /// `obj_put`: when the object is private and the put leaves a reference (no free).
    case privateObjectPutNoFree(Operand)
  }

  /// Per thread, per pc.
  let rules: [[Rule]]
  /// Per thread, per pc: local, forward and single-branch (coalesced into the step before it).
  let coalescible: [[Bool]]
  /// The first slot of a VMA and of an object allocated at run time.
  let firstRuntimeVMA: Int
  let firstRuntimeObject: Int

  /// - Parameter privateObjects: false keeps only the thread-local rule (tests compare the two).
  init(model: CompiledModel, privateObjects: Bool = true) {
    var rules: [[Rule]] = []
    var coalescible: [[Bool]] = []
    for thread in model.threads {
      rules.append(thread.code.indices.map {
        let rule = Self.rule(thread.code[$0], pc: $0)
        return privateObjects || rule == .local ? rule : .never
      })
      coalescible.append(thread.code.indices.map {
        if case .choose = thread.code[$0] { return false }
        return Self.isLocal(thread.code[$0], pc: $0)
      })
    }
    self.rules = rules
    self.coalescible = coalescible
    firstRuntimeVMA = model.initial.vmas.count
    firstRuntimeObject = model.initial.objs.count
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

  /// The rule of `instr` at `pc`. Every op with a private rule advances the pc by one,
  /// never blocks, has one branch, and reads or writes, besides the thread's own registers
  /// and context, only the operand object:
  ///
  /// - `vma_read`/`vma_copy`/`vma_seq_read`/`vma_lock_seq_read`/`vma_is_attached` read its
  ///   fields (`torn` reads `bracketOwner`, which is -1 or the thread itself).
  /// - `vma_set` writes one field and `seq`; the lock check is skipped on a detached VMA.
  ///   A `file`/`policy`/`anon_vma` ref stored into it is reachable by nobody else either.
  /// - `vma_write_begin`/`_end` write `bracketOwner` (self or -1; `end` of another thread
  ///   looks only for its own id) and `seq`.
  /// - `vma_get`/`vma_put` write `refcount` and the own pins (`vma_wait_unused` of another
  ///   thread would need a reference).
  /// - `vma_start_write` on a detached VMA never waits: it copies `mm_lock_seq` into
  ///   `vm_lock_seq`; under the thread's own write lock no one else changes `mm_lock_seq`.
  /// - `obj_get`/`obj_use` and an `obj_put` that leaves a reference write only `refcount`
  ///   and the own pins.
  ///
  /// Not included: allocations (the allocator counters, failure branches), every free
  /// (`freePages`, the RCU callback list and the readers mask of the moment), `vma_insert`,
  /// `vma_replace`, `pt_install`, `pmd_populate`, `cell_store`, `store` (they publish), the
  /// mmap_lock, spinlocks, RCU depth (the grace period and `synchronize_rcu` read it), irq
  /// state (`tlb_flush_ipi` reads it), every op that can block or be disabled, and every op
  /// on page tables or pages (walks, `zap`, `isLinked` and the page cache find them by index
  /// or through entries, so they are never treated as private).
  static func rule(_ instr: Instr, pc: Int) -> Rule {
    if isLocal(instr, pc: pc) { return .local }
    switch instr {
    case .vmaRead(let o, _, _): return .snapshotOrPrivateVMA(o)
    case .vmaCopy(let o, _), .vmaSet(let o, _, _), .vmaWriteBegin(let o), .vmaWriteEnd(let o), .vmaGet(let o),
      .vmaPut(let o), .vmaSeqRead(let o, _), .vmaLockSeqRead(let o, _), .vmaIsAttached(let o, _):
      return .privateVMA(o)
    case .vmaStartWrite(let o): return .privateVMAUnderMmapWrite(o)
    case .objGet(let o), .objUse(let o): return .privateObject(o)
    case .objPut(let o, _): return .privateObjectPutNoFree(o)
    default: return .never
    }
  }

  /// The thread whose local or private next op forms a singleton ample set in `s`, or nil:
  /// the first in index order.
  func ampleThread(_ s: State) -> Int? {
    for t in s.threads.indices where independent(s, t) { return t }
    return nil
  }

  /// True when thread `t`'s next op in `s` is coalesced into the step that led there.
  ///
  /// - Parameter privacy: notes each object whose privacy the answer depended on, with
  ///   whether another thread named it, so that the move is cached under that condition
  ///   (``TransitionCache``).
  func coalesces(_ s: State, _ t: Int, privacy: inout PrivacyReads) -> Bool {
    let th = s.threads[t]
    guard th.outcome == .running && th.wait == .none else { return false }
    if coalescible[t][Int(th.pc)] { return true }
    let rule = rules[t][Int(th.pc)]
    switch rule {
    case .never, .local: return false
    default: return isPrivateOp(rule, s, t, privacy: &privacy)
    }
  }

  /// True when thread `t` is running, not waiting, and its next op is local or private.
  func independent(_ s: State, _ t: Int) -> Bool {
    let th = s.threads[t]
    guard th.outcome == .running && th.wait == .none else { return false }
    let rule = rules[t][Int(th.pc)]
    if rule == .local { return true }
    var privacy = PrivacyReads()
    return isPrivateOp(rule, s, t, privacy: &privacy)
  }

  /// True when `rule` holds for thread `t`'s next op in `s`, noting in `privacy` what the
  /// answer read of other threads (see ``isPrivate(_:in:to:privacy:)``).
  func isPrivateOp(_ rule: Rule, _ s: State, _ t: Int, privacy: inout PrivacyReads) -> Bool {
    let th = s.threads[t]
    switch rule {
    case .never, .local:
      return false
    case .snapshotOrPrivateVMA(let o):
      let v = StepContext.value(o, s, thread: t)
      if case .snapshot = v.payload { return true }
      guard let r = v.ref, r.kind == .vma else { return false }
      return isPrivate(r, in: s, to: t, privacy: &privacy)
    case .privateVMA(let o):
      guard let r = StepContext.value(o, s, thread: t).ref, r.kind == .vma else { return false }
      return isPrivate(r, in: s, to: t, privacy: &privacy)
    case .privateVMAUnderMmapWrite(let o):
      guard th.mmap == .write, let r = StepContext.value(o, s, thread: t).ref, r.kind == .vma else { return false }
      return isPrivate(r, in: s, to: t, privacy: &privacy)
    case .privateObject(let o):
      guard let r = StepContext.value(o, s, thread: t).ref else { return false }
      return isPrivate(r, in: s, to: t, privacy: &privacy)
    case .privateObjectPutNoFree(let o):
      guard let r = StepContext.value(o, s, thread: t).ref, r.kind == .obj, Int(r.index) < s.objs.count,
        s.objs[Int(r.index)].refcount >= 2
      else { return false }
      return isPrivate(r, in: s, to: t, privacy: &privacy)
    }
  }

  /// True when object `r` is private to thread `t` in `s`: no step of another thread or of
  /// the grace period can reach it, change it, or free it until `t` publishes it.
  ///
  /// Only VMAs and generic objects allocated at run time can be private; page tables and
  /// pages never are (walks, `zap`, `free_pgtables`, `isLinked`, `dropPage` and the page
  /// cache reach them by index or through entries, not through references).
  func isPrivate(_ r: Ref, in s: State, to t: Int) -> Bool {
    var privacy = PrivacyReads()
    return isPrivate(r, in: s, to: t, privacy: &privacy)
  }

  /// ``isPrivate(_:in:to:)``, noting in `privacy` whether another thread named `r` when the
  /// answer came down to that: the rest of the answer reads only the shared state and
  /// thread `t`'s own.
  func isPrivate(_ r: Ref, in s: State, to t: Int, privacy: inout PrivacyReads) -> Bool {
    let others = ~(UInt32(1) << UInt32(t))
    let i = Int(r.index)
    switch r.kind {
    case .vma:
      guard i >= firstRuntimeVMA && i < s.vmas.count else { return false }
      let v = s.vmas[i]
      guard v.life == .live, !v.inTree, !v.attached, v.bracketOwner < 0 || Int(v.bracketOwner) == t,
        v.rcuReaders & others == 0, !s.tree.contains(r.index)
      else { return false }
    case .obj:
      guard i >= firstRuntimeObject && i < s.objs.count else { return false }
      let o = s.objs[i]
      guard o.life == .live, !o.isStatic, o.rcuReaders & others == 0 else { return false }
    case .table, .page:
      return false
    }
    if s.vmas.contains(where: { $0.anonVma == r || $0.policy == r || $0.file == r }) { return false }
    if s.callbacks.contains(where: { $0.ref == r }) { return false }
    if s.cells.contains(where: { Self.names($0, r) }) || s.globals.contains(where: { Self.names($0, r) }) {
      return false
    }
    let named = Self.namedByAnotherThread(r, in: s, besides: t)
    privacy.note(r, named: named)
    return !named
  }

  /// True when a thread other than `t` names `r`: in a register, a pin, a VMA read lock or a
  /// `vma_wait_unused` drain. The part of ``isPrivate(_:in:to:)`` that reads other threads.
  static func namedByAnotherThread(_ r: Ref, in s: State, besides t: Int) -> Bool {
    for (u, other) in s.threads.enumerated() where u != t {
      if s.registers(of: u).contains(where: { names($0, r) }) || other.pins.contains(r) { return true }
      if r.kind == .vma {
        if other.vmaReadLocks.contains(r.index) { return true }
        if case .vmaDrain(let w) = other.wait, w == r.index { return true }
      }
    }
    return false
  }

  /// True when value `v` refers to `r`: a reference, or a snapshot of it or holding it.
  static func names(_ v: Value, _ r: Ref) -> Bool {
    switch v.payload {
    case .ref(let x): return x == r
    case .snapshot(let snap):
      return (r.kind == .vma && snap.source == r.index) || snap.anonVma == r || snap.policy == r || snap.file == r
    default: return false
    }
  }
}

/// What a move's coalescing decisions read of other threads: the objects whose privacy
/// (``PartialOrder/isPrivate(_:in:to:privacy:)``) came down to whether another thread named
/// them, and the answers. A cached move holds only while each answer is the same in the state
/// at hand (``TransitionCache/Hit/holds(in:thread:)``); room for two objects, after which the
/// move is not cached.
struct PrivacyReads {
  /// The objects, packed (``PackedRef``; 0 for an empty place).
  private(set) var objects: (UInt32, UInt32) = (0, 0)
  /// Bit `i`: another thread named object `i`.
  private(set) var named: UInt32 = 0
  /// A third object was asked about.
  private(set) var overflow = false

  init() {}

  /// The reads as a cache entry keeps them.
  init(objects: (UInt32, UInt32), named: UInt32) {
    (self.objects, self.named) = (objects, named)
  }

  /// Notes that the answer for `r` was `named`. An object asked about twice takes one
  /// place: in a move that changes no other thread (the only moves cached) its answer is the
  /// same both times.
  mutating func note(_ r: Ref, named: Bool) {
    let packed = PackedRef(r).raw
    if objects.0 == 0 || objects.0 == packed {
      objects.0 = packed
      if named { self.named |= 1 }
    } else if objects.1 == 0 || objects.1 == packed {
      objects.1 = packed
      if named { self.named |= 2 }
    } else {
      overflow = true
    }
  }

  /// True when every answer noted is the answer in `s`, for a move of thread `t`.
  func hold(in s: State, thread t: Int) -> Bool {
    if objects.0 != 0
      && PartialOrder.namedByAnotherThread(PackedRef(raw: objects.0).nonNil, in: s, besides: t) != (named & 1 != 0)
    {
      return false
    }
    if objects.1 != 0
      && PartialOrder.namedByAnotherThread(PackedRef(raw: objects.1).nonNil, in: s, besides: t) != (named & 2 != 0)
    {
      return false
    }
    return true
  }
}
