/// A counterexample arranged as a swimlane: one lane per actor, one row per step.
///
/// The text, SVG and HTML renderings all draw from this one arrangement, so they agree on
/// the lane order, the cell text and which steps belong to the causal slice.
struct Swimlane: Sendable {
  /// One step, placed in its actor's lane.
  struct Row: Sendable {
    /// The narrated step.
    var step: ReplayStep
    /// Index into ``Swimlane/lanes``.
    var lane: Int
    /// True when the step is in the causal slice (its effect names an object of the violation).
    var inSlice: Bool
    /// True for the step that committed the violation (only for violations found by a step).
    var isViolating: Bool

    /// The text drawn in the lane: the op, its operands and a non-zero branch.
    var cell: String {
      var text = step.op
      if !step.summary.isEmpty { text += " " + step.summary }
      if step.branch != 0 { text += " [branch \(step.branch)]" }
      return text
    }
  }

  /// The lane name of the grace-period environment step.
  static let gracePeriodLane = "rcu"

  /// Actor names: the threads that step, in declaration order, then `rcu` if a grace period runs.
  var lanes: [String]
  var rows: [Row]
  /// The counterexample drawn.
  var counterexample: Counterexample

  /// Arranges `cx`. The causal slice comes from ``Explanation/causalSlice(_:)``.
  init(_ cx: Counterexample) {
    counterexample = cx
    // Declaration order is the schedule's thread index; the grace period (-1) goes last.
    var order: [(index: Int, name: String)] = []
    for (choice, step) in zip(cx.schedule, cx.steps) where !order.contains(where: { $0.name == step.thread }) {
      order.append((choice.thread == Choice.gracePeriod ? Int.max : choice.thread, step.thread))
    }
    order.sort { $0.index < $1.index }
    lanes = order.map(\.name)
    let slice = Explanation.causalSlice(cx).map(\.index)
    let last = cx.steps.last?.index
    rows = cx.steps.map { step in
      Row(
        step: step, lane: order.firstIndex { $0.name == step.thread } ?? 0, inSlice: slice.contains(step.index),
        isViolating: cx.site == .step && step.index == last)
    }
  }

  /// The one-line verdict drawn under the lanes.
  var verdictLine: String {
    let cx = counterexample
    switch cx.site {
    case .quiescence: return "at quiescence (all threads ended, RCU callbacks drained): \(cx.invariant.rawValue): \(cx.message)"
    case .deadlock: return "deadlock: \(cx.message)"
    case .step: return "violation \(cx.invariant.rawValue): \(cx.message)"
    }
  }

  /// The display title of a lane (`rcu` is the grace-period environment step).
  static func title(ofLane lane: String) -> String {
    lane == gracePeriodLane ? "rcu (grace period)" : lane
  }

  /// For each step, the shared state as far as the narration shows it: for every object of
  /// the violation, the latest effect up to that step that names it.
  ///
  /// The narration is the only state the counterexample records, so this is a summary of
  /// effects, not a dump of the kernel state.
  func stateSummaries() -> [[(object: String, step: Int, effect: String)]] {
    let cx = counterexample
    var latest: [(object: String, step: Int, effect: String)?] = cx.objects.map { _ in nil }
    var out: [[(object: String, step: Int, effect: String)]] = []
    for step in cx.steps {
      for (i, object) in cx.objects.enumerated() where Explanation.mentions(step.effect, object) {
        latest[i] = (object, step.index, step.effect)
      }
      out.append(zip(cx.objects, latest).map { object, entry in entry ?? (object, 0, "not touched yet") })
    }
    return out
  }

  /// `text` cut to at most `width` characters, ending in an ellipsis when cut.
  static func truncate(_ text: String, to width: Int) -> String {
    guard text.count > width else { return text }
    guard width > 1 else { return width == 1 ? "…" : "" }
    return String(text.prefix(width - 1)) + "…"
  }

  /// `text` broken at spaces into lines of at most `width` characters (a longer word is cut).
  static func wrap(_ text: String, width: Int) -> [String] {
    let limit = max(width, 1)
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      let w = String(word)
      if line.isEmpty {
        line = truncate(w, to: limit)
      } else if line.count + 1 + w.count <= limit {
        line += " " + w
      } else {
        lines.append(line)
        line = truncate(w, to: limit)
      }
    }
    if !line.isEmpty || lines.isEmpty { lines.append(line) }
    return lines
  }
}
