import Foundation
import Testing

@testable import SPFCheck

/// Op semantics of the kernel model, pinned with small inline models (explored, or stepped by hand).
@Suite struct KernelTests {
  /// A model with the given programs (the body of the "programs" object) and threads (name: program).
  static func model(
    _ programs: String, threads: [(String, String)], extra: String = "", name: String = "kernel"
  ) -> String {
    let list = threads.map { #"{ "name": "\#($0.0)", "program": "\#($0.1)" }"# }.joined(separator: ", ")
    return """
      {
        "format": "spfcheck-model/1",
        "name": "\(name)",
        \(extra.isEmpty ? "" : extra + ",")
        "programs": { \(programs) },
        "threads": [\(list)]
      }
      """
  }

  // MARK: mmap_lock

  /// mmap_lock: writer preference, trylock, and the parity of mm_lock_seq.
  @Suite struct MmapLock {
    static let programs = """
      "reader": [{ "op": "mmap_read_lock" }, { "op": "mmap_read_unlock" }, { "op": "end" }],
      "writer": [{ "op": "mmap_write_lock" }, { "op": "mmap_write_unlock" }, { "op": "end" }],
      "try": [
        { "op": "mmap_read_trylock", "into": "got" },
        { "op": "if_not", "reg": "got", "goto": "out" },
        { "op": "mmap_read_unlock" },
        { "label": "out", "op": "end" }
      ]
      """

    static func stepper(rwsem: String?) throws -> Stepper {
      let extra = rwsem.map { #""options": { "rwsem": "\#($0)" }"# } ?? ""
      return try Stepper(json: KernelTests.model(
        programs, threads: [("R1", "reader"), ("W", "writer"), ("R2", "reader"), ("T", "try")], extra: extra))
    }

    @Test func aWaitingWriterBlocksNewReaders() throws {
      var s = try Self.stepper(rwsem: nil)
      try s.step("R1")
      let w = try s.step("W")
      #expect(w.blocked)
      #expect(try s.thread("W").wait == .mmapWrite)
      #expect(try !s.isEnabled("W"))
      #expect(try !s.isEnabled("R2"), "writer-preferring: a new reader queues behind the waiting writer")
      try s.step("T")
      #expect(try s.bool("T", "got") == false)

      try s.step("R1")  // unlock: the writer may go, the queued reader still may not
      #expect(try s.isEnabled("W"))
      #expect(try !s.isEnabled("R2"))
      try s.step("W")  // resumes holding the lock
      #expect(try s.thread("W").mmap == .write)
      #expect(s.state.mm.mmapWriter == Int8(try s.index("W")))
      #expect(s.state.mm.writersWaiting == 0)
      #expect(s.state.mm.seq == 1)
      #expect(try !s.isEnabled("R2"))
      try s.step("W")  // unlock
      #expect(s.state.mm.seq == 2)
      #expect(try s.isEnabled("R2"))
    }

    @Test func readerPreferringLetsReadersPassAWaitingWriter() throws {
      var s = try Self.stepper(rwsem: "reader-preferring")
      try s.step("R1")
      #expect(try s.step("W").blocked)
      #expect(try s.isEnabled("R2"))
      try s.step("T")
      #expect(try s.bool("T", "got") == true)
      try s.step("R2")
      #expect(s.state.mm.mmapReaders.nonzeroBitCount == 3)
      #expect(try !s.isEnabled("W"))
    }

    static let seqProgram = """
      "p": [
        { "op": "mmap_seq_read", "into": "s0" },
        { "op": "assert", "check": "even", "reg": "s0" },
        { "op": "mmap_write_lock" },
        { "op": "mmap_seq_read", "into": "s1" },
        { "op": "assert", "check": "odd", "reg": "s1" },
        { "op": "mmap_seq_check", "seq": { "reg": "s0" }, "into": "same1" },
        { "op": "mmap_write_downgrade" },
        { "op": "mmap_seq_read", "into": "s2" },
        { "op": "assert", "check": "even", "reg": "s2" },
        { "op": "mmap_read_unlock" },
        { "op": "mmap_write_lock" },
        { "op": "mmap_write_unlock" },
        { "op": "mmap_seq_read", "into": "s3" },
        { "op": "mmap_seq_check", "seq": { "reg": "s3" }, "into": "same3" },
        { "op": "end" }
      ]
      """

    @Test func seqIsOddExactlyWhileWriteLocked() throws {
      let json = KernelTests.model(Self.seqProgram, threads: [("T", "p")])
      var s = try Stepper(json: json)
      try s.run("T", steps: 14)
      #expect(try s.int("T", "s0") == 0)
      #expect(try s.int("T", "s1") == 1)
      #expect(try s.bool("T", "same1") == false)
      #expect(try s.int("T", "s2") == 2, "downgrade ends the write section")
      #expect(try s.int("T", "s3") == 4)
      #expect(try s.bool("T", "same3") == true)
      #expect(try InlineModel.explore(json).verdict == .verified)
    }

    @Test func assertingTheWrongParityIsCaught() throws {
      let json = KernelTests.model(
        Self.seqProgram.replacingOccurrences(of: #""check": "odd""#, with: #""check": "even""#), threads: [("T", "p")])
      let result = try InlineModel.explore(json)
      #expect(result.verdict == .violation)
      #expect(result.kinds == ["assertion"])
    }

    @Test func writeLockWhileHoldingReadIsLockMisuse() throws {
      let json = KernelTests.model(
        #""p": [{ "op": "mmap_read_lock" }, { "op": "mmap_write_lock" }, { "op": "mmap_write_unlock" }, { "op": "end" }]"#,
        threads: [("T", "p")])
      #expect(try InlineModel.explore(json).kinds == ["lock-misuse"])
    }
  }

  // MARK: Per-VMA lock

  /// vma_start_read: ok on an attached unlocked VMA, locked while a writer holds or drains it, detached after detach.
  @Suite struct VMAStartRead {
    static let extra = #""vmas": [{ "name": "A", "start": 0, "end": 4 }]"#
    static let programs = """
      "reader": [
        { "op": "vma_start_read", "vma": "A", "into": "r" },
        { "op": "vma_end_read", "vma": "A" },
        { "op": "end" }
      ],
      "prober": [
        { "op": "vma_start_read", "vma": "A", "into": "a" },
        { "op": "vma_start_read", "vma": "A", "into": "b" },
        { "op": "vma_start_read", "vma": "A", "into": "c" },
        { "op": "end" }
      ],
      "detacher": [
        { "op": "mmap_write_lock" },
        { "op": "vma_start_write", "vma": "A" },
        { "op": "vma_mark_detached", "vma": "A" },
        { "op": "mmap_write_unlock" },
        { "op": "end" }
      ],
      "locker": [
        { "op": "mmap_write_lock" },
        { "op": "vma_start_write", "vma": "A" },
        { "op": "mmap_write_unlock" },
        { "op": "end" }
      ]
      """

    @Test func okThenLockedWhileDrainingAndWriteLockedThenDetached() throws {
      var s = try Stepper(json: KernelTests.model(
        Self.programs, threads: [("R", "reader"), ("W", "detacher"), ("P", "prober")], extra: Self.extra))
      try s.step("R")
      #expect(try s.symbol("R", "r") == "ok")
      #expect(s.state.vmas[0].readers == 1)

      try s.step("W")  // mmap_write_lock
      #expect(try s.step("W").blocked, "vma_start_write waits for the reader to drain")
      #expect(s.state.vmas[0].excluding)
      try s.step("P")
      #expect(try s.symbol("P", "a") == "locked", "new readers are excluded while a writer drains")

      try s.step("R")  // vma_end_read
      #expect(try s.isEnabled("W"))
      try s.step("W")  // resumes: write-locked
      #expect(!s.state.vmas[0].excluding)
      #expect(s.state.vmas[0].lockSeq == s.state.mm.seq)
      try s.step("P")
      #expect(try s.symbol("P", "b") == "locked", "a write-locked VMA refuses readers")

      try s.step("W")  // vma_mark_detached
      #expect(!s.state.vmas[0].attached)
      try s.step("W")  // mmap_write_unlock
      try s.step("P")
      #expect(try s.symbol("P", "c") == "detached")
      #expect(s.state.vmas[0].readers == 0)
    }

    @Test func writeLockEndsWithMmapWriteUnlock() throws {
      var s = try Stepper(json: KernelTests.model(Self.programs, threads: [("W", "locker"), ("P", "prober")], extra: Self.extra))
      try s.run("W", steps: 2)
      try s.step("P")
      #expect(try s.symbol("P", "a") == "locked")
      try s.step("W")  // mmap_write_unlock: seq even, every VMA write lock ends
      try s.step("P")
      #expect(try s.symbol("P", "b") == "ok")
      #expect(s.state.vmas[0].readers == 1)
    }

    @Test func markDetachedWaitsForReaders() throws {
      var s = try Stepper(json: KernelTests.model(Self.programs, threads: [("W", "detacher"), ("P", "prober")], extra: Self.extra))
      try s.run("W", steps: 2)  // write-locked, no readers
      #expect(try s.nextOp("W") == "vma_mark_detached")
      #expect(try s.isEnabled("W"))
    }

    /// A reader holding the VMA lock and then waiting for mmap_lock, against a writer draining it: deadlock.
    @Test func drainAgainstMmapReaderDeadlocks() throws {
      let json = KernelTests.model(
        """
        "r": [
          { "op": "vma_start_read", "vma": "A", "into": "r" },
          { "op": "if_ne", "reg": "r", "value": "ok", "goto": "out" },
          { "op": "mmap_read_lock" },
          { "op": "mmap_read_unlock" },
          { "op": "vma_end_read", "vma": "A" },
          { "label": "out", "op": "end" }
        ],
        "w": [{ "op": "mmap_write_lock" }, { "op": "vma_start_write", "vma": "A" }, { "op": "mmap_write_unlock" }, { "op": "end" }]
        """, threads: [("R", "r"), ("W", "w")], extra: Self.extra)
      let result = try InlineModel.explore(json)
      #expect(result.kinds == ["deadlock"])
      #expect(result.findings.first?.site == .deadlock)
    }
  }

  // MARK: RCU

  /// synchronize_rcu waits exactly for the readers that were inside a section when it started.
  @Suite struct SynchronizeRCU {
    static let json = KernelTests.model(
      """
      "reader": [{ "op": "rcu_read_lock" }, { "op": "nop" }, { "op": "rcu_read_unlock" }, { "op": "end" }],
      "sync": [{ "op": "synchronize_rcu" }, { "op": "end" }]
      """, threads: [("R", "reader"), ("S", "sync"), ("R2", "reader")])

    @Test func waitsForPreExistingReadersOnly() throws {
      var s = try Stepper(json: Self.json)
      try s.step("R")
      let sync = try s.step("S")
      #expect(sync.blocked)
      #expect(try s.thread("S").wait == .rcu(UInt32(1) << UInt32(try s.index("R"))))
      #expect(try !s.isEnabled("S"))
      try s.step("R2")  // a reader that starts later is not waited for
      let nop = try s.step("R")  // nop: still inside
      #expect(try !s.isEnabled("S"))
      #expect(!sync.changedOtherThreads && !nop.changedOtherThreads)
      let unlock = try s.step("R")  // rcu_read_unlock
      #expect(try s.isEnabled("S"), "only R was inside when synchronize_rcu started")
      #expect(unlock.changedOtherThreads, "waking S's synchronize_rcu writes S: the store must compare it")
      #expect(try s.thread("R2").rcuDepth == 1)
      try s.step("S")
      #expect(try s.thread("S").wait == .none)
      #expect(try s.nextOp("S") == "end")
    }

    @Test func noReaderNoWait() throws {
      var s = try Stepper(json: Self.json)
      let sync = try s.step("S")
      #expect(!sync.blocked)
      #expect(try s.nextOp("S") == "end")
    }

    @Test func synchronizeInsideAReadSectionSleepsInAtomic() throws {
      let json = KernelTests.model(
        #""p": [{ "op": "rcu_read_lock" }, { "op": "synchronize_rcu" }, { "op": "rcu_read_unlock" }, { "op": "end" }]"#,
        threads: [("T", "p")])
      #expect(try InlineModel.explore(json).kinds == ["sleep-in-atomic"])
    }

    @Test func everyInterleavingVerifies() throws {
      #expect(try InlineModel.explore(Self.json).verdict == .verified)
    }
  }

  /// RCU-deferred freeing: the grace period runs only after the readers present at queueing leave.
  @Suite struct GracePeriod {
    static let extra = """
      "objects": [{ "name": "o", "kind": "payload" }],
      "cells": [{ "name": "c", "init": "o" }]
      """
    static let reader = """
      "reader": [
        { "op": "rcu_read_lock" },
        { "op": "cell_load", "cell": "c", "into": "p" },
        { "op": "if_none", "reg": "p", "goto": "out" },
        { "op": "obj_use", "obj": { "reg": "p" } },
        { "label": "out", "op": "rcu_read_unlock" },
        { "op": "end" }
      ]
      """
    static func writer(_ ops: String) -> String { #""writer": [\#(ops), { "op": "end" }]"# }
    static let unpublish = #"{ "op": "cell_store", "cell": "c", "obj": null }"#

    static let correct = KernelTests.model(
      reader + ",\n" + writer(unpublish + #", { "op": "obj_free_rcu", "obj": "o" }"#),
      threads: [("R", "reader"), ("W", "writer"), ("R2", "reader")], extra: extra)

    @Test func freesOnlyAfterQueueTimeReadersLeave() throws {
      var s = try Stepper(json: Self.correct)
      try s.run("R", steps: 2)  // inside, holding o
      try s.run("W", steps: 2)  // unpublish, queue the free
      #expect(s.state.objs[0].life == .rcuPending)
      #expect(s.state.callbacks.count == 1)
      #expect(!s.executor.isGracePeriodEnabled(s.state))
      try s.step("R2")  // a later reader does not hold up the grace period
      try s.run("R", steps: 2)  // if_none, obj_use: still safe
      #expect(!s.executor.isGracePeriodEnabled(s.state))
      try s.step("R")  // rcu_read_unlock
      #expect(s.executor.isGracePeriodEnabled(s.state))
      let gp = s.executor.gracePeriod(&s.state)
      #expect(gp.effect.contains("obj#0"))
      #expect(s.state.objs[0].life == .freed)
      #expect(s.state.callbacks.isEmpty)
      #expect(!s.executor.isGracePeriodEnabled(s.state))
    }

    @Test func correctProtocolVerifies() throws {
      #expect(try InlineModel.explore(Self.correct).verdict == .verified)
    }

    @Test(arguments: [
      ("immediate free", unpublish + #", { "op": "obj_free", "obj": "o" }"#),
      ("free before unpublish", #"{ "op": "obj_free_rcu", "obj": "o" }, "# + unpublish),
    ])
    func brokenWritersAreUseAfterFree(_ label: String, _ ops: String) throws {
      let json = KernelTests.model(Self.reader + ",\n" + Self.writer(ops), threads: [("R", "reader"), ("W", "writer")], extra: Self.extra)
      let result = try InlineModel.explore(json)
      #expect(result.kinds == ["use-after-free"], "\(label)")
    }

    @Test func usingAPointerAfterTheSectionIsAnRCUEscape() throws {
      let json = KernelTests.model(
        """
        "leaky": [
          { "op": "rcu_read_lock" },
          { "op": "cell_load", "cell": "c", "into": "p" },
          { "op": "rcu_read_unlock" },
          { "op": "obj_use", "obj": { "reg": "p" } },
          { "op": "end" }
        ]
        """, threads: [("R", "leaky")], extra: Self.extra)
      #expect(try InlineModel.explore(json).kinds == ["rcu-escape"])
    }
  }

  // MARK: free_pgtables

  /// free_pgtables frees exactly the tables no attached VMA overlaps (or, with bounds, those inside [floor, ceiling)).
  @Suite struct FreePgtables {
    /// Layout [2, 2, 2]; A = [0,2), B = [2,4); tables: #1 level 1 over [0,4), #2 over [0,2), #3 over [2,4).
    static func json(_ program: String) -> String {
      KernelTests.model(
        #""u": [{ "op": "mmap_write_lock" }, \#(program), { "op": "mmap_write_unlock" }, { "op": "end" }]"#,
        threads: [("U", "u")],
        extra: """
          "layout": { "fanout": [2, 2, 2] },
          "vmas": [{ "name": "A", "start": 0, "end": 2 }, { "name": "B", "start": 2, "end": 4 }],
          "pageTables": "populated",
          "ptes": [{ "addr": 0 }, { "addr": 3 }]
          """)
    }

    static func detach(_ v: String) -> String {
      #"{ "op": "vma_start_write", "vma": "\#(v)" }, { "op": "vma_mark_detached", "vma": "\#(v)" }, { "op": "vma_remove", "vma": "\#(v)" }"#
    }

    static func liveTables(_ s: State) -> [Int] { s.tables.indices.filter { $0 > 0 && s.tables[$0].life == .live } }

    @Test func initialTables() throws {
      let m = try InlineModel.load(Self.json(#"{ "op": "nop" }"#))
      #expect(m.initial.tables.count == 4)
      #expect(m.initial.tables[1].level == 1 && m.initial.tables.entries(of: 1) == [2, 3])
      #expect(m.initial.tables.pte(2, 0).present && m.initial.tables.pte(3, 1).present)
    }

    @Test func freesOnlyTablesNoAttachedVMAOverlaps() throws {
      let program = Self.detach("A") + #", { "op": "zap", "start": 0, "end": 2 }, { "op": "free_pgtables", "start": 0, "end": 2 }"#
      var s = try Stepper(json: Self.json(program))
      try s.run("U", steps: 5)
      let r = try s.step("U")
      #expect(r.violation == nil)
      #expect(r.effect.contains("unlinks table#2"), "\(r.effect)")
      #expect(s.state.tables[2].life == .freed)
      #expect(s.state.tables.entries(of: 1) == [-1, 3], "unlinked from its parent")
      #expect(Self.liveTables(s.state) == [1, 3], "table#1 still covers B; table#3 lies outside the range")
      #expect(try InlineModel.explore(Self.json(program)).verdict == .verified)
    }

    @Test func freesEverythingOnceNoVMAIsLeft() throws {
      let program = Self.detach("A") + ", " + Self.detach("B")
        + #", { "op": "zap", "start": 0, "end": 4 }, { "op": "free_pgtables", "start": 0, "end": 4 }"#
      var s = try Stepper(json: Self.json(program))
      try s.run("U", steps: 9)
      #expect(Self.liveTables(s.state).isEmpty)
      #expect(s.state.tables.entry(0, 0) == -1)
      #expect(try InlineModel.explore(Self.json(program)).verdict == .verified)
    }

    @Test func attachedVMAKeepsItsTables() throws {
      let program = #"{ "op": "zap", "start": 0, "end": 2 }, { "op": "free_pgtables", "start": 0, "end": 2 }"#
      var s = try Stepper(json: Self.json(program))
      try s.run("U", steps: 3)
      #expect(Self.liveTables(s.state) == [1, 2, 3])
    }

    @Test func explicitBoundsIgnoreVMACoverage() throws {
      let program = #"{ "op": "zap", "start": 0, "end": 2 }, { "op": "free_pgtables", "start": 0, "end": 2, "floor": 0, "ceiling": 2 }"#
      var s = try Stepper(json: Self.json(program))
      try s.run("U", steps: 3)
      #expect(Self.liveTables(s.state) == [1, 3])
    }

    @Test func freeingATableThatStillMapsAPageIsALostMapping() throws {
      let program = Self.detach("A") + #", { "op": "free_pgtables", "start": 0, "end": 2 }"#
      var s = try Stepper(json: Self.json(program))
      try s.run("U", steps: 4)
      let r = try s.step("U")
      #expect(r.violation?.invariant == .lostMapping)
      #expect(r.violation?.objects == ["table#2"])
      #expect(try InlineModel.explore(Self.json(program)).kinds == ["lost-mapping"])
    }

    @Test func rcuModeQueuesTheTables() throws {
      let program = Self.detach("A") + #", { "op": "zap", "start": 0, "end": 2 }, { "op": "free_pgtables", "start": 0, "end": 2, "mode": "rcu" }"#
      var s = try Stepper(json: Self.json(program))
      try s.run("U", steps: 6)
      #expect(s.state.tables[2].life == .rcuPending)
      #expect(s.state.callbacks == [Callback(ref: Ref(kind: .table, index: 2))])
    }
  }

  // MARK: Table slots

  /// A table's entries and PTEs are slots of `State.tables`, table by table in index order,
  /// whatever order the tables were installed in.
  @Suite struct TableSlots {
    /// A installs table#1 at level 1 over [0,4); B installs table#2 over [4,8) and leaf table#3 over [6,8).
    static let json = KernelTests.model(
      """
      "a": [
        { "op": "pt_alloc", "gfp": "kernel", "into": "t" },
        { "op": "spin_lock", "lock": "page_table_lock" },
        { "op": "pt_install", "addr": 0, "level": 1, "table": { "reg": "t" } },
        { "op": "spin_unlock", "lock": "page_table_lock" },
        { "op": "end" }
      ],
      "b": [
        { "op": "pt_alloc", "gfp": "kernel", "into": "u" },
        { "op": "pt_alloc", "gfp": "kernel", "into": "v" },
        { "op": "spin_lock", "lock": "page_table_lock" },
        { "op": "pt_install", "addr": 4, "level": 1, "table": { "reg": "u" } },
        { "op": "pt_install", "addr": 7, "level": 2, "table": { "reg": "v" } },
        { "op": "spin_unlock", "lock": "page_table_lock" },
        { "op": "end" }
      ]
      """,
      threads: [("A", "a"), ("B", "b")], extra: #""layout": { "fanout": [2, 2, 2] }"#)

    /// Every table's slots start where the previous table's end.
    static func isCanonical(_ s: State) -> Bool {
      var slots: Int32 = 0
      for t in s.tables {
        guard t.slotBase == slots else { return false }
        slots += Int32(t.entryCount) + Int32(t.pteCount)
      }
      return Int(slots) == s.tables.slotCount
    }

    /// Installing table#1 after table#2 and #3 inserts its entries before theirs: the state is
    /// the same, field by field and byte by byte, as when it is installed first.
    @Test func installOrderDoesNotChangeTheState() throws {
      var late = try Stepper(json: Self.json)
      try late.step("A")
      try late.run("B", steps: 2)
      #expect(late.state.tables.count == 4 && late.state.tables[1].entryCount == 0, "allocated, not installed")
      try late.run("B", steps: 4)
      try late.run("A", steps: 3)
      var early = try Stepper(json: Self.json)
      try early.step("A")
      try early.run("B", steps: 2)
      try early.run("A", steps: 3)
      try early.run("B", steps: 4)
      for s in [late.state, early.state] {
        #expect(Self.isCanonical(s))
        #expect(s.tables.entries(of: 0) == [1, 2] && s.tables.entries(of: 1) == [-1, -1] && s.tables.entries(of: 2) == [-1, 3])
        #expect(s.tables[3].pteCount == 2 && s.tables[3].entryCount == 0 && s.tables.ptes(of: 3) == [PTE(), PTE()])
        #expect(s.isLinked(3))
      }
      #expect(late.state == early.state)
      #expect(late.state.encoded == early.state.encoded)
    }
  }

  // MARK: Allocation

  /// Allocation failure is an explored branch only for the classes listed in faults.allocFailure.
  @Suite struct AllocationFailure {
    struct Case: Sendable, CustomTestStringConvertible {
      var gfp: String
      var failing: [String]?
      var fails: Bool
      var testDescription: String { "\(gfp) with allocFailure \(failing.map { "\($0)" } ?? "absent")" }
    }

    static let cases: [Case] = [
      Case(gfp: "kernel", failing: nil, fails: false),
      Case(gfp: "kernel", failing: [], fails: false),
      Case(gfp: "kernel", failing: ["kernel"], fails: true),
      Case(gfp: "kernel", failing: ["nowait", "atomic"], fails: false),
      Case(gfp: "nowait", failing: ["nowait"], fails: true),
      Case(gfp: "nowait|nomemalloc|nowarn", failing: ["nowait"], fails: true),
      Case(gfp: "nowait", failing: ["kernel"], fails: false),
      Case(gfp: "atomic", failing: ["atomic"], fails: true),
      Case(gfp: "atomic", failing: ["kernel", "nowait"], fails: false),
    ]

    static func json(_ c: Case) -> String {
      let faults = c.failing.map { list in
        #""faults": { "allocFailure": [\#(list.map { "\"\($0)\"" }.joined(separator: ", "))] }"#
      } ?? ""
      return KernelTests.model(
        """
        "p": [
          { "op": "page_alloc", "gfp": "\(c.gfp)", "into": "pg" },
          { "op": "assert", "check": "some", "reg": "pg", "message": "allocation failed" },
          { "op": "page_free", "page": { "reg": "pg" } },
          { "op": "end" }
        ]
        """, threads: [("T", "p")], extra: faults)
    }

    @Test(arguments: cases)
    func failureBranchOnlyForListedClasses(_ c: Case) throws {
      let json = Self.json(c)
      var s = try Stepper(json: json)
      let first = try s.step("T")
      #expect(first.branches == (c.fails ? 2 : 1))
      #expect(try !s.register("T", "pg").isNone, "branch 0 succeeds")
      if c.fails {
        var failed = try Stepper(json: json)
        try failed.step("T", branch: 1)
        #expect(try failed.register("T", "pg").isNone, "branch 1 is the injected failure")
      }
      let result = try InlineModel.explore(json)
      #expect(result.verdict == (c.fails ? .violation : .verified))
      #expect(result.kinds == (c.fails ? ["assertion"] : []))
    }

    @Test func nonSleepingAllocationWithNoMemoryFailsWithoutABranch() throws {
      let json = Self.json(Case(gfp: "nowait", failing: nil, fails: true))
        .replacingOccurrences(of: #""name": "kernel","#, with: #""name": "kernel", "memory": { "free": 0 },"#)
      var s = try Stepper(json: json)
      let r = try s.step("T")
      #expect(r.branches == 1)
      #expect(try s.register("T", "pg").isNone)
    }

    @Test func sleepingAllocationWithNoMemoryWaits() throws {
      let json = Self.json(Case(gfp: "kernel", failing: nil, fails: false))
        .replacingOccurrences(of: #""name": "kernel","#, with: #""name": "kernel", "memory": { "free": 0 },"#)
      let s = try Stepper(json: json)
      #expect(try !s.isEnabled("T"))
      #expect(try InlineModel.explore(json).kinds == ["deadlock"])
    }
  }

  // MARK: Restart

  /// `end restart` re-runs the program from the top, at most options.retryLimit times.
  @Suite struct Restart {
    static func json(limit: Int?) -> String {
      KernelTests.model(
        #""p": [{ "op": "nop" }, { "op": "end", "outcome": "restart" }]"#, threads: [("T", "p")],
        extra: limit.map { #""options": { "retryLimit": \#($0) }"# } ?? "")
    }

    @Test(arguments: [0, 1, 3, 16])
    func restartsAreBoundedByTheRetryLimit(_ limit: Int) throws {
      var s = try Stepper(json: Self.json(limit: limit))
      var steps = 0
      while try s.thread("T").outcome == .running && steps < 100 {
        try s.step("T")
        steps += 1
      }
      #expect(steps == 2 * (limit + 1))
      #expect(try s.thread("T").outcome == .retryLimit)
      #expect(try s.thread("T").retries == Int8(limit))

      let result = try InlineModel.explore(Self.json(limit: limit))
      #expect(result.verdict == .verified)
      #expect(result.stats.retryLimitHits == 1)
    }

    @Test func defaultRetryLimitIsTwo() throws {
      let model = try InlineModel.load(Self.json(limit: nil))
      #expect(model.options.retryLimit == 2)
    }

    @Test func driverReportsTheBound() throws {
      let dir = try TempDir()
      let file = try dir.write(Self.json(limit: 3), to: "restart.json")
      let run = Driver.run(.explore(ExploreCommand(model: file.path, write: false)))
      #expect(run.status == .ok, "\(run.stderr)")
      #expect(run.stdout.contains("bounded: 1 terminal states stopped at the retry limit (3)"), "\(run.stdout)")
    }

    @Test func restartClearsRegisters() throws {
      let json = KernelTests.model(
        """
        "p": [
          { "op": "if_some", "reg": "x", "goto": "bad" },
          { "op": "mov", "value": 1, "into": "x" },
          { "op": "end", "outcome": "restart" },
          { "label": "bad", "op": "assert", "check": "none", "reg": "x", "message": "registers survived a restart" },
          { "op": "end" }
        ]
        """, threads: [("T", "p")])
      let result = try InlineModel.explore(json)
      #expect(result.verdict == .verified, "\(result.findings.map(\.violation.message))")
      #expect(result.stats.retryLimitHits == 1)
    }
  }
}
