/// The lifecycle every kernel object goes through: `live` → (`rcuPending` →) `freed`.
enum Life: UInt8, Hashable, Sendable {
  case live, rcuPending, freed
}

/// One VMA (`struct vm_area_struct`) and its per-VMA lock.
///
/// Mirrors include/linux/mm_types.h: `vm_lock_seq` is compared with
/// `mm->mm_lock_seq` to tell a write lock; `readers` stands for the reader
/// counts in `vm_refcnt`; `excluding` is the `VM_REFCNT_EXCLUDE_READERS_FLAG`
/// a writer sets while it drains readers.
struct VMAState: Hashable, Sendable {
  var start: Int32
  var end: Int32
  var prot: Prot
  var anon: Bool
  /// Identity shared by a VMA and every copy cloned from it (copy-on-modify keeps the lineage).
  var lineage: Int32
  var anonVma: Ref?
  var policy: Ref?
  var file: Ref?
  var life: Life = .live
  var attached = false
  var inTree = false
  var lockSeq: Int32 = -1
  var readers: Int16 = 0
  var excluding = false
  /// Dufour's `vm_sequence`: odd while an in-place update bracket is open.
  var seq: Int32 = 0
  /// The thread inside `vma_write_begin`/`vma_write_end`, or -1.
  var bracketOwner: Int8 = -1
  var refcount: Int16 = 0
  /// Threads that may still read this object while it waits for a grace period.
  var rcuReaders: UInt32 = 0
}

/// One PTE of a leaf table.
struct PTE: Hashable, Sendable {
  var present = false
  var prot = Prot.none
  var page: Int32 = -1
  /// The lineage of the VMA the fault committed with, or -1.
  var lineage: Int32 = -1
  /// The thread and instruction that committed this PTE (for `stale-commit` reports).
  var committer: Int16 = -1
  var commitPC: Int32 = -1
}

/// A page-table page at some level: its place in the tree, its ptl, and where its slots lie.
///
/// Level 0 is the root (pgd), which always exists; leaf tables hold PTEs. A table is plain
/// data: its `entryCount` child entries, then its `pteCount` PTEs, are slots of
/// ``State/tables`` from `slotBase` on (see ``PageTables``).
struct TableState: Hashable, Sendable {
  var level: Int8 = -1
  var parent: Int32 = -1
  var parentSlot: Int16 = -1
  /// Number of child entries: the level's fanout once installed at an upper level, else 0.
  var entryCount: UInt8 = 0
  /// Number of PTEs: the leaf fanout once installed at the leaf level, else 0.
  var pteCount: UInt8 = 0
  /// Index of this table's first slot among all slots: the slot count of every earlier table.
  var slotBase: Int32 = 0
  var life: Life = .live
  /// Thread holding this table's ptl, or -1.
  var ptlOwner: Int8 = -1
  var rcuReaders: UInt32 = 0
}

/// A data page.
struct PageState: Hashable, Sendable {
  var life: Life = .live
  var mapcount: Int16 = 0
  /// A page-cache page: reachable through the file, never a leak.
  var cachedAt: Int32 = -1
  var rcuReaders: UInt32 = 0
}

/// A generic refcounted object: anon_vma, mempolicy, file, maple node, kfree_rcu payload.
struct ObjState: Hashable, Sendable {
  var kind: Int32
  var life: Life = .live
  var refcount: Int16 = 1
  /// Declared at the top level of the model: a root for the `leak` check.
  var isStatic = false
  var rcuReaders: UInt32 = 0
}

/// Why a thread is not running its next instruction.
enum Wait: Hashable, Sendable {
  case none
  /// `synchronize_rcu`: the threads whose read-side sections it waits for.
  case rcu(UInt32)
  /// `mmap_write_lock` registered as a waiting writer.
  case mmapWrite
  /// `vma_start_write` set the exclude flag and waits for readers to drain.
  case vmaDrain(Int32)
}

/// How a thread ended.
enum Outcome: UInt8, Hashable, Sendable {
  case running, done, sigsegv, retry, retryLimit

  var name: String {
    switch self {
    case .running: return "running"
    case .done: return "done"
    case .sigsegv: return "sigsegv"
    case .retry: return "retry"
    case .retryLimit: return "retry-limit"
    }
  }
}

/// The mmap_lock rwsem a thread holds.
enum MmapHold: UInt8, Hashable, Sendable {
  case none, read, write
}

/// One thread's program counter and lock context (its registers are in ``State/regs``, so a
/// thread is plain data).
struct ThreadState: Hashable, Sendable {
  var pc: Int32 = 0
  var outcome = Outcome.running
  var wait = Wait.none
  var rcuDepth: Int8 = 0
  /// Number of the current (or last) outermost RCU read-side section.
  var section: Int32 = 0
  var irqOff: Int8 = 0
  var spinHeld: UInt32 = 0
  var mmap = MmapHold.none
  /// VMAs this thread holds a per-VMA read lock on (a multiset).
  var vmaReadLocks = InlineList<8, Int32>()  // limits: see ``StepContext/room(_:_:)``
  /// Objects this thread holds a counted reference on (vma_get / obj_get).
  var pins = InlineList<8, Ref>()
  /// Leaf tables this thread locked with pte_lock, by address: (address, table).
  var ptl = InlineList<4, PTLHold>()
  var retries: Int8 = 0

  var isAtomic: Bool { rcuDepth > 0 || spinHeld != 0 || irqOff > 0 || !ptl.isEmpty }

  /// True when the thread waits in `synchronize_rcu` (its wait mask names other threads).
  var waitsForGracePeriod: Bool {
    if case .rcu = wait { return true }
    return false
  }

  /// Memberwise, like the derived `==`, but inlinable: the derived one takes both threads
  /// by address, so comparing two threads held in arrays first copied each out (about 170
  /// bytes). `ThreadStateTests` fails when a stored property is added without a line here.
  @inline(__always)
  static func == (a: Self, b: Self) -> Bool {
    a.pc == b.pc && a.outcome == b.outcome && a.wait == b.wait && a.rcuDepth == b.rcuDepth
      && a.section == b.section && a.irqOff == b.irqOff && a.spinHeld == b.spinHeld && a.mmap == b.mmap
      && a.vmaReadLocks == b.vmaReadLocks && a.pins == b.pins && a.ptl == b.ptl && a.retries == b.retries
  }
}

/// A ptl held through `pte_lock` for one address.
struct PTLHold: InlineElement, Sendable {
  var addr: Int32
  var table: Int32

  static var filler: PTLHold { PTLHold(addr: -1, table: -1) }
}

/// The mm-wide state: mmap_lock, `mm_lock_seq`, spinlocks, allocator.
struct MMState: Hashable, Sendable {
  /// Owners of the named spinlocks; the loader rejects a model that names more than fit.
  typealias SpinOwners = InlineList<32, Int8>

  var mmapReaders: UInt32 = 0
  var mmapWriter: Int8 = -1
  var writersWaiting: UInt32 = 0
  /// `mm->mm_lock_seq`: odd while mmap_lock is write-locked.
  var seq: Int32 = 0
  /// Owner of each named spinlock, or -1.
  var spinOwner = SpinOwners()
  var freePages: Int16 = 0
  var reservePages: Int16 = 0
}

/// A queued RCU callback: the object it frees.
struct Callback: Hashable, Sendable {
  var ref: Ref
}

/// A complete state of the modelled system.
///
/// Every array notes in ``written`` that it was written, so that a successor reused from
/// step to step copies back only what a step changed (see ``load(_:parts:)``). The observers do
/// not read the old value, so a write still changes the array in place.
struct State: Hashable, Sendable {
  var mm = MMState() { didSet { written.insert(.mm) } }
  var vmas: [VMAState] = [] { didSet { written.insert(.vmas) } }
  var tables = PageTables() { didSet { written.insert(.tables) } }
  var pages: [PageState] = [] { didSet { written.insert(.pages) } }
  var objs: [ObjState] = [] { didSet { written.insert(.objs) } }
  var threads: [ThreadState] = [] { didSet { written.insert(.threads) } }
  /// Every thread's registers, in one array (see ``Registers``).
  var regs = Registers() { didSet { written.insert(.regs) } }
  var callbacks: [Callback] = [] { didSet { written.insert(.callbacks) } }
  var globals: [Value] = [] { didSet { written.insert(.globals) } }
  var cells: [Value] = [] { didSet { written.insert(.cells) } }
  /// VMAs in the VMA tree, in insertion order.
  var tree: [Int32] = [] { didSet { written.insert(.tree) } }
  /// The parts written since ``load(_:parts:)`` or ``restore(_:)`` last cleared it. Not part of
  /// the state's value: it compares equal and hashes to nothing.
  var written = Written()

  /// Thread `t`'s registers.
  func registers(of t: Int) -> ArraySlice<Value> { regs.of(t) }

  /// True when every thread has ended.
  var allEnded: Bool { threads.allSatisfy { $0.outcome != .running } }

  /// The threads inside an RCU read-side section, as a bitmask.
  var rcuReaders: UInt32 {
    var mask: UInt32 = 0
    for (i, th) in threads.enumerated() where th.rcuDepth > 0 { mask |= UInt32(1) << UInt32(i) }
    return mask
  }

  /// True when a thread waits in `synchronize_rcu` for thread `t` to leave its section.
  func hasRcuWaiter(on t: Int) -> Bool {
    threads.contains {
      if case .rcu(let mask) = $0.wait { return mask & UInt32(1) << UInt32(t) != 0 }
      return false
    }
  }
}
