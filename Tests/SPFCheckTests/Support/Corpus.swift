import Testing

@testable import SPFCheck

/// Bounded exploration of the models under models/.
enum Corpus {
  /// A deterministic state bound for corpus models. Every corpus model that closes its state space
  /// stays far below it (the largest has about 7,000 states); a model that reaches it would otherwise
  /// explore forever, so it is reported instead of hanging the suite.
  static let stateBound = 50_000


  static func explore(_ model: CompiledModel) throws -> ExploreResult {
    var options = ExploreOptions()
    options.maxStates = stateBound
    return try Explorer(model: model, options: options).run()
  }

  /// True when the exploration stopped at ``stateBound`` rather than closing the state space.
  static func hitBound(_ result: ExploreResult) -> Bool { result.stats.states >= stateBound }

  /// Fails the test: shipped models must close their state space (they are sized to check in seconds).
  static func recordUnbounded(_ relative: String, _ result: ExploreResult, sourceLocation: SourceLocation = #_sourceLocation) {
    Issue.record(
      "\(relative): exploration did not finish within \(stateBound) states (max depth \(result.stats.maxDepth), verdict so far \(result.verdict.name))",
      sourceLocation: sourceLocation)
  }

  /// Splits the corpus into models whose exploration closes within the bound (or that fail to
  /// load, so `check` reports them) and models that reach the bound.
  static func partition() -> (closing: [String], unbounded: [(String, ExploreResult)]) {
    var closing: [String] = []
    var unbounded: [(String, ExploreResult)] = []
    for relative in RepoPaths.runnableModels() {
      guard let model = try? ModelLoader.load(path: RepoPaths.absolute(relative)),
        let result = try? explore(model)
      else {
        closing.append(relative)
        continue
      }
      if hitBound(result) { unbounded.append((relative, result)) } else { closing.append(relative) }
    }
    return (closing, unbounded)
  }
}
