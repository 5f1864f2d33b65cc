import Testing

@testable import SPFCheck

/// The partial-order reduction's second rule: ops on objects private to the running thread
/// (``PartialOrder/isPrivate(_:in:to:)``) are independent of every other step. Models are
/// inline; the differential tests over models/ are in ``ReductionTests``.
@Suite struct PrivateObjectReductionTests {
  static func explore(_ model: CompiledModel, por: Bool, privateObjects: Bool = true) throws -> ExploreResult {
    var options = ExploreOptions()
    options.maxStates = Corpus.stateBound
    options.partialOrder = por
    options.privateObjects = privateObjects
    options.symmetry = false
    options.jobs = 1
    return try Explorer(model: model, options: options).run()
  }

  /// Verdicts and violation names equal with and without the reduction, and every schedule
  /// found under it replays on the unreduced model.
  static func expectSameFindings(_ model: CompiledModel) throws {
    let base = try explore(model, por: false)
    for privateObjects in [false, true] {
      let r = try explore(model, por: true, privateObjects: privateObjects)
      #expect(r.verdict == base.verdict, "private objects \(privateObjects)")
      #expect(r.kinds == base.kinds, "private objects \(privateObjects): \(r.kinds.sorted()) vs \(base.kinds.sorted())")
      for finding in r.findings {
        let replay = try Replayer(model: model, file: "memory").run(finding.schedule)
        #expect(replay.violations.contains { $0.invariant == finding.violation.invariant })
      }
    }
  }

  /// The pc of the first op of thread `t` matching `op`, after `from`.
  static func pc(_ model: CompiledModel, _ t: Int, from: Int = 0, _ op: (Instr) -> Bool) -> Int {
    model.threads[t].code.indices.first { $0 >= from && op(model.threads[t].code[$0]) }!
  }

  static func isVMASet(_ i: Instr) -> Bool {
    if case .vmaSet = i { return true }
    return false
  }

  /// True when some register of thread `t` of `s` names `r` (a reference, or a snapshot of it).
  static func holds(_ s: State, _ t: Int, _ r: Ref) -> Bool {
    s.registers(of: t).contains {
      switch $0.payload {
      case .ref(let x): return x == r
      case .snapshot(let snap): return r.kind == .vma && snap.source == r.index
      default: return false
      }
    }
  }

  /// Copy-on-modify: the writer edits its clone before publishing it, two readers copy the
  /// published VMA and read their copies.
  static let cloneThenEdit = """
    {
      "name": "clone-then-edit",
      "layout": { "fanout": [2, 4] },
      "vmas": [{ "name": "A", "start": 0, "end": 4, "prot": "rw" }],
      "programs": {
        "writer": [
          { "op": "mmap_write_lock" },
          { "op": "vma_lookup", "addr": 0, "into": "old" },
          { "op": "vma_clone", "vma": { "reg": "old" }, "gfp": "kernel", "into": "new" },
          { "op": "vma_set", "vma": { "reg": "new" }, "field": "prot", "value": "r" },
          { "op": "vma_set", "vma": { "reg": "new" }, "field": "anon", "value": true },
          { "op": "vma_read", "vma": { "reg": "new" }, "field": "end", "into": "e" },
          { "op": "vma_replace", "old": { "reg": "old" }, "new": { "reg": "new" } },
          { "op": "vma_free_rcu", "vma": { "reg": "old" } },
          { "op": "mmap_write_unlock" },
          { "op": "end" }
        ],
        "reader": [
          { "op": "rcu_read_lock" },
          { "op": "vma_lookup", "addr": 1, "into": "v" },
          { "op": "if_none", "reg": "v", "goto": "out" },
          { "op": "vma_copy", "vma": { "reg": "v" }, "into": "c" },
          { "op": "rcu_read_unlock" },
          { "op": "vma_read", "vma": { "reg": "c" }, "field": "prot", "into": "p" },
          { "op": "vma_read", "vma": { "reg": "c" }, "field": "anon", "into": "a" },
          { "op": "end" },
          { "label": "out", "op": "rcu_read_unlock" },
          { "op": "end" }
        ]
      },
      "threads": [
        { "name": "R1", "program": "reader" },
        { "name": "W", "program": "writer" },
        { "name": "R2", "program": "reader" }
      ]
    }
    """

  /// The edits of the unpublished clone and the readers' reads of their snapshots are
  /// independent: the new rule stores less than half the states of the local-only rule,
  /// which stores fewer than no reduction, with the same verdict.
  @Test func privateOpsStoreFewerStatesThanLocalOpsAlone() throws {
    let model = try InlineModel.load(Self.cloneThenEdit)
    let full = try Self.explore(model, por: false)
    let local = try Self.explore(model, por: true, privateObjects: false)
    let reduced = try Self.explore(model, por: true)
    #expect(full.verdict == .verified && local.verdict == .verified && reduced.verdict == .verified)
    #expect(local.stats.states < full.stats.states)
    #expect(reduced.stats.states * 2 < local.stats.states, "\(reduced.stats.states) vs \(local.stats.states)")
    try Self.expectSameFindings(model)
  }

  /// In every reachable state of the copy-on-modify model, the writer's edits of its clone and
  /// the readers' reads of their snapshots qualify, and nothing else of theirs that is not
  /// statically local does (the lookups, the copy of the shared VMA, the publish).
  @Test func editsOfTheCloneAndReadsOfSnapshotsQualify() throws {
    let model = try InlineModel.load(Self.cloneThenEdit)
    let po = PartialOrder(model: model)
    var seen = (edit: 0, snapshotRead: 0)
    for s in try StateEncodingTests.reachable(model, limit: 100_000) {
      for t in s.threads.indices where s.threads[t].outcome == .running && s.threads[t].wait == .none {
        let instr = model.threads[t].code[Int(s.threads[t].pc)]
        let independent = po.independent(s, t)
        let writer = model.threads[t].name == "W"
        switch instr {
        case .vmaSet, .vmaRead:
          #expect(independent, "\(model.threads[t].name) at pc \(s.threads[t].pc): \(instr)")
          if writer { seen.edit += 1 } else { seen.snapshotRead += 1 }
        case .vmaCopy, .vmaLookup, .vmaReplace, .vmaClone, .vmaFree, .rcuReadLock, .rcuReadUnlock,
          .mmapWriteLock, .mmapWriteUnlock:
          #expect(!independent, "\(instr)")
        default:
          break
        }
      }
    }
    #expect(seen.edit > 0 && seen.snapshotRead > 0)
  }

  /// A race through a declared VMA (in the tree, nameable by a constant): the writer's
  /// `vma_set` is never independent, so the reader's read between the writer's store to `g`
  /// and its `vma_set` is explored. A rule that took every `vma_set` as independent would
  /// lose the assertion.
  static let sharedVMARace = """
    {
      "name": "edit-of-a-shared-vma",
      "vmas": [{ "name": "A", "start": 0, "end": 4, "prot": "rw" }],
      "globals": { "g": 0 },
      "programs": {
        "writer": [
          { "op": "mmap_write_lock" },
          { "op": "vma_start_write", "vma": "A" },
          { "op": "store", "global": "g", "value": 1 },
          { "op": "vma_set", "vma": "A", "field": "prot", "value": "r" },
          { "op": "mmap_write_unlock" },
          { "op": "end" }
        ],
        "reader": [
          { "op": "load", "global": "g", "into": "x" },
          { "op": "if_ne", "reg": "x", "value": 1, "goto": "out" },
          { "op": "rcu_read_lock" },
          { "op": "vma_read", "vma": "A", "field": "prot", "into": "p" },
          { "op": "rcu_read_unlock" },
          { "op": "if_allows", "reg": "p", "access": "w", "goto": "bad" },
          { "label": "out", "op": "end" },
          { "label": "bad", "op": "assert", "check": "none", "reg": "p", "message": "read the old prot after the store to g" },
          { "op": "end" }
        ]
      },
      "threads": [
        { "name": "W", "program": "writer" },
        { "name": "R", "program": "reader" }
      ]
    }
    """

  @Test func anEditOfASharedVMAIsNotIndependent() throws {
    let model = try InlineModel.load(Self.sharedVMARace)
    let reduced = try Self.explore(model, por: true)
    #expect(reduced.kinds == ["assertion"])
    try Self.expectSameFindings(model)
    let po = PartialOrder(model: model)
    let set = Self.pc(model, 0, Self.isVMASet)
    var states = 0
    for s in try StateEncodingTests.reachable(model) where s.threads[0].pc == set {
      #expect(!po.independent(s, 0))
      states += 1
    }
    #expect(states > 0)
  }

  /// A run-time VMA published in a cell and unpublished again: while the cell holds it, or
  /// once the reader has loaded it into a register, the writer's `vma_set` is not
  /// independent; when the reader never loaded it, it is. A rule blind to other threads'
  /// registers would lose the assertion.
  static let vmaAnotherThreadHolds = """
    {
      "name": "edit-of-a-vma-another-thread-holds",
      "cells": [{ "name": "c" }],
      "globals": { "g": 0 },
      "programs": {
        "writer": [
          { "op": "vma_alloc", "gfp": "kernel", "start": 0, "end": 4, "prot": "rw", "into": "v" },
          { "op": "cell_store", "cell": "c", "obj": { "reg": "v" } },
          { "op": "cell_store", "cell": "c", "obj": null },
          { "op": "store", "global": "g", "value": 1 },
          { "op": "vma_set", "vma": { "reg": "v" }, "field": "prot", "value": "r" },
          { "op": "vma_free", "vma": { "reg": "v" } },
          { "op": "end" }
        ],
        "reader": [
          { "op": "rcu_read_lock" },
          { "op": "cell_load", "cell": "c", "into": "x" },
          { "op": "if_none", "reg": "x", "goto": "out" },
          { "op": "load", "global": "g", "into": "y" },
          { "op": "if_ne", "reg": "y", "value": 1, "goto": "out" },
          { "op": "vma_read", "vma": { "reg": "x" }, "field": "prot", "into": "p" },
          { "op": "if_allows", "reg": "p", "access": "w", "goto": "bad" },
          { "label": "out", "op": "rcu_read_unlock" },
          { "op": "end" },
          { "label": "bad", "op": "assert", "check": "none", "reg": "p", "message": "read the old prot after the store to g" },
          { "op": "end" }
        ]
      },
      "threads": [
        { "name": "W", "program": "writer" },
        { "name": "R", "program": "reader" }
      ]
    }
    """

  @Test func anEditOfAVMAAnotherThreadHoldsIsNotIndependent() throws {
    let model = try InlineModel.load(Self.vmaAnotherThreadHolds)
    let reduced = try Self.explore(model, por: true)
    #expect(reduced.kinds == ["assertion", "use-after-free"])
    try Self.expectSameFindings(model)
    let po = PartialOrder(model: model)
    let set = Self.pc(model, 0, Self.isVMASet)
    let v = Ref(kind: .vma, index: 0)
    var seen = (held: 0, private: 0)
    for s in try StateEncodingTests.reachable(model) where s.threads[0].pc == set {
      let held = Self.holds(s, 1, v)
      #expect(po.independent(s, 0) == !held)
      #expect(po.isPrivate(v, in: s, to: 0) == !held)
      #expect(!po.isPrivate(v, in: s, to: 1), "never private to the reader, which does not own it")
      if held { seen.held += 1 } else { seen.private += 1 }
    }
    #expect(seen.held > 0 && seen.private > 0)
    // While the cell holds it, the VMA is not private even if the reader holds nothing.
    let publish = Self.pc(model, 0) { if case .cellStore = $0 { return true } else { return false } }
    for s in try StateEncodingTests.reachable(model) where s.threads[0].pc == publish + 1 {
      #expect(!po.isPrivate(v, in: s, to: 0))
    }
  }

  /// After `vma_insert` the VMA is in the tree and attached: not private, even though no
  /// other thread holds it.
  @Test func aVMAInTheTreeIsNotPrivate() throws {
    let model = try InlineModel.load(
      """
      {
        "name": "insert-then-edit",
        "programs": { "p": [
          { "op": "mmap_write_lock" },
          { "op": "vma_alloc", "gfp": "kernel", "start": 0, "end": 4, "prot": "rw", "into": "v" },
          { "op": "vma_start_write", "vma": { "reg": "v" } },
          { "op": "vma_set", "vma": { "reg": "v" }, "field": "prot", "value": "r" },
          { "op": "vma_insert", "vma": { "reg": "v" } },
          { "op": "vma_set", "vma": { "reg": "v" }, "field": "prot", "value": "rw" },
          { "op": "mmap_write_unlock" },
          { "op": "end" }
        ], "idle": [{ "op": "nop" }, { "op": "end" }] },
        "threads": [{ "name": "T", "program": "p" }, { "name": "I", "program": "idle" }]
      }
      """)
    let po = PartialOrder(model: model)
    let first = Self.pc(model, 0, Self.isVMASet)
    let second = Self.pc(model, 0, from: first + 1, Self.isVMASet)
    let startWrite = first - 1
    var checked = 0
    for s in try StateEncodingTests.reachable(model) {
      switch Int(s.threads[0].pc) {
      case startWrite, first: #expect(po.independent(s, 0)); checked += 1
      case second: #expect(!po.independent(s, 0)); checked += 1
      default: break
      }
    }
    #expect(checked >= 3)
    try Self.expectSameFindings(model)
  }

  /// `obj_get` and an `obj_put` that leaves a reference are independent on a private object;
  /// the `obj_put` that frees it is not (the allocator counter); a declared object never is.
  @Test func onlyPutsThatFreeNothingQualify() throws {
    let model = try InlineModel.load(
      """
      {
        "name": "object-refcounts",
        "objects": [{ "name": "D", "kind": "anon_vma" }],
        "programs": { "p": [
          { "op": "obj_alloc", "kind": "anon_vma", "gfp": "kernel", "into": "o" },
          { "op": "obj_get", "obj": { "reg": "o" } },
          { "op": "obj_use", "obj": { "reg": "o" } },
          { "op": "obj_put", "obj": { "reg": "o" } },
          { "op": "obj_put", "obj": { "reg": "o" } },
          { "op": "obj_use", "obj": "D" },
          { "op": "end" }
        ], "idle": [{ "op": "nop" }, { "op": "end" }] },
        "threads": [{ "name": "T", "program": "p" }, { "name": "I", "program": "idle" }]
      }
      """)
    let po = PartialOrder(model: model)
    let expected: [Int: Bool] = [1: true, 2: true, 3: true, 4: false, 5: false]
    var checked = Set<Int>()
    for s in try StateEncodingTests.reachable(model) where s.threads[0].outcome == .running {
      guard let e = expected[Int(s.threads[0].pc)] else { continue }
      #expect(po.independent(s, 0) == e, "pc \(s.threads[0].pc)")
      checked.insert(Int(s.threads[0].pc))
    }
    #expect(checked == Set(expected.keys))
    try Self.expectSameFindings(model)
  }
}
