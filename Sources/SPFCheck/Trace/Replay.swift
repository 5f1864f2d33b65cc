/// One narrated step of a replay.
struct ReplayStep: Sendable {
  var index: Int
  /// Thread name, or `rcu` for the grace-period environment step.
  var thread: String
  var op: String
  var summary: String
  /// JSON path of the op in its file.
  var path: String
  var branch: Int
  var effect: String
}

/// The outcome of replaying a schedule.
struct ReplayOutcome: Sendable {
  var steps: [ReplayStep]
  /// Violations observed: by the last step, or at the final state (deadlock, quiescence).
  var violations: [Violation]
  var site: FindingSite?
  /// Switches from a thread to another thread while the first could still step (CHESS's
  /// preemptions; forced switches and the grace period do not count).
  var preemptions = 0
}

/// Re-executes a schedule against a model, checking that every step is enabled,
/// and narrates what each step did.
struct Replayer {
  let model: CompiledModel
  /// File named in errors.
  let file: String

  /// The display name of a choice's actor.
  func actor(_ c: Choice) -> String {
    c.thread == Choice.gracePeriod ? "rcu" : model.threads[c.thread].name
  }

  func run(_ schedule: [Choice]) throws -> ReplayOutcome {
    let executor = Executor(model: model, narrate: true)
    var s = model.initial
    var steps: [ReplayStep] = []
    var last = -1
    var preemptions = 0
    for (i, choice) in schedule.enumerated() {
      let n = i + 1
      if choice.thread == Choice.gracePeriod {
        guard executor.isGracePeriodEnabled(s) else {
          throw TraceError.notEnabled(file: file, step: n, message: "no RCU callback is ready for a grace period")
        }
        let r = executor.gracePeriod(&s)
        steps.append(ReplayStep(index: n, thread: "rcu", op: "grace_period", summary: "", path: "", branch: 0, effect: r.effect))
        continue
      }
      guard choice.thread >= 0 && choice.thread < model.threads.count else {
        throw TraceError.notEnabled(file: file, step: n, message: "unknown thread \(choice.thread)")
      }
      let name = model.threads[choice.thread].name
      guard executor.isEnabled(s, choice.thread) else {
        let status = s.threads[choice.thread].outcome == .running ? "is blocked" : "has ended"
        throw TraceError.notEnabled(file: file, step: n, message: "thread \(name) \(status) and cannot step")
      }
      if last >= 0 && choice.thread != last && executor.isEnabled(s, last) { preemptions += 1 }
      last = choice.thread
      let pc = Int(s.threads[choice.thread].pc)
      let site = model.threads[choice.thread].sites[pc]
      let resuming = s.threads[choice.thread].wait != .none
      var next = s
      let r = try executor.step(&next, thread: choice.thread, branch: choice.branch)
      guard choice.branch < r.branches else {
        throw TraceError.notEnabled(file: file, step: n, message: "\(name) \(site.op) has no branch \(choice.branch)")
      }
      steps.append(ReplayStep(
        index: n, thread: name, op: resuming ? "\(site.op) (resumed)" : site.op, summary: site.summary,
        path: site.path, branch: choice.branch, effect: r.effect))
      if let v = r.violation {
        guard n == schedule.count else {
          throw TraceError.diverged(file: file, message: "step \(n) already violates \(v.invariant.rawValue): \(v.message)")
        }
        return ReplayOutcome(steps: steps, violations: [v], site: .step, preemptions: preemptions)
      }
      s = next
    }
    if s.allEnded {
      return ReplayOutcome(steps: steps, violations: executor.quiescenceViolations(s), site: .quiescence, preemptions: preemptions)
    }
    if let v = executor.deadlock(s) {
      return ReplayOutcome(steps: steps, violations: [v], site: .deadlock, preemptions: preemptions)
    }
    return ReplayOutcome(steps: steps, violations: [], site: nil, preemptions: preemptions)
  }
}
