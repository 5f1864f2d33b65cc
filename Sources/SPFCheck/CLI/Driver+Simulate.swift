extension Driver {
  /// `spfcheck simulate MODEL.json`: seeded random walks; every violation found is written as a
  /// counterexample (replayed first, as `explore` does) and the run exits 1.
  ///
  /// Stdout depends only on the model and the options: the same seed prints the same bytes.
  static func simulate(_ c: SimulateCommand) -> RunResult {
    do {
      let model = try ModelLoader.load(path: c.model)
      var options = SimulateOptions()
      options.runs = c.runs
      options.seed = c.seed
      options.strategy = c.strategy
      options.depth = c.depth
      options.maxSteps = c.maxSteps
      let result = try Simulator(model: model, options: options).run()
      var out = "model: \(model.name) (\(ModelLoader.relativePath(model.file)))\n"
      out += "simulate: \(c.runs) runs, seed \(c.seed), strategy \(strategyText(c, result)), max steps \(c.maxSteps)\n"
      out += "verdict: " + (result.findings.isEmpty ? "no violation found in \(result.runs) runs" : "violation") + "\n"
      var lanes: [(path: String?, cx: Counterexample)] = []
      for found in result.findings {
        let v = found.finding.violation
        out += "  \(v.invariant.rawValue): \(v.message)\n"
        out += "    hit in \(found.hits) of \(result.runs) runs; shortest in run \(found.run) (run seed \(found.runSeed))\n"
        let cx = try counterexample(for: found.finding, model: model, minimize: false)
        if c.write {
          let path = "\(c.out)/\(model.name).\(v.invariant.rawValue).json"
          try FileIO.writeAtomically(cx.json(model: model).serialized() + "\n", to: path)
          out += "    counterexample: \(path) (\(cx.schedule.count) steps, \(cx.preemptions) preemptions, \(cx.contextSwitches) context switches)\n"
          lanes.append((path, cx))
        } else {
          lanes.append((nil, cx))
        }
        if !c.quiet { out += "    explanation: \(Explanation.text(cx))\n" }
      }
      out += "runs: \(result.runs)  steps: \(result.steps)  longest run: \(result.longestRun)  ended: \(result.ended)"
      out += "  violating: \(result.violating)  cut at max steps: \(result.bounded)  retry limit: \(result.retryLimit)\n"
      if !c.quiet { out += swimlanes(lanes, terminal: .current(color: c.color, width: c.width)) }
      return RunResult(status: result.findings.isEmpty ? .ok : .violation, stdout: out)
    } catch {
      return failure(error)
    }
  }

  /// The strategy and, for PCT, its depth and the estimated run length.
  static func strategyText(_ c: SimulateCommand, _ result: SimulationResult) -> String {
    switch c.strategy {
    case .random: return "random"
    case .pct: return "pct (depth \(c.depth), \(c.depth - 1) change points over \(result.estimatedLength ?? c.maxSteps) steps)"
    }
  }
}
