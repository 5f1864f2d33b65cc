/// Renders a counterexample as text: one line per step, the thread in its own column.
enum TraceRenderer {
  static func text(_ cx: Counterexample, indent: String) -> String {
    let threads = cx.steps.map(\.thread)
    let width = max(6, threads.map(\.count).max() ?? 0)
    var out = ""
    for step in cx.steps {
      let n = String(step.index)
      let number = String(repeating: " ", count: max(0, 3 - n.count)) + n
      let thread = step.thread + String(repeating: " ", count: width - step.thread.count)
      var op = step.op
      if !step.summary.isEmpty { op += " " + step.summary }
      out += "\(indent)\(number)  \(thread)  \(op)\n"
      if !step.effect.isEmpty { out += "\(indent)     \(String(repeating: " ", count: width))    -> \(step.effect)\n" }
    }
    switch cx.site {
    case .quiescence: out += "\(indent)at quiescence (all threads ended, RCU callbacks drained): \(cx.message)\n"
    case .deadlock: out += "\(indent)deadlock: \(cx.message)\n"
    case .step: out += "\(indent)violation \(cx.invariant.rawValue): \(cx.message)\n"
    }
    out += "\(indent)explanation: \(Explanation.text(cx))\n"
    return out
  }

  /// A Mermaid `sequenceDiagram`: one participant per actor, one note per step, the
  /// violation as a note across every participant. Renders in GitHub and GitLab markdown.
  static func mermaid(_ cx: Counterexample) -> String {
    var actors: [String] = []
    for step in cx.steps where !actors.contains(step.thread) { actors.append(step.thread) }
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "#", with: "#35;").replacingOccurrences(of: ";", with: "#59;")
        .replacingOccurrences(of: "#35#59;", with: "#35;")
        .replacingOccurrences(of: "<", with: "#lt;").replacingOccurrences(of: ">", with: "#gt;")
    }
    func id(_ actor: String) -> String { "a" + String(actors.firstIndex(of: actor)!) }
    var out = "sequenceDiagram\n"
    for actor in actors {
      out += "  participant \(id(actor)) as \(actor == "rcu" ? "RCU grace period" : esc(actor))\n"
    }
    for step in cx.steps {
      var op = step.op
      if !step.summary.isEmpty { op += " " + step.summary }
      out += "  Note over \(id(step.thread)): \(step.index) \(esc(op))<br/>\(esc(step.effect))\n"
    }
    let span = actors.count > 1 ? "\(id(actors.first!)),\(id(actors.last!))" : id(actors.first ?? "")
    if !actors.isEmpty { out += "  Note over \(span): \(esc(cx.invariant.rawValue)): \(esc(cx.message))\n" }
    return out
  }
}
