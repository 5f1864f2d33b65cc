extension StepContext {
  /// mmap_lock, sequence counts, per-VMA locks, RCU, spinlocks and interrupts.
  ///
  /// Returns false when the thread blocked (two-phase ops).
  mutating func runLockOp(_ instr: Instr) throws(Stop) -> Bool {
    switch instr {
    /// `mmap_read_lock()` (include/linux/mmap_lock.h): `down_read(&mm->mmap_lock)`.
    case .mmapReadLock:
      try mightSleep("mmap_read_lock")
      if th.mmap != .none { throw fail(.lockMisuse, "mmap_read_lock while already holding mmap_lock") }
      s.mm.mmapReaders |= bit
      th.mmap = .read
      say("takes mmap_lock for reading")
    /// `mmap_read_trylock()`: fails against a writer or (writer-preferring) a waiting writer.
    case .mmapReadTrylock(let into):
      let others = s.mm.writersWaiting & ~bit
      let ok = th.mmap == .none && s.mm.mmapWriter < 0 && !(model.options.writerPreferring && others != 0)
      if ok {
        s.mm.mmapReaders |= bit
        th.mmap = .read
      }
      set(into, Value(.bool(ok)))
      say(ok ? "mmap_read_trylock succeeds" : "mmap_read_trylock fails")
    /// `mmap_read_unlock()`: `up_read(&mm->mmap_lock)`.
    case .mmapReadUnlock:
      guard th.mmap == .read else { throw fail(.lockMisuse, "mmap_read_unlock without holding mmap_lock for reading") }
      s.mm.mmapReaders &= ~bit
      th.mmap = .none
      say("releases mmap_lock (read)")
    /// `mmap_write_lock()`: `down_write` then `mm_lock_seqcount_begin` (seq becomes odd).
    case .mmapWriteLock:
      try mightSleep("mmap_write_lock")
      if th.mmap != .none { throw fail(.lockMisuse, "mmap_write_lock while already holding mmap_lock") }
      if s.mm.mmapWriter < 0 && s.mm.mmapReaders == 0 {
        s.mm.mmapWriter = Int8(t)
        s.mm.seq += 1
        th.mmap = .write
        say("takes mmap_lock for writing (mm_lock_seq \(s.mm.seq))")
      } else {
        s.mm.writersWaiting |= bit
        th.wait = .mmapWrite
        blocked = true
        say("blocks in mmap_write_lock: mmap_lock is held; new readers now queue behind this writer")
        return false
      }
    /// `mmap_write_unlock()`: `vma_end_write_all` (seq becomes even, every VMA write lock ends), `up_write`.
    case .mmapWriteUnlock:
      guard holdsMmapWrite else { throw fail(.lockMisuse, "mmap_write_unlock without holding mmap_lock for writing") }
      s.mm.seq += 1
      s.mm.mmapWriter = -1
      th.mmap = .none
      say("releases mmap_lock (write; mm_lock_seq \(s.mm.seq), all VMA write locks end)")
    /// `mmap_write_downgrade()`: `vma_end_write_all` then `downgrade_write`.
    case .mmapWriteDowngrade:
      guard holdsMmapWrite else { throw fail(.lockMisuse, "mmap_write_downgrade without holding mmap_lock for writing") }
      s.mm.seq += 1
      s.mm.mmapWriter = -1
      s.mm.mmapReaders |= bit
      th.mmap = .read
      say("downgrades mmap_lock to read (mm_lock_seq \(s.mm.seq), all VMA write locks end)")
    /// Lespinasse's `mmap_seq_read_start()`.
    case .mmapSeqRead(let into):
      set(into, Value(.int(Int(s.mm.seq))))
      say("reads mm_lock_seq = \(s.mm.seq)")
    /// Lespinasse's `mmap_seq_read_check()`.
    case .mmapSeqCheck(let o, let into):
      let seq = try int(o, "a sequence value")
      let ok = seq == Int(s.mm.seq)
      set(into, Value(.bool(ok)))
      say(ok ? "mm_lock_seq unchanged (\(seq))" : "mm_lock_seq changed: \(seq) -> \(s.mm.seq)")
    /// Dufour's `vma->vm_sequence` read.
    case .vmaSeqRead(let o, let into):
      let v = try vma(o)
      set(into, Value(.int(Int(s.vmas[v].seq))))
      say("reads vma#\(v) vm_sequence = \(s.vmas[v].seq)")
    /// Dufour's `vma_has_changed()`: compare `vm_sequence` with the sampled value.
    case .vmaSeqCheck(let o, let seqOp, let into):
      let v = try vma(o)
      let seq = try int(seqOp, "a sequence value")
      let ok = seq == Int(s.vmas[v].seq)
      set(into, Value(.bool(ok)))
      say(ok ? "vma#\(v) vm_sequence unchanged" : "vma#\(v) vm_sequence changed: \(seq) -> \(s.vmas[v].seq)")
    /// `vma_start_read()` (mm/mmap_lock.c): fails on a write-locked, excluded or detached VMA.
    case .vmaStartRead(let o, let into):
      let v = try vma(o)
      let vm = s.vmas[v]
      let result: String
      if !vm.attached {
        result = "detached"
      } else if vm.excluding || (vm.lockSeq == s.mm.seq && s.mm.seq & 1 == 1) {
        result = "locked"
      } else {
        s.vmas[v].readers += 1
        try room(th.vmaReadLocks, "VMA read locks")
        th.vmaReadLocks.append(Int32(v))
        result = "ok"
      }
      set(into, Value(.sym(Int32(model.symbols.firstIndex(of: result)!))))
      say("vma_start_read(vma#\(v)) = \(result)")
    /// `vma_end_read()`: `vma_refcount_put`.
    case .vmaEndRead(let o):
      let v = try vma(o)
      guard let i = th.vmaReadLocks.firstIndex(of: Int32(v)) else {
        throw fail(.lockMisuse, "vma_end_read(vma#\(v)) without holding its read lock")
      }
      th.vmaReadLocks.remove(at: i)
      s.vmas[v].readers -= 1
      say("releases the read lock on vma#\(v)")
    /// `vma_start_write()`: requires mmap write; sets the exclude flag and sleeps until readers drain.
    case .vmaStartWrite(let o):
      try mightSleep("vma_start_write")
      let v = try vma(o)
      guard holdsMmapWrite else { throw fail(.lockMisuse, "vma_start_write(vma#\(v)) without holding mmap_lock for writing") }
      if s.vmas[v].lockSeq == s.mm.seq {
        say("vma#\(v) already write-locked in this cycle")
      } else if s.vmas[v].readers == 0 || !s.vmas[v].attached {
        s.vmas[v].lockSeq = s.mm.seq
        say("write-locks vma#\(v)")
      } else {
        s.vmas[v].excluding = true
        th.wait = .vmaDrain(Int32(v))
        blocked = true
        say("blocks in vma_start_write(vma#\(v)): excludes new readers, waits for \(s.vmas[v].readers) reader(s)")
        return false
      }
    /// `vma_mark_detached()`: requires the VMA write lock; waits for transient readers.
    case .vmaMarkDetached(let o):
      try mightSleep("vma_mark_detached")
      let v = try vma(o)
      guard isVMAWriteLocked(v) else { throw fail(.lockMisuse, "vma_mark_detached(vma#\(v)) without its VMA write lock") }
      guard s.vmas[v].attached else { throw fail(.lockMisuse, "vma_mark_detached(vma#\(v)) on a detached VMA") }
      s.vmas[v].attached = false
      say("detaches vma#\(v)")
    /// `vma_mark_attached()`: `refcount_set_release(&vma->vm_refcnt, 1)`; undoes a failed munmap (`reattach_vmas`).
    case .vmaMarkAttached(let o):
      let v = try vma(o)
      guard holdsMmapWrite else { throw fail(.lockMisuse, "vma_mark_attached(vma#\(v)) without holding mmap_lock for writing") }
      guard !s.vmas[v].attached else { throw fail(.lockMisuse, "vma_mark_attached(vma#\(v)) on an attached VMA") }
      s.vmas[v].attached = true
      say("attaches vma#\(v)")
    /// `READ_ONCE(vma->vm_lock_seq)`: the pessimistic early check and the recheck of `vma_start_read()`
    /// (include/linux/mm.h, 6.4-6.14; mm/mmap_lock.c now). The initial value (`UINT_MAX` in
    /// `vma_lock_init`) reads as -1 here.
    case .vmaLockSeqRead(let o, let into):
      let v = try vma(o)
      set(into, Value(.int(Int(s.vmas[v].lockSeq))))
      say("reads vma#\(v) vm_lock_seq = \(s.vmas[v].lockSeq)")
    /// `down_read_trylock(&vma->vm_lock->lock)` inside the 6.4-6.14 `vma_start_read()` (include/linux/mm.h):
    /// fails only while a writer holds or waits for the per-VMA rwsem (the exclude flag). It checks
    /// neither `vm_lock_seq` nor whether the VMA is still attached: that is the caller's recheck.
    case .vmaReadTrylock(let o, let into):
      let v = try vma(o)
      let ok = !s.vmas[v].excluding
      if ok {
        s.vmas[v].readers += 1
        try room(th.vmaReadLocks, "VMA read locks")
        th.vmaReadLocks.append(Int32(v))
      }
      set(into, Value(.bool(ok)))
      say(ok ? "down_read_trylock on vma#\(v) succeeds\(s.vmas[v].attached ? "" : " (the VMA is detached)")" : "down_read_trylock on vma#\(v) fails: a writer excludes readers")
    /// The detach check: `vma->detached` (6.4-6.14, `lock_vma_under_rcu()`), and since
    /// "mm: change vma_start_read to fail if VMA got detached from under it" inside `vma_start_read()`
    /// (mm/mmap_lock.c; with refcounts, `__refcount_inc_not_zero_limited_acquire` failing on 0).
    case .vmaIsAttached(let o, let into):
      let v = try vma(o)
      set(into, Value(.bool(s.vmas[v].attached)))
      say("vma#\(v) is \(s.vmas[v].attached ? "attached" : "detached")")
    /// A TLB flush that IPIs every other CPU and waits for each to run the handler:
    /// `flush_tlb_mm_range()` → `on_each_cpu_cond_mask()` / `smp_call_function_many(…, wait=true)`
    /// (arch/x86/mm/tlb.c, kernel/smp.c), and `tlb_remove_table_sync_one()` (mm/mmu_gather.c).
    /// Disabled while another running thread has interrupts disabled (it cannot take the IPI);
    /// sending it with interrupts disabled is `lock-misuse` (the WARN in `smp_call_function_many_cond`).
    case .tlbFlushIPI:
      guard th.irqOff == 0 else {
        throw fail(.lockMisuse, "tlb_flush_ipi with interrupts disabled: smp_call_function_many may deadlock (WARN_ON_ONCE(irqs_disabled()))")
      }
      say("flushes the TLB: every other CPU acknowledged the IPI")
    /// `rcu_read_lock()`.
    case .rcuReadLock:
      rcuEnter()
      say("enters an RCU read-side section")
    /// `rcu_read_unlock()`: at the outermost level, releases the grace periods waiting for this reader.
    case .rcuReadUnlock:
      try rcuExit()
      say("leaves the RCU read-side section")
    /// `synchronize_rcu()`: may sleep; waits for every read-side section that began before it.
    case .synchronizeRcu:
      try mightSleep("synchronize_rcu")
      let mask = rcuReadersNow() & ~bit
      if mask == 0 {
        say("synchronize_rcu: no reader to wait for")
      } else {
        th.wait = .rcu(mask)
        blocked = true
        say("blocks in synchronize_rcu until current readers leave their sections")
        return false
      }
    /// `spin_lock()`: disabled while another thread holds the lock; recursion is lock-misuse.
    case .spinLock(let l):
      if holdsSpin(l) { throw fail(.lockMisuse, "spin_lock(\(model.spinlockNames[l])) already held by this thread") }
      s.mm.spinOwner[l] = Int8(t)
      th.spinHeld |= UInt32(1) << UInt32(l)
      say("takes \(model.spinlockNames[l])")
    /// `spin_trylock()`.
    case .spinTrylock(let l, let into):
      let ok = s.mm.spinOwner[l] < 0
      if ok {
        s.mm.spinOwner[l] = Int8(t)
        th.spinHeld |= UInt32(1) << UInt32(l)
      }
      set(into, Value(.bool(ok)))
      say(ok ? "spin_trylock(\(model.spinlockNames[l])) succeeds" : "spin_trylock(\(model.spinlockNames[l])) fails")
    /// `spin_unlock()`.
    case .spinUnlock(let l):
      guard holdsSpin(l) else { throw fail(.lockMisuse, "spin_unlock(\(model.spinlockNames[l])) without holding it") }
      s.mm.spinOwner[l] = -1
      th.spinHeld &= ~(UInt32(1) << UInt32(l))
      say("releases \(model.spinlockNames[l])")
    /// `local_irq_disable()` (nests as a counter).
    case .irqDisable:
      th.irqOff += 1
      say("disables interrupts")
    /// `local_irq_enable()`.
    case .irqEnable:
      guard th.irqOff > 0 else { throw fail(.lockMisuse, "irq_enable with interrupts already enabled") }
      th.irqOff -= 1
      say("enables interrupts")
    /// `might_sleep()`: the check alone, for APIs that sleep on some paths (headless `kvfree_rcu`).
    case .mightSleep:
      try mightSleep("might_sleep")
      say("might_sleep: not in atomic context")
    default:
      break
    }
    return true
  }
}
