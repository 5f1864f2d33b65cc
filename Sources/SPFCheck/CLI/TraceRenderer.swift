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
}
