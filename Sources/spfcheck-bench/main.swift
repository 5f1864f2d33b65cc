import Foundation

// spfcheck-bench: runs the fixed benchmark suite of issue 4 against the spfcheck binary
// next to this executable, one process per case and variant, and prints the figures
// (see docs/performance.md). Exit status: 0 done, 64 usage, 70 a run failed.

/// Writes `text` to stderr.
func warn(_ text: String) {
  FileHandle.standardError.write(Data(text.utf8))
}

let options: BenchOptions
do {
  options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
  let message = "\(error)"
  warn((message.isEmpty ? "" : "spfcheck-bench: \(message)\n") + BenchOptions.usage + "\n")
  exit(message.isEmpty ? 0 : 64)
}

do {
  let spfcheck = try Runner.locateSpfcheck(options.spfcheck)
  let casesDir = options.casesDir ?? Runner.sourceDir + "/Cases"
  // The --jobs variants run on one case only: the named one, else the spf case with the most
  // fault threads, else the last selected case.
  let jobsCase = options.jobsCase
    ?? (options.cases.filter { $0.spinThreads != nil }.max { $0.spinThreads! < $1.spinThreads! } ?? options.cases.last)?.name
  var results: [CaseResult] = []
  for bench in options.cases {
    let model = "\(casesDir)/\(bench.name).json"
    guard FileManager.default.fileExists(atPath: model) else { throw RunError(description: "no case model \(model)") }
    var result = CaseResult(bench: bench)
    func explore(_ variant: Variant, label: String) throws -> RunOutcome {
      warn("spfcheck-bench: \(bench.name) [\(label)] ...")
      let outcome = try Runner.explore(
        spfcheck: spfcheck, model: model, variant: variant, maxStates: options.maxStates, timeout: options.timeout)
      switch outcome {
      case .measured(let m): warn(" \(m.states) states, \(Report.fixed(m.seconds, 2))s, \(m.verdict)\n")
      case .unsupported: warn(" flag unsupported\n")
      case .skipped: warn(" skipped\n")
      }
      return outcome
    }
    for variant in Variant.standard {
      result.runs.append((variant, try explore(variant, label: variant.name)))
    }
    if bench.name == jobsCase {
      // Alternated, so that a slow minute of the host falls on both sides of some pair.
      for pair in 1...options.jobsPairs {
        let label = options.jobsPairs > 1 ? ", pair \(pair) of \(options.jobsPairs)" : ""
        let one = try explore(Variant.jobs[0], label: Variant.jobs[0].name + label)
        let two = try explore(Variant.jobs[1], label: Variant.jobs[1].name + label)
        result.jobsPairs.append((one, two))
      }
      result.runs += result.medianJobsRuns
    } else if bench.spinThreads != nil {
      // The SPF suite's per-core rate (the 2 M states/s target of issue 4 is per core): the
      // other rows run on every core.
      result.runs.append((Variant.jobs[0], try explore(Variant.jobs[0], label: Variant.jobs[0].name)))
    }
    if options.spin, let n = bench.spinThreads {
      warn("spfcheck-bench: \(bench.name) [SPIN, NFAULT=\(n)] ...")
      do {
        let s = try SpinBench.run(threads: n, model: Runner.sourceDir + "/spin/spf.pml", timeout: options.timeout)
        result.spin = s
        warn(" \(s.statesStored) states, total \(Report.fixed(s.totalSeconds, 2))s, \(s.verdict)\n")
      } catch {
        result.spinError = "\(error)"
        warn(" failed\n")
      }
    }
    results.append(result)
  }
  print(options.markdown ? Report.markdown(results, options) : Report.text(results, options), terminator: "")
} catch {
  warn("spfcheck-bench: \(error)\n")
  exit(70)
}
