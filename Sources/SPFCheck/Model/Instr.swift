/// A compiled operand: a constant or a register of the running thread.
enum Operand: Hashable, Sendable {
  /// A program constant, held compactly (``Constant``).
  case const(Constant)
  case reg(Int)

  /// The constant operand `v` (never a snapshot, with no RCU section).
  static func constant(_ v: Value) -> Operand { .const(Constant(v)) }
}

/// A test used by conditional branches and by `assert`.
enum Condition: Hashable, Sendable {
  case isTrue(Operand)
  case isFalse(Operand)
  case isNone(Operand)
  case isSome(Operand)
  case isOdd(Operand)
  case isEven(Operand)
  case equal(Operand, Operand)
  case notEqual(Operand, Operand)
  case lessThan(Operand, Operand)
  case greaterOrEqual(Operand, Operand)
  case allows(Operand, Prot)
}

/// Allocation flags (`gfp_t`): a base class and modifiers.
struct GFP: Hashable, Sendable {
  enum Base: String, Hashable, Sendable, CaseIterable {
    /// GFP_KERNEL: may sleep and reclaim.
    case kernel
    /// GFP_NOWAIT: never sleeps.
    case nowait
    /// GFP_ATOMIC: never sleeps, may dip into the emergency reserve.
    case atomic
  }
  var base: Base
  var nomemalloc = false
  var nowarn = false
  var noretry = false

  /// True when the allocation may sleep (`__GFP_DIRECT_RECLAIM`).
  var maySleep: Bool { base == .kernel }
  /// True when the allocation may take emergency reserve pages.
  var mayUseReserve: Bool { !nomemalloc && (base == .atomic || base == .nowait) }

  var text: String {
    var parts = [base.rawValue]
    if nomemalloc { parts.append("nomemalloc") }
    if nowarn { parts.append("nowarn") }
    if noretry { parts.append("noretry") }
    return parts.joined(separator: "|")
  }
}

/// How `free_pgtables` and `pt_free` release page-table pages.
enum FreeMode: String, Hashable, Sendable {
  case immediate, rcu
}

/// How a thread's program ends.
enum EndKind: String, Hashable, Sendable {
  case done, sigsegv, retry, restart
}

/// One compiled instruction: one atomic step of a thread.
///
/// Each case mirrors one op of the model language (docs/model-language.md);
/// the semantics live in `Kernel/Executor*.swift`.
enum Instr: Hashable, Sendable {
  // Control.
  case goto(Int)
  case branch(Condition, Int)
  case choose(Int)
  /// Fails with ``SourceSite/message`` when the condition does not hold.
  case assert(Condition)
  case mov(Operand, into: Int)
  case end(EndKind)
  case nop
  // mmap_lock and sequence counts.
  case mmapReadLock
  case mmapReadTrylock(into: Int?)
  case mmapReadUnlock
  case mmapWriteLock
  case mmapWriteUnlock
  case mmapWriteDowngrade
  case mmapSeqRead(into: Int)
  case mmapSeqCheck(Operand, into: Int)
  case vmaSeqRead(Operand, into: Int)
  case vmaSeqCheck(Operand, Operand, into: Int)
  // Per-VMA lock.
  case vmaStartRead(Operand, into: Int?)
  case vmaEndRead(Operand)
  case vmaStartWrite(Operand)
  case vmaMarkDetached(Operand)
  case vmaMarkAttached(Operand)
  /// `vma_start_read` sub-steps (B8): `READ_ONCE(vma->vm_lock_seq)`, the 6.4 `down_read_trylock`, the detach check.
  case vmaLockSeqRead(Operand, into: Int)
  case vmaReadTrylock(Operand, into: Int?)
  case vmaIsAttached(Operand, into: Int)
  // VMA tree and VMA objects.
  case vmaLookup(addr: Operand, into: Int)
  case vmaAlloc(GFP, start: Operand, end: Operand, prot: Operand, anon: Bool, into: Int)
  case vmaClone(Operand, GFP, into: Int)
  case vmaSet(Operand, VMAField, Operand)
  case vmaWriteBegin(Operand)
  case vmaWriteEnd(Operand)
  case vmaRead(Operand, VMAField, into: Int)
  case vmaCopy(Operand, into: Int)
  case vmaInsert(Operand)
  case vmaRemove(Operand)
  case vmaReplace(Operand, Operand, into: Int?)
  case vmaFree(Operand, FreeMode)
  case vmaGet(Operand)
  case vmaPut(Operand)
  case vmaWaitUnused(Operand)
  // Page tables and PTEs.
  case ptWalk(addr: Operand, level: Int, parent: Operand?, into: Int)
  case ptAlloc(GFP, into: Int)
  case ptInstall(addr: Operand, level: Int, table: Operand, parent: Operand?, into: Int?)
  case ptFree(Operand, FreeMode?)
  case pteLock(addr: Operand, trylock: Bool, into: Int?)
  case pteUnlock(addr: Operand)
  /// Takes the ptl of a leaf table read earlier from its pmd (no `pmd_same` recheck).
  case pteLockTable(addr: Operand, table: Operand)
  /// Unlinks the leaf table covering `addr` from its pmd (`pmdp_collapse_flush` / `pmd_clear`).
  case pmdClear(addr: Operand, into: Int?)
  /// Links an existing leaf table, with its PTEs, at `addr` (`pmd_populate` in `move_normal_pmd`).
  case pmdPopulate(addr: Operand, table: Operand, into: Int?)
  case pteRead(addr: Operand, into: Int)
  case pteSet(addr: Operand, prot: Operand, page: Operand?, vma: Operand?)
  case pteClear(addr: Operand)
  case pteProtect(start: Operand, end: Operand, prot: Operand)
  case zap(start: Operand, end: Operand)
  case freePgtables(start: Operand, end: Operand, floor: Operand?, ceiling: Operand?, mode: FreeMode?)
  // Pages and page cache.
  case pageAlloc(GFP, into: Int)
  case pageFree(Operand)
  case filemapLookup(addr: Operand, into: Int)
  case filemapRead(addr: Operand, into: Int)
  // RCU.
  case rcuReadLock
  case rcuReadUnlock
  case synchronizeRcu
  case callRcu(Operand)
  // Generic objects, cells and globals.
  case objAlloc(kind: Int32, GFP, into: Int)
  case objGet(Operand)
  case objPut(Operand, FreeMode)
  case objFree(Operand, FreeMode)
  case objUse(Operand)
  case cellStore(cell: Int, Operand)
  case cellLoad(cell: Int, into: Int)
  case load(global: Int, into: Int)
  case store(global: Int, Operand)
  // Spinlocks and interrupt state.
  case spinLock(Int)
  case spinTrylock(Int, into: Int?)
  case spinUnlock(Int)
  case irqDisable
  case irqEnable
  case mightSleep
  /// A TLB-flush IPI that waits for every other CPU to acknowledge (`smp_call_function_many(wait)`).
  case tlbFlushIPI
}

/// Where an instruction came from, for messages and narration.
struct SourceSite: Hashable, Sendable {
  /// File that defined the op.
  var file: String
  /// JSON path of the op, e.g. `programs.fault[3]`.
  var path: String
  /// The op's name as written.
  var op: String
  /// The op's label, if any.
  var label: String?
  /// The call chain that inlined it, outermost first (program names).
  var program: String
  /// Operand text for narration, e.g. `addr=1 level=1`.
  var summary: String
  /// What an `assert` reports when its check fails (kept here, so an instruction holds no
  /// string and copies as plain data).
  var message: String?
}
