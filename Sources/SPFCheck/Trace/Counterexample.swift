/// A replayable counterexample: the model it belongs to, the violation, the
/// schedule of choices from the initial state and a narration of every step.
///
/// Format `spfcheck-counterexample/1`, documented in docs/counterexample-format.md.
struct Counterexample: Sendable {
  static let format = "spfcheck-counterexample/1"

  var modelName: String
  var modelFile: String
  var modelHash: String
  var invariant: Invariant
  var message: String
  var thread: String?
  var site: FindingSite
  var objects: [String]
  var schedule: [Choice]
  var steps: [ReplayStep]
  /// Switches away from a thread that could still step (the measure minimised first).
  var preemptions: Int

  /// Number of switches from one actor to another along the schedule.
  var contextSwitches: Int {
    zip(schedule, schedule.dropFirst()).filter { $0.thread != $1.thread }.count
  }

  /// The JSON document, with sorted keys: the same counterexample always gives the same bytes.
  func json(model: CompiledModel) -> JSON {
    func actor(_ c: Choice) -> String { c.thread == Choice.gracePeriod ? "rcu" : model.threads[c.thread].name }
    let scheduleJSON: [JSON] = schedule.map { c in
      var members: [(key: String, value: JSON)] = [("thread", .string(actor(c)))]
      if c.branch != 0 { members.append(("branch", .int(c.branch))) }
      return .object(members)
    }
    let stepsJSON: [JSON] = steps.map { step in
      var members: [(key: String, value: JSON)] = [
        ("step", .int(step.index)), ("thread", .string(step.thread)), ("op", .string(step.op)),
        ("effect", .string(step.effect)),
      ]
      if !step.summary.isEmpty { members.append(("args", .string(step.summary))) }
      if !step.path.isEmpty { members.append(("at", .string(step.path))) }
      if step.branch != 0 { members.append(("branch", .int(step.branch))) }
      return .object(members)
    }
    var violation: [(key: String, value: JSON)] = [
      ("invariant", .string(invariant.rawValue)), ("message", .string(message)),
      ("detectedAt", .string(site.rawValue)), ("step", .int(schedule.count)),
      ("objects", .array(objects.map { .string($0) })),
    ]
    violation.append(("thread", thread.map { .string($0) } ?? .null))
    return .object([
      ("format", .string(Self.format)),
      ("model", .object([("name", .string(modelName)), ("file", .string(modelFile)), ("sha256", .string(modelHash))])),
      ("violation", .object(violation)),
      ("length", .int(schedule.count)),
      ("contextSwitches", .int(contextSwitches)),
      ("explanation", .string(Explanation.text(self))),
      ("preemptions", .int(preemptions)),
      ("schedule", .array(scheduleJSON)),
      ("steps", .array(stepsJSON)),
    ])
  }

  /// Decodes the parts of a counterexample file that replay needs.
  static func decode(_ root: JSONNode) throws(TraceError) -> (name: String, file: String, hash: String, invariant: Invariant, schedule: [(thread: String, branch: Int)]) {
    func bad(_ node: JSONNode, _ message: String) -> TraceError {
      .invalid(file: node.file, path: node.path.isEmpty ? "(top level)" : node.path, message: message)
    }
    func string(_ node: JSONNode?, _ key: String, in parent: JSONNode) throws(TraceError) -> String {
      guard let n = node else { throw bad(parent, "missing \"\(key)\"") }
      guard case .string(let s) = n.json else { throw bad(n, "expected a string, found \(n.json.kindName)") }
      return s
    }
    let format = try string(root.child("format"), "format", in: root)
    guard format == Self.format else { throw bad(root.child("format")!, "expected \"\(Self.format)\", found \"\(format)\"") }
    guard let model = root.child("model") else { throw bad(root, "missing \"model\"") }
    let name = try string(model.child("name"), "name", in: model)
    let file = try string(model.child("file"), "file", in: model)
    let hash = try string(model.child("sha256"), "sha256", in: model)
    guard let violation = root.child("violation") else { throw bad(root, "missing \"violation\"") }
    let invName = try string(violation.child("invariant"), "invariant", in: violation)
    guard let invariant = Invariant(rawValue: invName) else { throw bad(violation.child("invariant")!, "unknown invariant \"\(invName)\"") }
    guard let sched = root.child("schedule"), case .array(let items) = sched.json else {
      throw bad(root, "missing \"schedule\" (a list of steps)")
    }
    var out: [(thread: String, branch: Int)] = []
    for (i, item) in items.enumerated() {
      let node = JSONNode(json: item, path: "schedule[\(i)]", file: root.file)
      let thread = try string(node.child("thread"), "thread", in: node)
      var branch = 0
      if let b = node.child("branch") {
        guard case .int(let v) = b.json, v >= 0 else { throw bad(b, "expected a branch number") }
        branch = v
      }
      out.append((thread, branch))
    }
    return (name, file, hash, invariant, out)
  }
}

extension Counterexample {
  /// The counterexample for `violation`, observed when `replay` ran `schedule` against `model`.
  init(model: CompiledModel, modelFile: String, schedule: [Choice], replay: ReplayOutcome, violation v: Violation) {
    self.init(
      modelName: model.name, modelFile: modelFile, modelHash: model.contentHash, invariant: v.invariant,
      message: v.message, thread: v.thread.map { model.threads[$0].name }, site: replay.site ?? .step,
      objects: v.objects, schedule: schedule, steps: replay.steps, preemptions: replay.preemptions)
  }
}
