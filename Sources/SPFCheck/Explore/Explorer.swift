import Foundation

/// One scheduling choice: which thread stepped (or the grace-period environment
/// step) and which branch of that step was taken.
public struct Choice: Hashable, Sendable {
  /// The thread index, or ``Choice/gracePeriod`` for the environment's RCU step.
  public var thread: Int
  /// The branch taken: 0 normally; 1 for an injected allocation failure or the jump of `choose`.
  public var branch: Int
  public static let gracePeriod = -1
}

/// Where a violation was detected.
public enum FindingSite: String, Sendable {
  /// By the last step of the schedule.
  case step
  /// In the state reached, where no step is enabled.
  case deadlock
  /// At quiescence, after the schedule and the drain of RCU callbacks.
  case quiescence
}

/// A violation together with the schedule that reaches it from the initial state.
struct Finding: Sendable {
  var violation: Violation
  var schedule: [Choice]
  var site: FindingSite
}

/// Bounds and switches for one exploration.
public struct ExploreOptions: Sendable {
  public var maxStates: Int?
  public var maxDepth: Int?
  public var timeout: Double?
  /// Keep every distinct violation (kind and message), not only the first of each kind.
  public var all = false
  /// Called about four times a second with the figures so far (and the queue length).
  public var progress: (@Sendable (Statistics, Int) -> Void)?
  public init() {}
}

/// The verdict of an exploration.
public enum Verdict: Equatable, Sendable {
  case verified
  case violation
  /// A bound stopped the search before it was exhaustive and no violation was found.
  case incomplete(String)

  public var name: String {
    switch self {
    case .verified: return "verified"
    case .violation: return "violation"
    case .incomplete: return "incomplete"
    }
  }
}

/// Figures of one exploration.
public struct Statistics: Sendable {
  public var states = 0
  public var transitions = 0
  public var maxDepth = 0
  public var seconds = 0.0
  public var peakMemoryBytes = 0
  /// Terminal states cut because a thread reached its retry limit.
  public var retryLimitHits = 0
  public var statesPerSecond: Double { seconds > 0 ? Double(states) / seconds : 0 }
}

/// The outcome of an exploration.
struct ExploreResult: Sendable {
  var verdict: Verdict
  var findings: [Finding]
  var stats: Statistics
  /// Which ops some explored interleaving attempted.
  var coverage: Coverage
}

/// Ops of the model's source that no explored interleaving reached, like SPIN's
/// "unreached in proctype": an unreached op usually means a model bug.
struct Coverage: Sendable {
  /// Distinct source ops the threads run (an op inlined several times counts once).
  var total: Int
  /// Source ops never attempted by any thread, in file and program order.
  var unreached: [SourceSite]

  /// Folds per-thread reached flags into source ops.
  init(model: CompiledModel, reached: [[Bool]]) {
    var order: [String] = []
    var sites: [String: SourceSite] = [:]
    var hit: Set<String> = []
    for (t, thread) in model.threads.enumerated() {
      for (pc, site) in thread.sites.enumerated() {
        let key = site.file + "\u{0}" + site.path
        if sites[key] == nil {
          sites[key] = site
          order.append(key)
        }
        if reached[t][pc] { hit.insert(key) }
      }
    }
    total = order.count
    unreached = order.filter { !hit.contains($0) }.map { sites[$0]! }
  }
}

/// Explores every interleaving of a model's threads (and RCU grace periods, and
/// allocation outcomes) breadth-first, so the first counterexample found for each
/// invariant is a shortest one.
///
/// The order is deterministic: threads in declaration order, then the grace period;
/// branches in index order. Hash tables are used for membership only.
struct Explorer {
  let model: CompiledModel
  let options: ExploreOptions

  /// Runs the search to completion or to a bound.
  ///
  /// - Complexity: O(S × T × B) steps for S reachable states, T threads, B branches per step;
  ///   memory O(S) full states.
  func run() throws(ModelError) -> ExploreResult {
    let executor = Executor(model: model)
    let start = Date()
    var lastReport = start
    var states: [State] = [model.initial]
    var parent: [Int32] = [-1]
    var via: [Choice] = [Choice(thread: 0, branch: 0)]
    var depth: [Int32] = [0]
    var index: [State: Int32] = [model.initial: 0]
    var stats = Statistics()
    var findings: [Finding] = []
    var incomplete: String?
    var reached = model.threads.map { [Bool](repeating: false, count: $0.code.count) }

    func schedule(to i: Int) -> [Choice] {
      var path: [Choice] = []
      var k = i
      while k > 0 {
        path.append(via[k])
        k = Int(parent[k])
      }
      return path.reversed()
    }

    func record(_ v: Violation, _ path: @autoclosure () -> [Choice], _ site: FindingSite) {
      let duplicate = findings.contains {
        $0.violation.invariant == v.invariant && (!options.all || $0.violation.message == v.message)
      }
      if duplicate || (options.all && findings.count >= 100) { return }
      findings.append(Finding(violation: v, schedule: path(), site: site))
    }

    var cursor = 0
    search: while cursor < states.count {
      let s = states[cursor]
      let d = Int(depth[cursor])
      defer { cursor += 1 }
      if s.allEnded {
        if s.threads.contains(where: { $0.outcome == .retryLimit }) {
          stats.retryLimitHits += 1
          continue
        }
        for v in executor.quiescenceViolations(s) { record(v, schedule(to: cursor), .quiescence) }
        continue
      }
      let successors = try executor.successors(of: s)
      if successors.isEmpty {
        // Not every thread ended and nothing can step: describe the deadlock (rare path).
        if let v = executor.deadlock(s) { record(v, schedule(to: cursor), .deadlock) }
        continue
      }
      if let limit = options.maxDepth, d >= limit {
        incomplete = "depth bound \(limit) reached"
        continue
      }
      for (next, choice, result) in successors {
        stats.transitions += 1
        if choice.thread != Choice.gracePeriod { reached[choice.thread][Int(s.threads[choice.thread].pc)] = true }
        if let v = result.violation {
          record(v, schedule(to: cursor) + [choice], .step)
          continue
        }
        if index[next] != nil { continue }
        index[next] = Int32(states.count)
        states.append(next)
        parent.append(Int32(cursor))
        via.append(choice)
        depth.append(Int32(d + 1))
        stats.maxDepth = max(stats.maxDepth, d + 1)
        if let limit = options.maxStates, states.count >= limit {
          incomplete = "state bound \(limit) reached"
          break search
        }
      }
      if cursor & 1023 == 0 {
        let now = Date()
        if let timeout = options.timeout, now.timeIntervalSince(start) > timeout {
          incomplete = "time bound \(timeout)s reached"
          break search
        }
        if let report = options.progress, now.timeIntervalSince(lastReport) >= 0.25 {
          lastReport = now
          var snapshot = stats
          snapshot.states = states.count
          snapshot.seconds = now.timeIntervalSince(start)
          snapshot.peakMemoryBytes = Self.peakMemoryBytes()
          report(snapshot, states.count - cursor)
        }
      }
    }
    stats.states = states.count
    stats.seconds = Date().timeIntervalSince(start)
    stats.peakMemoryBytes = Self.peakMemoryBytes()
    let verdict: Verdict
    if !findings.isEmpty {
      verdict = .violation
    } else if let reason = incomplete {
      verdict = .incomplete(reason)
    } else {
      verdict = .verified
    }
    findings.sort { ($0.violation.invariant, $0.schedule.count) < ($1.violation.invariant, $1.schedule.count) }
    return ExploreResult(
      verdict: verdict, findings: findings, stats: stats, coverage: Coverage(model: model, reached: reached))
  }

  /// Peak resident set size of this process (`VmHWM` in /proc/self/status), 0 when unknown.
  static func peakMemoryBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let digits = line.filter(\.isNumber)
      return (Int(digits) ?? 0) * 1024
    }
    return 0
  }
}
