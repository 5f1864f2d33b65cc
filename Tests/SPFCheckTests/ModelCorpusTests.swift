import Foundation
import Testing

@testable import SPFCheck

/// Every runnable model under models/: its verdict matches `expect`, every counterexample replays, and exploration is deterministic.
///
/// Explorations are bounded by ``Corpus/stateBound`` so that a model whose state space never closes
/// is reported as a failure instead of hanging the suite.
@Suite struct ModelCorpusTests {
  /// Repository-relative paths of the runnable models, discovered at test time.
  static let models: [String] = RepoPaths.runnableModels()

  @Test func corpusIsDiscovered() {
    #expect(Self.models.contains("models/rcu-walk-vs-munmap.json"))
    // Protocol files (no "threads") are libraries, not models.
    #expect(!Self.models.contains("models/protocols/munmap.json"))
  }

  @Test(arguments: models)
  func verdictMatchesExpectation(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let expect = try #require(model.expect, "\(relative) declares no \"expect\"")
    let result = try Corpus.explore(model)
    if Corpus.hitBound(result) {
      Corpus.recordUnbounded(relative, result)
      return
    }
    switch expect.verdict {
    case .verified:
      #expect(result.verdict == .verified, "\(relative): found \(result.kinds.sorted())")
      #expect(result.findings.isEmpty)
    case .violation:
      #expect(result.verdict == .violation, "\(relative): got \(result.verdict.name)")
    }
    let required = Set(expect.violations)
    let tolerated = required.union(expect.allowed)
    #expect(required.isSubset(of: result.kinds), "\(relative): missing \(required.subtracting(result.kinds).sorted())")
    #expect(result.kinds.isSubset(of: tolerated), "\(relative): unexpected \(result.kinds.subtracting(tolerated).sorted())")
    #expect(result.stats.states > 0)
  }

  /// Every finding becomes a counterexample that replays, both from memory and through its
  /// serialized file, and reproduces the same invariant.
  @Test(arguments: models)
  func everyCounterexampleReplays(_ relative: String) throws {
    let path = RepoPaths.absolute(relative)
    let model = try ModelLoader.load(path: path)
    let result = try Corpus.explore(model)
    let dir = try TempDir()
    for finding in result.findings {
      let invariant = finding.violation.invariant
      let cx = try Driver.counterexample(for: finding, model: model)
      #expect(cx.invariant == invariant)
      #expect(cx.steps.count == cx.schedule.count)
      // The written schedule is minimal: no more preemptions than the breadth-first one,
      // and no more steps when the preemptions are equal.
      let bfsPreemptions = try Replayer(model: model, file: "memory").run(finding.schedule).preemptions
      #expect(cx.preemptions <= bfsPreemptions, "\(relative): \(invariant.rawValue)")
      if cx.preemptions == bfsPreemptions {
        #expect(cx.schedule.count <= finding.schedule.count, "\(relative): \(invariant.rawValue)")
      }

      // In memory.
      let replay = try Replayer(model: model, file: "memory").run(cx.schedule)
      #expect(replay.violations.contains { $0.invariant == invariant }, "\(relative): \(invariant.rawValue) does not replay")

      // Through the serialized document: decode it back and map thread names to indices.
      let text = cx.json(model: model).serialized() + "\n"
      let decoded = try Counterexample.decode(JSONNode(json: JSONParser.parse(text), path: "", file: "memory"))
      #expect(decoded.hash == model.contentHash)
      #expect(decoded.invariant == invariant)
      let schedule = try decoded.schedule.map { (entry: (thread: String, branch: Int)) throws -> Choice in
        if entry.thread == "rcu" { return Choice(thread: Choice.gracePeriod, branch: 0) }
        let t = try #require(model.threads.firstIndex { $0.name == entry.thread })
        return Choice(thread: t, branch: entry.branch)
      }
      #expect(schedule == cx.schedule)
      let again = try Replayer(model: model, file: "memory").run(schedule)
      #expect(again.violations.contains { $0.invariant == invariant })

      // Through a file and the driver's replay command.
      let file = try dir.write(text, to: "\(model.name).\(invariant.rawValue).json")
      let run = Driver.run(.replay(ReplayCommand(trace: file.path, model: path, quiet: true)))
      #expect(run.status == .ok, "\(run.stderr)")
      #expect(run.stdout.contains("reproduced: \(invariant.rawValue)"))
    }
  }

  /// Exploring the same model twice gives the same counts and byte-identical counterexamples
  /// (a run stopped at the state bound is deterministic too).
  @Test(arguments: models)
  func explorationIsDeterministic(_ relative: String) throws {
    let path = RepoPaths.absolute(relative)
    func once() throws -> (states: Int, transitions: Int, depth: Int, verdict: String, documents: [String]) {
      let model = try ModelLoader.load(path: path)
      let result = try Corpus.explore(model)
      let documents = try result.findings.map { try Driver.counterexample(for: $0, model: model).json(model: model).serialized() }
      return (result.stats.states, result.stats.transitions, result.stats.maxDepth, result.verdict.name, documents)
    }
    let a = try once()
    let b = try once()
    #expect(a.states == b.states)
    #expect(a.transitions == b.transitions)
    #expect(a.depth == b.depth)
    #expect(a.verdict == b.verdict)
    #expect(a.documents == b.documents)
  }
}
