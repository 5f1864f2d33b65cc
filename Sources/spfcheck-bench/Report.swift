import Foundation

/// The results of one case: every variant in a fixed order, and SPIN's figures for `spf-N`.
struct CaseResult: Sendable {
  var bench: BenchCase
  var runs: [(variant: Variant, outcome: RunOutcome)] = []
  var spin: SpinMeasurement?
  var spinError: String?
  /// The alternated `--jobs 1` / `--jobs 2` runs of the jobs case, in order.
  var jobsPairs: [(one: RunOutcome, two: RunOutcome)] = []

  /// states(--no-por --no-symmetry) / states(default), as text: exact when both runs are
  /// complete, a lower bound (`>=`) when only the unreduced run hit the cap.
  var reductionRatio: String {
    guard case .measured(let d)? = runs.first(where: { $0.variant.name == "default" })?.outcome else { return "n/a" }
    guard let full = runs.first(where: { $0.variant.name == "no reductions" })?.outcome else { return "n/a" }
    switch full {
    case .unsupported: return "n/a (flag unsupported)"
    case .skipped: return "n/a"
    case .measured(let f):
      guard d.states > 0, !d.capped else { return "n/a (default run capped)" }
      let r = Double(f.states) / Double(d.states)
      return (f.capped ? ">= " : "") + Report.fixed(r, 2) + "x"
    }
  }
}

extension CaseResult {
  /// Each pair's seconds(`--jobs 1`) / seconds(`--jobs 2`), for the pairs where both ran.
  var jobsRatios: [Double] {
    jobsPairs.compactMap { pair in
      guard case .measured(let one) = pair.one, case .measured(let two) = pair.two, two.seconds > 0 else { return nil }
      return one.seconds / two.seconds
    }
  }

  /// The median of ``jobsRatios`` (the mean of the middle two for an even count) as text,
  /// nil when no pair ran.
  var jobsSpeedup: String? {
    let ratios = jobsRatios.sorted()
    guard !ratios.isEmpty else { return nil }
    let m = ratios.count / 2
    let median = ratios.count % 2 == 1 ? ratios[m] : (ratios[m - 1] + ratios[m]) / 2
    return Report.fixed(median, 2) + "x"
  }

  /// Every pair's ratio, in run order (`1.71x, 1.78x, 1.85x`), when more than one pair ran.
  var jobsRatioList: String? {
    jobsRatios.count > 1 ? jobsRatios.map { Report.fixed($0, 2) + "x" }.joined(separator: ", ") : nil
  }

  /// The table rows of the jobs variants: for each, the run of median seconds among the pairs
  /// (the lower middle one for an even count), or the first outcome when none was measured.
  var medianJobsRuns: [(variant: Variant, outcome: RunOutcome)] {
    guard let first = jobsPairs.first else { return [] }
    func median(_ outcomes: [RunOutcome], _ fallback: RunOutcome) -> RunOutcome {
      let measured = outcomes.compactMap { outcome -> (Double, RunOutcome)? in
        guard case .measured(let m) = outcome else { return nil }
        return (m.seconds, outcome)
      }.sorted { $0.0 < $1.0 }
      return measured.isEmpty ? fallback : measured[(measured.count - 1) / 2].1
    }
    return [
      (Variant.jobs[0], median(jobsPairs.map(\.one), first.one)),
      (Variant.jobs[1], median(jobsPairs.map(\.two), first.two)),
    ]
  }
}

/// Renders the results as plain-text tables or as markdown.
enum Report {
  static let columns = ["variant", "states", "transitions", "seconds", "states/s", "bytes/state", "peak MiB", "verdict"]

  /// `value` with `digits` decimals, independent of the locale.
  static func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
  }

  /// An integer with thin thousands separators (`1,234,567`).
  static func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return n < 0 ? "-" + out : out
  }

  /// The cells of one variant row.
  static func cells(_ variant: Variant, _ outcome: RunOutcome) -> [String] {
    switch outcome {
    case .unsupported:
      return [variant.name, "n/a (flag unsupported)", "", "", "", "", "", ""]
    case .skipped:
      return [variant.name, "skipped", "", "", "", "", "", ""]
    case .measured(let m):
      let bps = m.bytesPerState.map { "\(fixed($0.value, $0.value < 100 ? 1 : 0)) (\($0.label))" } ?? "n/a"
      return [
        variant.name, grouped(m.states), grouped(m.transitions), fixed(m.seconds, 2), grouped(m.statesPerSecond),
        bps, fixed(Double(m.peakMemoryBytes) / 1_048_576, 1), m.verdict,
      ]
    }
  }

  /// The cells of the SPIN row of an `spf-N` case.
  static func spinCells(_ s: SpinMeasurement) -> [String] {
    let peak = s.panPeakBytes > 0 ? Double(s.panPeakBytes) / 1_048_576 : s.panMemoryMiB
    let bps = s.statesStored > 0 && s.panPeakBytes > 0 ? "\(fixed(Double(s.panPeakBytes) / Double(s.statesStored), 0)) (peak RSS)" : "n/a"
    return [
      "SPIN (pan)", grouped(s.statesStored), grouped(s.transitions),
      "\(fixed(s.panSeconds, 2)) (total \(fixed(s.totalSeconds, 2)))", grouped(Int(s.panStatesPerSecond)),
      bps, fixed(peak, 1), s.verdict,
    ]
  }

  /// Plain-text table with aligned columns.
  static func textTable(_ rows: [[String]]) -> String {
    var widths = columns.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ row: [String]) -> String {
      row.enumerated().map { i, cell in
        i == 0 || i == row.count - 1 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[i] - cell.count) + cell
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(columns)] + rows.map(line)).joined(separator: "\n") + "\n"
  }

  /// Everything, as plain text: one table per case, then its reduction ratio and SPIN pipeline.
  static func text(_ results: [CaseResult], _ options: BenchOptions) -> String {
    var out = "spfcheck-bench: state cap \(grouped(options.maxStates)) per run, time limit \(options.timeout)s\n"
    for r in results {
      var rows = r.runs.map { cells($0.variant, $0.outcome) }
      if let s = r.spin { rows.append(spinCells(s)) }
      out += "\n== \(r.bench.name)\n" + textTable(rows)
      out += "reduction ratio (states without / with reductions): \(r.reductionRatio)\n"
      if let j = r.jobsSpeedup {
        out += "--jobs 2 speedup (seconds with --jobs 1 / with --jobs 2): \(j)"
        if let list = r.jobsRatioList { out += " (median of \(r.jobsRatios.count) alternated pairs: \(list))" }
        out += "\n"
      }
      if let s = r.spin {
        out += "SPIN pipeline: spin -a \(fixed(s.spinSeconds, 2))s + gcc \(fixed(s.gccSeconds, 2))s + pan \(fixed(s.panWallSeconds, 2))s"
        out += " = \(fixed(s.totalSeconds, 2))s; state vector \(s.stateVectorBytes) B, depth \(s.depth), pan memory \(fixed(s.panMemoryMiB, 1)) MiB\n"
        out += "  " + SpinBench.commands(s.threads).joined(separator: " && ") + "\n"
      }
      if let e = r.spinError { out += "SPIN: \(e)\n" }
    }
    return out
  }

  /// Everything, as markdown for docs/performance.md: one table of all runs, one of ratios.
  static func markdown(_ results: [CaseResult], _ options: BenchOptions) -> String {
    var out = "| case | " + columns.joined(separator: " | ") + " |\n"
    out += "|" + String(repeating: "---|", count: columns.count + 1) + "\n"
    for r in results {
      var rows = r.runs.map { cells($0.variant, $0.outcome) }
      if let s = r.spin { rows.append(spinCells(s)) }
      for row in rows { out += "| \(r.bench.name) | " + row.joined(separator: " | ") + " |\n" }
    }
    out += "\n| case | reduction ratio (no reductions / default) | --jobs 2 speedup |\n|---|---|---|\n"
    for r in results {
      let pairs = r.jobsRatioList.map { " (median of \(r.jobsRatios.count) pairs: \($0))" } ?? ""
      out += "| \(r.bench.name) | \(r.reductionRatio) | \((r.jobsSpeedup ?? "") + pairs) |\n"
    }
    let spins = results.compactMap(\.spin)
    if !spins.isEmpty {
      out += "\n| SPIN case | spin -a s | gcc s | pan s | total s | states stored | states/s | state vector B | pan memory MiB | peak RSS MiB |\n"
      out += "|---|---|---|---|---|---|---|---|---|---|\n"
      for s in spins {
        out += "| NFAULT=\(s.threads) | \(fixed(s.spinSeconds, 2)) | \(fixed(s.gccSeconds, 2)) | \(fixed(s.panWallSeconds, 2)) | "
        out += "\(fixed(s.totalSeconds, 2)) | \(grouped(s.statesStored)) | \(grouped(Int(s.panStatesPerSecond))) | "
        out += "\(s.stateVectorBytes) | \(fixed(s.panMemoryMiB, 1)) | \(fixed(Double(s.panPeakBytes) / 1_048_576, 1)) |\n"
      }
    }
    return out
  }
}
