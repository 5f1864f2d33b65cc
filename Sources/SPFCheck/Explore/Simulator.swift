/// Bounds and strategy of one simulation.
struct SimulateOptions: Sendable {
  var runs = 100
  var seed: UInt64 = 1
  var strategy = SimulateCommand.Strategy.random
  /// PCT's bug depth d (d - 1 priority change points per run).
  var depth = 3
  /// A run that has taken this many steps is abandoned.
  var maxSteps = 1000
}

/// A violation found by simulation: the shortest schedule seen for its invariant.
struct SimulatedFinding: Sendable {
  var finding: Finding
  /// How many runs hit this invariant.
  var hits: Int
  /// The 1-based run that produced ``finding`` and that run's seed (reproducible on its own).
  var run: Int
  var runSeed: UInt64
}

/// Figures and findings of one simulation.
struct SimulationResult: Sendable {
  /// One per invariant, sorted by invariant name.
  var findings: [SimulatedFinding] = []
  var runs = 0
  /// Steps taken over all runs (the PCT calibration walk not included).
  var steps = 0
  var longestRun = 0
  /// Runs where every thread ended without a violation.
  var ended = 0
  /// Runs that ended in a violation (a step, a deadlock or at quiescence).
  var violating = 0
  /// Runs abandoned after ``SimulateOptions/maxSteps`` steps.
  var bounded = 0
  /// Runs that ended because a thread reached the model's retry limit.
  var retryLimit = 0
  /// PCT's estimate k of a run's length (nil for `random`).
  var estimatedLength: Int?
}

/// Random walks through a model's state space, for models too large to explore exhaustively.
///
/// Each run starts at the initial state and repeatedly takes one enabled step (from
/// ``Executor/successors(of:)``, so the same steps `explore` would consider), checking the same
/// invariants: a step's violation ends the run, no enabled step is a deadlock, and a run where
/// every thread ended is checked at quiescence.
///
/// - `random` picks uniformly among every enabled step: each thread's branches count
///   separately, and the grace period is one more step.
/// - `pct` is PCT (Burckhardt, Kothari, Musuvathi and Nagarakatte, ASPLOS 2010): the threads
///   and the grace period (a pseudo-thread) get distinct random priorities d ... d+n; the
///   enabled actor with the highest priority steps; d - 1 change points drawn from 1 ... k
///   lower the priority of the actor taking that step to 1 ... d - 1. k is the length of one
///   calibration random walk before the runs (or `maxSteps` if that walk is cut). Branches of
///   the chosen actor's step (allocation failure, `choose`) are picked uniformly.
///
/// Runs are seeded from ``SimulateOptions/seed`` through ``SplitMix64``; each run uses its own
/// ``Xoshiro256StarStar``, so the same options always give the same result.
struct Simulator {
  let model: CompiledModel
  let options: SimulateOptions

  /// How a run ended.
  enum RunEnd {
    case violation([Violation], FindingSite)
    case ended, bounded, retryLimit
  }

  /// Runs every walk.
  ///
  /// - Complexity: O(R × K × T × B) op executions for R runs of at most K steps, T threads and
  ///   B branches per step; memory O(K) per run.
  func run() throws(ModelError) -> SimulationResult {
    let executor = Executor(model: model)
    var master = SplitMix64(state: options.seed)
    var result = SimulationResult()
    var k = options.maxSteps
    if options.strategy == .pct {
      var rng = Xoshiro256StarStar(seed: master.next())
      let calibration = try calibrationWalk(executor, &rng)
      k = max(1, calibration.schedule.count)
      result.estimatedLength = k
    }
    var found: [SimulatedFinding] = []
    for run in 1...max(1, options.runs) {
      let runSeed = master.next()
      var rng = Xoshiro256StarStar(seed: runSeed)
      var pct = options.strategy == .pct ? PCT(actors: model.threads.count + 1, depth: options.depth, length: k, rng: &rng) : nil
      let (schedule, end) = try walk(executor, &rng, pct: &pct)
      result.runs += 1
      result.steps += schedule.count
      result.longestRun = max(result.longestRun, schedule.count)
      switch end {
      case .ended: result.ended += 1
      case .bounded: result.bounded += 1
      case .retryLimit: result.retryLimit += 1
      case .violation(let violations, let site):
        result.violating += 1
        var seen: [Invariant] = []
        for v in violations where !seen.contains(v.invariant) {
          seen.append(v.invariant)
          let finding = Finding(violation: v, schedule: schedule, site: site)
          if let i = found.firstIndex(where: { $0.finding.violation.invariant == v.invariant }) {
            found[i].hits += 1
            if schedule.count < found[i].finding.schedule.count {
              (found[i].finding, found[i].run, found[i].runSeed) = (finding, run, runSeed)
            }
          } else {
            found.append(SimulatedFinding(finding: finding, hits: 1, run: run, runSeed: runSeed))
          }
        }
      }
    }
    result.findings = found.sorted { $0.finding.violation.invariant < $1.finding.violation.invariant }
    return result
  }

  /// One walk from the initial state; `pct` is nil for the uniform strategy.
  func walk(_ executor: Executor, _ rng: inout Xoshiro256StarStar, pct: inout PCT?) throws(ModelError) -> (schedule: [Choice], end: RunEnd) {
    var s = model.initial
    var schedule: [Choice] = []
    while true {
      if s.allEnded {
        if s.threads.contains(where: { $0.outcome == .retryLimit }) { return (schedule, .retryLimit) }
        let violations = executor.quiescenceViolations(s)
        return (schedule, violations.isEmpty ? .ended : .violation(violations, .quiescence))
      }
      if schedule.count >= options.maxSteps { return (schedule, .bounded) }
      let successors = try executor.successors(of: s)
      if successors.isEmpty {
        guard let v = executor.deadlock(s) else { return (schedule, .ended) }
        return (schedule, .violation([v], .deadlock))
      }
      let pick: Int
      if var scheduler = pct {
        let actors = successors.map { actor($0.1) }
        let chosen = scheduler.highest(among: actors)
        let candidates = actors.indices.filter { actors[$0] == chosen }
        pick = candidates[rng.below(candidates.count)]
        scheduler.stepped(actor: chosen, step: schedule.count + 1)
        pct = scheduler
      } else {
        pick = rng.below(successors.count)
      }
      let (next, choice, stepResult) = successors[pick]
      schedule.append(choice)
      if let v = stepResult.violation { return (schedule, .violation([v], .step)) }
      s = next
    }
  }

  /// A walk with the uniform strategy (PCT's calibration walk).
  private func calibrationWalk(_ executor: Executor, _ rng: inout Xoshiro256StarStar) throws(ModelError) -> (schedule: [Choice], end: RunEnd) {
    var none: PCT? = nil
    return try walk(executor, &rng, pct: &none)
  }

  /// The PCT actor of a choice: the thread index, or the thread count for the grace period.
  func actor(_ c: Choice) -> Int { c.thread == Choice.gracePeriod ? model.threads.count : c.thread }
}

/// PCT's priorities for one run: distinct initial priorities d ... d+n-1 in random order, and
/// d - 1 change points in 1 ... k (fewer when k < d - 1) that lower the priority of the
/// actor taking that step to 1 ... d - 1.
struct PCT: Sendable {
  /// Current priority of each actor (higher runs first).
  var priority: [Int]
  /// `changePoints[i]` is the step whose actor drops to priority i + 1.
  var changePoints: [Int]

  init(actors: Int, depth: Int, length k: Int, rng: inout Xoshiro256StarStar) {
    let order = rng.permutation(actors)
    priority = order.map { depth + $0 }
    var points: [Int] = []
    let wanted = min(depth - 1, k)
    while points.count < wanted {
      let p = 1 + rng.below(k)
      if !points.contains(p) { points.append(p) }
    }
    changePoints = points
  }

  /// The actor with the highest priority among `actors` (which must not be empty).
  func highest(among actors: [Int]) -> Int {
    actors.max { priority[$0] < priority[$1] }!
  }

  /// Applies a change point if step `step` (1-based) is one.
  mutating func stepped(actor: Int, step: Int) {
    if let i = changePoints.firstIndex(of: step) { priority[actor] = i + 1 }
  }
}
