import Foundation

/// What a command produced: its exit status and the text for stdout and stderr.
public struct RunResult: Sendable {
  public var status: ExitStatus
  public var stdout = ""
  public var stderr = ""

  public init(status: ExitStatus, stdout: String = "", stderr: String = "") {
    self.status = status
    self.stdout = stdout
    self.stderr = stderr
  }

  /// Writes both streams (stdout first) through FileHandle.
  public func emit() {
    FileHandle.standardOutput.write(Data(stdout.utf8))
    FileHandle.standardError.write(Data(stderr.utf8))
  }
}

/// Runs a parsed command. The only place that touches files and the clock's output.
public enum Driver {
  public static func run(_ command: Command) -> RunResult {
    switch command {
    case .help: return RunResult(status: .ok, stdout: CommandLineOptions.usage + "\n")
    case .version: return RunResult(status: .ok, stdout: "spfcheck 0.1.0\n")
    case .explore(let c): return explore(c)
    case .replay(let c): return replay(c)
    case .check(let c): return check(c)
    case .simulate(let c): return simulate(c)
    }
  }

  /// Maps an error to its exit status and message.
  static func failure(_ error: any Error) -> RunResult {
    switch error {
    case let e as ModelError: return RunResult(status: .dataError, stderr: "spfcheck: \(e)\n")
    case let e as TraceError: return RunResult(status: e.isDataError ? .dataError : .mismatch, stderr: "spfcheck: \(e)\n")
    case let e as IOError: return RunResult(status: .dataError, stderr: "spfcheck: \(e)\n")
    default: return RunResult(status: .software, stderr: "spfcheck: internal error: \(error)\n")
    }
  }

  // MARK: explore

  static func explore(_ c: ExploreCommand) -> RunResult {
    do {
      let model = try ModelLoader.load(path: c.model)
      var options = ExploreOptions()
      options.maxStates = c.maxStates
      options.maxDepth = c.maxDepth
      options.timeout = c.timeout
      options.all = c.all
      options.progress = progressReporter(c)
      options.partialOrder = c.partialOrder
      options.symmetry = c.symmetry
      options.transitionCache = c.transitionCache
      options.fingerprint = c.fingerprint
      options.jobs = c.jobs ?? ProcessInfo.processInfo.activeProcessorCount
      let result = try Explorer(model: model, options: options).run()
      if c.progressJSON {
        options.progress?(result.stats, 0)  // the final figures, always one line
      } else if options.progress != nil {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))  // clear the status line
      }
      var out = "model: \(model.name) (\(ModelLoader.relativePath(model.file)))\n"
      out += "verdict: \(result.verdict.name)"
      if case .incomplete(let reason) = result.verdict { out += " (\(reason); no violation found so far)" }
      out += "\n"
      var counters: [String: Int] = [:]
      var lanes: [(path: String?, cx: Counterexample)] = []
      for finding in result.findings {
        let cx = try counterexample(for: finding, model: model, minimize: !c.all)
        out += "  \(finding.violation.invariant.rawValue): \(finding.violation.message)\n"
        if c.write {
          let key = finding.violation.invariant.rawValue
          counters[key, default: 0] += 1
          let suffix = c.all ? ".\(counters[key]!)" : ""
          let path = "\(c.out)/\(model.name).\(key)\(suffix).json"
          try FileIO.writeAtomically(cx.json(model: model).serialized() + "\n", to: path)
          out += "    counterexample: \(path) (\(cx.schedule.count) steps, \(cx.preemptions) preemptions, \(cx.contextSwitches) context switches)\n"
          lanes.append((path, cx))
        } else {
          lanes.append((nil, cx))
        }
        if !c.quiet { out += "    explanation: \(Explanation.text(cx))\n" }
      }
      out += statsLine(result.stats)
      out += storeLine(result.stats, options)
      out += coverageText(result.coverage, listing: !c.quiet)
      if result.stats.retryLimitHits > 0 {
        out += "bounded: \(result.stats.retryLimitHits) terminal states stopped at the retry limit (\(model.options.retryLimit))\n"
      }
      if !c.quiet { out += swimlanes(lanes, terminal: .current(color: c.color, width: c.width)) }
      let timing = timingLine(result.stats)
      if c.coverageJSON { out = coverageJSON(model: model, result: result) }
      let status: ExitStatus
      switch result.verdict {
      case .verified: status = .ok
      case .violation: status = .violation
      case .incomplete: status = .incomplete
      }
      return RunResult(status: status, stdout: c.coverageJSON ? out : out + timing)
    } catch {
      return failure(error)
    }
  }

  /// The coverage summary, and the unreached ops one per line.
  static func coverageText(_ coverage: Coverage, listing: Bool) -> String {
    let reached = coverage.total - coverage.unreached.count
    var out = "coverage: \(reached) of \(coverage.total) ops reached"
    if coverage.unreached.isEmpty { return out + "\n" }
    out += "; unreached:\n"
    guard listing else { return out.replacingOccurrences(of: "; unreached:\n", with: " (list without --quiet)\n") }
    for site in coverage.unreached {
      out += "  \(site.file): \(site.path) \(site.op)\(site.summary.isEmpty ? "" : " " + site.summary)\n"
    }
    return out
  }

  /// The progress callback: a refreshed status line when stderr is a terminal (and not
  /// `--quiet`), JSON lines with `--progress json`, nothing otherwise.
  static func progressReporter(_ c: ExploreCommand) -> (@Sendable (Statistics, Int) -> Void)? {
    if c.progressJSON {
      return { stats, queue in
        let line = JSON.object([
          ("states", .int(stats.states)), ("transitions", .int(stats.transitions)), ("queue", .int(queue)),
          ("maxDepth", .int(stats.maxDepth)), ("seconds", .double((stats.seconds * 100).rounded() / 100)),
          ("statesPerSecond", .int(Int(stats.statesPerSecond))), ("peakMemoryBytes", .int(stats.peakMemoryBytes)),
          ("storeBytes", .int(stats.storeBytes)), ("traceBytes", .int(stats.traceBytes)),
          ("cachedMoves", .int(stats.cachedMoves)), ("cachedGracePeriods", .int(stats.cachedGracePeriods)),
        ]).serialized().replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: "  ", with: "")
        FileHandle.standardError.write(Data((line + "\n").utf8))
      }
    }
    guard !c.quiet, isatty(2) != 0 else { return nil }
    return { stats, queue in
      let mib = Double(stats.peakMemoryBytes) / 1_048_576
      let line = "\r\u{1B}[Kstates \(stats.states)  \(Int(stats.statesPerSecond))/s  queue \(queue)  depth \(stats.maxDepth)  \(String(format: "%.0f", mib)) MiB  \(String(format: "%.1f", stats.seconds))s"
      FileHandle.standardError.write(Data(line.utf8))
    }
  }

  /// The `--coverage json` document (deterministic: no timings).
  static func coverageJSON(model: CompiledModel, result: ExploreResult) -> String {
    let unreached: [JSON] = result.coverage.unreached.map { site in
      .object([("file", .string(site.file)), ("path", .string(site.path)), ("op", .string(site.op)), ("args", .string(site.summary))])
    }
    return JSON.object([
      ("model", .string(model.name)),
      ("verdict", .string(result.verdict.name)),
      ("violations", .array(Array(Set(result.findings.map(\.violation.invariant.rawValue))).sorted().map { .string($0) })),
      ("states", .int(result.stats.states)),
      ("transitions", .int(result.stats.transitions)),
      ("coverage", .object([
        ("total", .int(result.coverage.total)),
        ("reached", .int(result.coverage.total - result.coverage.unreached.count)),
        ("unreached", .array(unreached)),
      ])),
    ]).serialized() + "\n"
  }

  /// The swimlane of each counterexample, headed by the file it was written to.
  static func swimlanes(_ lanes: [(path: String?, cx: Counterexample)], terminal: Terminal) -> String {
    var out = ""
    for (path, cx) in lanes {
      out += "\nswimlane \(cx.invariant.rawValue): \(path ?? "(not written)")\n"
      out += SwimlaneText.render(cx, width: terminal.width, color: terminal.color, explanation: false)
    }
    return out.isEmpty ? "" : out + "\n"
  }

  static func statsLine(_ s: Statistics) -> String {
    "states: \(s.states)  transitions: \(s.transitions)  max depth: \(s.maxDepth)\n"
  }

  /// The reductions and store in force, and the store's size (deterministic for a model and flags).
  static func storeLine(_ s: Statistics, _ o: ExploreOptions) -> String {
    var parts: [String] = []
    parts.append(o.partialOrder ? "por on" : "por off")
    parts.append(o.symmetry ? "symmetry on" : "symmetry off")
    if o.fingerprint {
      let p = String(format: "%.1e", s.omissionProbability)
      parts.append("fingerprints (probability of a missed state \(p))")
    } else {
      parts.append("exact store")
    }
    return "reductions: " + parts.joined(separator: ", ") + "\n"
  }

  static func timingLine(_ s: Statistics) -> String {
    let mib = Double(s.peakMemoryBytes) / 1_048_576
    let perState = s.states > 0 ? Double(s.storeBytes) / Double(s.states) : 0
    return "time: \(String(format: "%.2f", s.seconds))s  states/s: \(Int(s.statesPerSecond))  peak memory: \(String(format: "%.1f", mib)) MiB  store: \(String(format: "%.1f", perState)) B/state\n"
  }

  /// Builds the counterexample for a finding by replaying it with narration, and
  /// checks that the replay reproduces the violation (house rule: nothing unreplayable is written).
  ///
  /// With `minimize` (the default; off for `--all`, whose findings are distinct violations of
  /// one invariant), the schedule is replaced by one with the fewest preemptions, then steps.
  static func counterexample(for found: Finding, model: CompiledModel, minimize: Bool = true) throws -> Counterexample {
    // Prefer the schedule with the fewest preemptions, then the fewest steps; keep the
    // breadth-first one when the minimal search exceeds its node limit.
    let finding = minimize ? (try MinimalSchedule(model: model).search(for: found.violation.invariant) ?? found) : found
    let replay = try Replayer(model: model, file: model.file).run(finding.schedule)
    guard let v = replay.violations.first(where: { $0.invariant == finding.violation.invariant }) else {
      throw InternalError(message: "the counterexample for \(finding.violation.invariant.rawValue) does not replay")
    }
    return Counterexample(
      model: model, modelFile: ModelLoader.relativePath(model.file), schedule: finding.schedule, replay: replay, violation: v)
  }

  // MARK: replay

  static func replay(_ c: ReplayCommand) -> RunResult {
    do {
      let trace = try loadTrace(c.trace, modelOverride: c.model)
      let model = trace.model
      let replay = try Replayer(model: model, file: c.trace).run(trace.schedule)
      guard let v = replay.violations.first(where: { $0.invariant == trace.invariant }) else {
        let got = replay.violations.map(\.invariant.rawValue).joined(separator: ", ")
        throw TraceError.diverged(file: c.trace, message: "expected \(trace.invariant.rawValue), got \(got.isEmpty ? "no violation" : got)")
      }
      let shown = Counterexample(model: model, modelFile: trace.modelFile, schedule: trace.schedule, replay: replay, violation: v)
      switch c.format {
      case .json: return RunResult(status: .ok, stdout: shown.json(model: model).serialized() + "\n")
      case .mermaid: return RunResult(status: .ok, stdout: TraceRenderer.mermaid(shown))
      case .svg: return RunResult(status: .ok, stdout: SwimlaneSVG.render(shown))
      case .html: return RunResult(status: .ok, stdout: SwimlaneHTML.render(shown))
      case .text, .swimlane: break
      }
      var out = "replaying \(c.trace) against \(ModelLoader.relativePath(model.file)) (model unchanged)\n"
      if !c.quiet {
        if c.format == .swimlane {
          let terminal = Terminal.current(color: c.color, width: c.width)
          out += SwimlaneText.render(shown, width: terminal.width, color: terminal.color, explanation: true)
        } else {
          out += TraceRenderer.text(shown, indent: "")
        }
      }
      out += "reproduced: \(v.invariant.rawValue) after \(shown.schedule.count) steps (\(shown.preemptions) preemptions, \(shown.contextSwitches) context switches)\n"
      return RunResult(status: .ok, stdout: out)
    } catch {
      return failure(error)
    }
  }

  /// A counterexample file as replay needs it: the model (checked unchanged), the schedule
  /// with thread names resolved, the recorded invariant and model path.
  struct LoadedTrace {
    var model: CompiledModel
    var modelFile: String
    var invariant: Invariant
    var schedule: [Choice]
  }

  /// Reads a counterexample and its model, and checks the model is unchanged.
  static func loadTrace(_ path: String, modelOverride: String?) throws -> LoadedTrace {
    let bytes: [UInt8]
    do { bytes = try FileIO.read(path) } catch { throw TraceError.unreadable(file: path) }
    let json: JSON
    do { json = try JSONParser.parse(bytes) } catch { throw TraceError.syntax(file: path, error) }
    let decoded = try Counterexample.decode(JSONNode(json: json, path: "", file: path))
    let modelPath = modelOverride ?? decoded.file
    let model = try ModelLoader.load(path: modelPath)
    guard model.contentHash == decoded.hash else {
      throw TraceError.modelChanged(file: path, model: modelPath, recorded: decoded.hash, actual: model.contentHash)
    }
    var schedule: [Choice] = []
    for (i, entry) in decoded.schedule.enumerated() {
      if entry.thread == "rcu" {
        schedule.append(Choice(thread: Choice.gracePeriod, branch: 0))
      } else if let t = model.threads.firstIndex(where: { $0.name == entry.thread }) {
        schedule.append(Choice(thread: t, branch: entry.branch))
      } else {
        throw TraceError.invalid(file: path, path: "schedule[\(i)].thread", message: "no thread \"\(entry.thread)\" in the model")
      }
    }
    return LoadedTrace(model: model, modelFile: decoded.file, invariant: decoded.invariant, schedule: schedule)
  }
}
