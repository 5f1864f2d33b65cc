import Testing

@testable import SPFCheck

/// `Executor.isEnabled` answers true for an op that is not ``Instr/mayBlock`` without reading
/// it, so an op that can be disabled but is missing from `mayBlock` would run while it should
/// wait (a reader past a writer, a second spinlock owner).
@Suite struct ExecutorEnabledTests {
  /// Calls `body` with each running thread that waits for nothing, its next op, and whether the
  /// op's own check (`Executor.canRun`, which ignores `mayBlock`) lets it run, in every
  /// reachable state of `relative` (up to a bound).
  static func eachReadyOp(_ relative: String, _ body: (_ instr: Instr, _ canRun: Bool) -> Void) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let executor = Executor(model: model)
    for s in try StateEncodingTests.reachable(model, limit: 500) {
      for t in s.threads.indices where s.threads[t].outcome == .running && s.threads[t].wait == .none {
        let instr = model.threads[t].code[Int(s.threads[t].pc)]
        body(instr, executor.canRun(instr, s, t))
      }
    }
  }

  /// Over every reachable state of the corpus (up to a bound): an op that is not `mayBlock`
  /// can always run.
  @Test(arguments: ModelCorpusTests.models)
  func opsThatNeverBlockCanAlwaysRun(_ relative: String) throws {
    try Self.eachReadyOp(relative) { instr, canRun in
      #expect(instr.mayBlock || canRun, "\(relative): \(instr) is disabled but not mayBlock")
    }
  }

  /// The other side: the corpus reaches states where a `mayBlock` op cannot run, so the check
  /// above meets the ops it guards (it fails once one of them is left out of `mayBlock`).
  @Test func theCorpusReachesBlockedOps() throws {
    var blocked: Set<String> = []
    for relative in ModelCorpusTests.models {
      try Self.eachReadyOp(relative) { instr, canRun in
        if !canRun { blocked.insert(String("\(instr)".prefix { $0 != "(" })) }
      }
    }
    #expect(blocked.isSuperset(of: ["mmapReadLock", "spinLock", "pteLock"]), "blocked ops reached: \(blocked.sorted())")
  }
}
