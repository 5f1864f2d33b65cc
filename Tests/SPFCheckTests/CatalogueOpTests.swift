import Testing

@testable import SPFCheck

/// The ops added for catalogue entries B8 and B11-B15: `vma_start_read` sub-steps, pmd values
/// (`pte_lock_table`, `pmd_clear`, `pmd_populate`) and the TLB-flush IPI.
@Suite struct CatalogueOpTests {
  // MARK: vma_start_read sub-steps (B8)

  static let vmaExtra = #""vmas": [{ "name": "A", "start": 0, "end": 4 }]"#

  /// `vma_read_trylock` succeeds on a detached VMA (the ABA of B8); `vma_is_attached` and
  /// `vma_lock_seq_read` expose what the recheck and the fix look at.
  @Test func trylockIgnoresDetachAndSeqWhileIsAttachedSeesIt() throws {
    let programs = """
      "reader": [
        { "op": "vma_lock_seq_read", "vma": "A", "into": "s1" },
        { "op": "vma_read_trylock", "vma": "A", "into": "got" },
        { "op": "vma_lock_seq_read", "vma": "A", "into": "s2" },
        { "op": "mmap_seq_read", "into": "m2" },
        { "op": "vma_is_attached", "vma": "A", "into": "att" },
        { "op": "vma_end_read", "vma": "A" },
        { "op": "end" }
      ],
      "unmap": [
        { "op": "mmap_write_lock" }, { "op": "vma_start_write", "vma": "A" },
        { "op": "vma_mark_detached", "vma": "A" }, { "op": "mmap_write_unlock" }, { "op": "end" }
      ]
      """
    var s = try Stepper(json: KernelTests.model(programs, threads: [("R", "reader"), ("W", "unmap")], extra: Self.vmaExtra))
    try s.step("R")
    #expect(try s.int("R", "s1") == -1, "vm_lock_seq starts at the UINT_MAX stand-in")
    try s.run("W", steps: 4)
    #expect(!s.state.vmas[0].attached)
    try s.run("R", steps: 4)
    #expect(try s.bool("R", "got") == true, "down_read_trylock does not look at the detach state")
    #expect(s.state.vmas[0].readers == 1)
    #expect(try s.int("R", "s2") == 1)
    #expect(try s.int("R", "m2") == 2, "mm_lock_seq moved on: the seq recheck passes")
    #expect(try s.bool("R", "att") == false)
    try s.step("R")
    #expect(s.state.vmas[0].readers == 0)
  }

  /// The trylock fails while a writer excludes readers.
  @Test func trylockFailsWhileAWriterDrains() throws {
    let programs = """
      "holder": [{ "op": "vma_start_read", "vma": "A", "into": "r" }, { "op": "vma_end_read", "vma": "A" }, { "op": "end" }],
      "writer": [{ "op": "mmap_write_lock" }, { "op": "vma_start_write", "vma": "A" }, { "op": "mmap_write_unlock" }, { "op": "end" }],
      "try": [{ "op": "vma_read_trylock", "vma": "A", "into": "got" }, { "op": "end" }]
      """
    var s = try Stepper(json: KernelTests.model(
      programs, threads: [("H", "holder"), ("W", "writer"), ("T", "try")], extra: Self.vmaExtra))
    try s.step("H")
    try s.step("W")
    #expect(try s.step("W").blocked)
    try s.step("T")
    #expect(try s.bool("T", "got") == false)
  }

  // MARK: pmd values (B11-B14)

  static let pmdExtra = #""layout": { "fanout": [4, 2] }, "vmas": [{ "name": "A", "start": 0, "end": 2 }], "pageTables": "populated""#

  /// `pmd_clear` unlinks the table and returns it; `pmd_populate` links it elsewhere, PTEs included;
  /// both need the pmd lock (`page_table_lock`).
  @Test func clearThenPopulateMovesTheTable() throws {
    let programs = """
      "mover": [
        { "op": "spin_lock", "lock": "page_table_lock" },
        { "op": "pmd_clear", "addr": 0, "into": "t" },
        { "op": "pmd_clear", "addr": 0, "into": "again" },
        { "op": "pmd_populate", "addr": 4, "table": { "reg": "t" }, "into": "ok" },
        { "op": "pmd_populate", "addr": 6, "table": { "reg": "t" }, "into": "twice" },
        { "op": "spin_unlock", "lock": "page_table_lock" },
        { "op": "end" }
      ]
      """
    var s = try Stepper(json: KernelTests.model(
      programs, threads: [("M", "mover")], extra: Self.pmdExtra + #", "ptes": [{ "addr": 1 }]"#))
    try s.run("M", steps: 3)
    #expect(try s.register("M", "t").ref == Ref(kind: .table, index: 1))
    #expect(try s.register("M", "again").isNone, "the pmd is none after the clear")
    #expect(s.state.tables.entry(0, 0) == -1)
    #expect(!s.state.isLinked(1))
    try s.step("M")
    #expect(try s.bool("M", "ok") == true)
    #expect(s.state.tables.entry(0, 2) == 1)
    #expect(s.state.tables.pte(1, 1).present, "the moved table keeps its PTEs")
    let r = try s.step("M")
    #expect(r.violation?.invariant == .lockMisuse, "a linked table cannot be populated twice")
  }

  @Test func pmdClearNeedsThePmdLock() throws {
    let programs = #""c": [{ "op": "pmd_clear", "addr": 0, "into": "t" }, { "op": "end" }]"#
    var s = try Stepper(json: KernelTests.model(programs, threads: [("C", "c")], extra: Self.pmdExtra))
    #expect(try s.step("C").violation?.invariant == .lockMisuse)
  }

  /// `pte_lock_table` locks the table read earlier even after it was unlinked; a commit into it is
  /// a lost mapping. After an immediate free, taking its ptl is a use-after-free.
  @Test func lockingAStaleTable() throws {
    let programs = """
      "walker": [
        { "op": "pt_walk", "addr": 0, "level": 1, "into": "t" },
        { "op": "pte_lock_table", "addr": 0, "table": { "reg": "t" } },
        { "op": "pte_set", "addr": 0, "prot": "r" },
        { "op": "pte_unlock", "addr": 0 },
        { "op": "end" }
      ],
      "remover": [
        { "op": "spin_lock", "lock": "page_table_lock" },
        { "op": "pmd_clear", "addr": 0, "into": "t" },
        { "op": "spin_unlock", "lock": "page_table_lock" },
        { "op": "pt_free", "table": { "reg": "t" } },
        { "op": "end" }
      ]
      """
    var s = try Stepper(json: KernelTests.model(programs, threads: [("W", "walker"), ("K", "remover")], extra: Self.pmdExtra))
    try s.step("W")
    try s.run("K", steps: 3)
    try s.step("W")
    #expect(s.state.tables[1].ptlOwner == 0)
    #expect(try s.thread("W").rcuDepth == 1, "like pte_lock, it opens an implicit RCU section")
    #expect(try s.step("W").violation?.invariant == .lostMapping)

    var u = try Stepper(json: KernelTests.model(programs, threads: [("W", "walker"), ("K", "remover")], extra: Self.pmdExtra))
    try u.step("W")
    try u.run("K", steps: 4)
    #expect(try u.step("W").violation?.invariant == .useAfterFree)
  }

  /// `pte_lock_table` is disabled while another thread holds that ptl.
  @Test func lockTableWaitsForTheOwner() throws {
    let programs = """
      "holder": [{ "op": "pte_lock", "addr": 1 }, { "op": "pte_unlock", "addr": 1 }, { "op": "end" }],
      "walker": [{ "op": "pt_walk", "addr": 0, "level": 1, "into": "t" }, { "op": "pte_lock_table", "addr": 0, "table": { "reg": "t" } }, { "op": "pte_unlock", "addr": 0 }, { "op": "end" }]
      """
    var s = try Stepper(json: KernelTests.model(programs, threads: [("H", "holder"), ("W", "walker")], extra: Self.pmdExtra))
    try s.step("H")
    try s.step("W")
    #expect(try !s.isEnabled("W"))
    try s.step("H")
    #expect(try s.isEnabled("W"))
  }

  // MARK: TLB-flush IPI (B15)

  /// `tlb_flush_ipi` waits while another running thread has interrupts disabled; a sender
  /// with interrupts disabled is lock-misuse.
  @Test func ipiWaitsForInterruptsOff() throws {
    let programs = """
      "off": [{ "op": "irq_disable" }, { "op": "irq_enable" }, { "op": "end" }],
      "flush": [{ "op": "tlb_flush_ipi" }, { "op": "end" }],
      "bad": [{ "op": "irq_disable" }, { "op": "tlb_flush_ipi" }, { "op": "end" }]
      """
    var s = try Stepper(json: KernelTests.model(programs, threads: [("O", "off"), ("F", "flush")]))
    #expect(try s.isEnabled("F"))
    try s.step("O")
    #expect(try !s.isEnabled("F"))
    try s.step("O")
    #expect(try s.isEnabled("F"))

    var b = try Stepper(json: KernelTests.model(programs, threads: [("B", "bad")]))
    try b.step("B")
    #expect(try b.step("B").violation?.invariant == .lockMisuse)
  }

  /// The B15 cycle: a ptl holder waiting for an IPI against an IRQ-off thread spinning on that ptl.
  @Test func ipiAgainstIrqOffSpinnerDeadlocks() throws {
    let json = KernelTests.model(
      """
      "spf": [{ "op": "irq_disable" }, { "op": "pte_lock", "addr": 1 }, { "op": "pte_unlock", "addr": 1 }, { "op": "irq_enable" }, { "op": "end" }],
      "zap": [{ "op": "pte_lock", "addr": 1 }, { "op": "tlb_flush_ipi" }, { "op": "pte_unlock", "addr": 1 }, { "op": "end" }]
      """, threads: [("F", "spf"), ("Z", "zap")], extra: #""vmas": [{ "name": "A", "start": 0, "end": 4 }], "pageTables": "populated""#)
    let result = try InlineModel.explore(json)
    #expect(result.kinds == ["deadlock"])
  }
}
