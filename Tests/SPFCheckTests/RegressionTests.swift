import Testing

@testable import SPFCheck

/// Regressions for bugs found while building the checker.
@Suite struct RegressionTests {
  /// A retry loop through RCU read-side sections must revisit states: section ids are
  /// reused, not counted up, so the state space stays finite.
  @Test func rcuRetryLoopHasAFiniteStateSpace() throws {
    let result = try InlineModel.explore(
      """
      {
        "name": "rcu-loop",
        "programs": { "p": [
          { "label": "top", "op": "rcu_read_lock" },
          { "op": "rcu_read_unlock" },
          { "op": "choose", "goto": "top" },
          { "op": "end" }
        ] },
        "threads": [{ "name": "T", "program": "p" }]
      }
      """)
    #expect(result.verdict == .verified)
    #expect(result.stats.states < 10)
  }

  /// A pointer from an earlier section is still an escape after a new section reuses ids.
  @Test func rcuEscapeAcrossReusedSectionIds() throws {
    let result = try InlineModel.explore(
      """
      {
        "name": "rcu-escape-reuse",
        "vmas": [{ "name": "A", "start": 0, "end": 4 }],
        "programs": { "p": [
          { "op": "rcu_read_lock" },
          { "op": "vma_lookup", "addr": 1, "into": "v" },
          { "op": "rcu_read_unlock" },
          { "op": "rcu_read_lock" },
          { "op": "vma_read", "vma": { "reg": "v" }, "field": "prot", "into": "p" },
          { "op": "rcu_read_unlock" },
          { "op": "end" }
        ] },
        "threads": [{ "name": "T", "program": "p" }]
      }
      """)
    #expect(result.findings.map(\.violation.invariant) == [.rcuEscape])
  }

  /// Taking a spinlock one already holds is lock-misuse, reported at once.
  @Test func recursiveSpinLockIsLockMisuse() throws {
    let result = try InlineModel.explore(
      """
      {
        "name": "recursive-spin",
        "programs": { "p": [
          { "op": "spin_lock", "lock": "page_table_lock" },
          { "op": "spin_lock", "lock": "page_table_lock" },
          { "op": "end" }
        ] },
        "threads": [{ "name": "T", "program": "p" }]
      }
      """)
    #expect(result.findings.map(\.violation.invariant) == [.lockMisuse])
  }

  /// GFP_ATOMIC under a ptl (pte_lock's implicit RCU section) is legal: no emergency-reserve.
  @Test func atomicAllocationUnderPtlIsNotAFastPath() throws {
    let result = try InlineModel.explore(
      """
      {
        "name": "atomic-under-ptl",
        "layout": { "fanout": [2, 4] },
        "vmas": [{ "name": "A", "start": 0, "end": 4 }],
        "pageTables": "populated",
        "programs": { "p": [
          { "op": "pte_lock", "addr": 1, "into": "l" },
          { "op": "page_alloc", "gfp": "atomic", "into": "pg" },
          { "op": "pte_set", "addr": 1, "prot": "r", "page": { "reg": "pg" } },
          { "op": "pte_unlock", "addr": 1 },
          { "op": "end" }
        ] },
        "threads": [{ "name": "T", "program": "p" }]
      }
      """)
    #expect(result.verdict == .verified)
  }

  /// Freeing a page that a PTE still maps is a use-after-free through the user mapping.
  @Test func freeingAMappedPageIsUseAfterFree() throws {
    let result = try InlineModel.explore(
      """
      {
        "name": "free-mapped-page",
        "layout": { "fanout": [2, 4] },
        "vmas": [{ "name": "A", "start": 0, "end": 4 }],
        "pageTables": "populated",
        "programs": { "p": [
          { "op": "page_alloc", "gfp": "kernel", "into": "pg" },
          { "op": "pte_lock", "addr": 1, "into": "l" },
          { "op": "pte_set", "addr": 1, "prot": "r", "page": { "reg": "pg" } },
          { "op": "pte_unlock", "addr": 1 },
          { "op": "page_free", "page": { "reg": "pg" } },
          { "op": "end" }
        ] },
        "threads": [{ "name": "T", "program": "p" }]
      }
      """)
    #expect(result.findings.map(\.violation.invariant) == [.useAfterFree])
  }

  /// "rcu" names the grace-period step in counterexamples, so no thread may take it.
  @Test func threadNamedRcuIsRejected() throws {
    #expect(throws: ModelError.self) {
      _ = try InlineModel.load(
        #"{ "name": "m", "programs": { "p": [{ "op": "end" }] }, "threads": [{ "name": "rcu", "program": "p" }] }"#)
    }
  }

  /// The content hash covers the model file and the programs it uses, not whole protocol files.
  @Test func contentHashIgnoresUnusedIncludedPrograms() throws {
    let dir = try TempDir()
    let model = #"{ "name": "m", "include": ["lib.json"], "threads": [{ "name": "T", "program": "used" }] }"#
    func hash(_ library: String) throws -> String {
      _ = try dir.write(library, to: "lib.json")
      let url = try dir.write(model, to: "m.json")
      return try ModelLoader.load(path: url.path).contentHash
    }
    let base = try hash(#"{ "programs": { "used": [{ "op": "end" }] } }"#)
    let unusedAdded = try hash(#"{ "programs": { "used": [{ "op": "end" }], "other": [{ "op": "nop" }, { "op": "end" }] } }"#)
    let usedChanged = try hash(#"{ "programs": { "used": [{ "op": "nop" }, { "op": "end" }] } }"#)
    #expect(base == unusedAdded)
    #expect(base != usedChanged)
  }
}

/// Counterexamples minimise preemptions before steps.
@Suite struct MinimalScheduleTests {
  /// B can only observe the transient `flag == 1` by running between A's two stores, which
  /// preempts A: the minimal schedule has exactly one preemption and replays.
  @Test func transientStateNeedsOnePreemption() throws {
    let model = try InlineModel.load(
      """
      {
        "name": "transient",
        "globals": { "flag": 0 },
        "programs": {
          "writer": [
            { "op": "store", "global": "flag", "value": 1 },
            { "op": "store", "global": "flag", "value": 0 },
            { "op": "end" }
          ],
          "reader": [
            { "op": "load", "global": "flag", "into": "f" },
            { "op": "assert", "check": "ne", "reg": "f", "value": 1, "message": "saw the transient value" },
            { "op": "end" }
          ]
        },
        "threads": [{ "name": "A", "program": "writer" }, { "name": "B", "program": "reader" }]
      }
      """)
    let found = try #require(try MinimalSchedule(model: model).search(for: .assertion))
    #expect(try Replayer(model: model, file: "memory").run(found.schedule).preemptions == 1)
    #expect(found.schedule.map(\.thread) == [0, 1, 1])
    let replay = try Replayer(model: model, file: "memory").run(found.schedule)
    #expect(replay.violations.map(\.invariant) == [.assertion])
  }
}

/// Explanations name the objects and the steps of the causal slice.
@Suite struct ExplanationTests {
  @Test func leakExplanationNamesTheTablesAndTheFreePgtablesStep() throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/rcu-walk-vs-munmap.json"))
    let result = try Explorer(model: model, options: ExploreOptions()).run()
    let finding = try #require(result.findings.first { $0.violation.invariant == .pageTableLeak })
    let text = Explanation.text(try Driver.counterexample(for: finding, model: model))
    #expect(text.contains("table#1"))
    #expect(text.contains("table#2"))
    #expect(text.contains("U free_pgtables"))
    #expect(text.contains("F pt_install"))
  }

  @Test func objectNamesMatchWholeNumbers() {
    #expect(Explanation.mentions("frees table#1", "table#1"))
    #expect(!Explanation.mentions("frees table#12", "table#1"))
    #expect(Explanation.mentions("table#12 and table#1;", "table#1"))
  }
}

/// Minimisation changes what is written: the leak race's breadth-first schedule preempts
/// twice (munmap is cut off before it ends), the written one once (fault / munmap / fault).
@Suite struct MinimisationEffectTests {
  @Test func leakRaceLosesAPreemption() throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/rcu-walk-vs-munmap.json"))
    let result = try Explorer(model: model, options: ExploreOptions()).run()
    let finding = try #require(result.findings.first { $0.violation.invariant == .pageTableLeak })
    let bfs = try Replayer(model: model, file: "memory").run(finding.schedule)
    let written = try Driver.counterexample(for: finding, model: model)
    #expect(bfs.preemptions == 2)
    #expect(written.preemptions == 1)
    let unminimised = try Driver.counterexample(for: finding, model: model, minimize: false)
    #expect(unminimised.schedule == finding.schedule)
    #expect(unminimised.preemptions == 2)
  }
}
