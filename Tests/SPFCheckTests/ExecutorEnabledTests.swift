import Testing

@testable import SPFCheck

/// `Executor.isEnabled` answers true for an op that is not ``Instr/mayBlock`` without reading
/// it, so an op that can be disabled but is missing from `mayBlock` would run while it should
/// wait (a reader past a writer, a second spinlock owner).
@Suite struct ExecutorEnabledTests {
  /// Over every reachable state of the corpus (up to a bound): each running thread that waits
  /// for nothing and whose next op is not `mayBlock` can run that op, by the op's own check
  /// (`Executor.canRun`), which ignores `mayBlock`.
  @Test(arguments: ModelCorpusTests.models)
  func opsThatNeverBlockCanAlwaysRun(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let executor = Executor(model: model)
    for s in try StateEncodingTests.reachable(model, limit: 500) {
      for t in s.threads.indices where s.threads[t].outcome == .running && s.threads[t].wait == .none {
        let instr = model.threads[t].code[Int(s.threads[t].pc)]
        guard !instr.mayBlock else { continue }
        #expect(executor.canRun(instr, s, t), "\(relative): \(instr) is disabled but not mayBlock")
      }
    }
  }

  /// The other side: the corpus reaches states where a `mayBlock` op cannot run, so the check
  /// above meets the ops it guards (it fails once one of them is left out of `mayBlock`).
  @Test func theCorpusReachesBlockedOps() throws {
    var blocked: Set<String> = []
    for relative in ModelCorpusTests.models {
      let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
      let executor = Executor(model: model)
      for s in try StateEncodingTests.reachable(model, limit: 500) {
        for t in s.threads.indices where s.threads[t].outcome == .running && s.threads[t].wait == .none {
          let instr = model.threads[t].code[Int(s.threads[t].pc)]
          if !executor.canRun(instr, s, t) { blocked.insert(String("\(instr)".prefix { $0 != "(" })) }
        }
      }
    }
    #expect(blocked.isSuperset(of: ["mmapReadLock", "spinLock", "pteLock"]), "blocked ops reached: \(blocked.sorted())")
  }
}
