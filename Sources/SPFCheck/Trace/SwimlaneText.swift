/// Renders a ``Swimlane`` as a terminal table: a marker column (`*` for steps in the causal
/// slice), the step number, one column per lane and the step's effect on the right.
///
/// Column widths depend only on the counterexample and `width`, never on the terminal:
/// cells longer than their column end in an ellipsis (never wrapped), and the rows fit in
/// `width` characters whenever `width` leaves every column its minimum.
enum SwimlaneText {
  /// The widest a lane column grows.
  static let laneCap = 32
  /// The narrowest a lane column shrinks (or its content, if shorter).
  static let laneMin = 6
  /// The narrowest the effect column shrinks (or its content, if shorter).
  static let effectMin = 24

  /// ANSI sequences used when colour is on.
  enum ANSI {
    static let bold = "\u{1B}[1m"
    static let red = "\u{1B}[31m"
    static let yellow = "\u{1B}[33m"
    static let dim = "\u{1B}[2m"
    static let reset = "\u{1B}[0m"
  }

  /// The column widths for `lane` at a total width of `width`: the step-number column, each
  /// lane, and the effect column.
  ///
  /// Lanes start at their content width (capped at ``laneCap``); while the row is too wide,
  /// the widest lane (the leftmost of equals) loses one character, down to ``laneMin``.
  static func columns(_ lane: Swimlane, width: Int) -> (step: Int, lanes: [Int], effect: Int) {
    let stepWidth = max(4, String(lane.rows.last?.step.index ?? 0).count)
    var lanes = lane.lanes.enumerated().map { i, name in
      min(laneCap, max(name.count, lane.rows.filter { $0.lane == i }.map(\.cell.count).max() ?? 0))
    }
    let minimum = lanes.map { min($0, laneMin) }
    let effectWanted = max("effect".count, lane.rows.map(\.step.effect.count).max() ?? 0)
    let effectFloor = min(effectWanted, effectMin)
    let fixed = 2 + stepWidth + 3 * (lanes.count + 1)
    let available = width - fixed
    while lanes.reduce(0, +) + effectFloor > available {
      guard let widest = lanes.indices.filter({ lanes[$0] > minimum[$0] }).max(by: { lanes[$0] < lanes[$1] || (lanes[$0] == lanes[$1] && $0 > $1) }) else { break }
      lanes[widest] -= 1
    }
    let effect = min(effectWanted, max(effectFloor, available - lanes.reduce(0, +)))
    return (stepWidth, lanes, effect)
  }

  /// The swimlane table, the legend and the verdict; with `explanation`, the explanation
  /// paragraph too. Prose lines are wrapped at `width`; colour only when `color` is true.
  static func render(_ cx: Counterexample, width: Int, color: Bool, explanation: Bool, indent: String = "") -> String {
    let lane = Swimlane(cx)
    let usable = max(20, width - indent.count)
    let cols = columns(lane, width: usable)
    func pad(_ s: String, _ w: Int) -> String {
      let t = Swimlane.truncate(s, to: w)
      return t + String(repeating: " ", count: max(0, w - t.count))
    }
    func padLeft(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
    func row(marker: String, step: String, cells: [String], effect: String) -> (marker: String, rest: String) {
      var rest = " " + step
      for (cell, w) in zip(cells, cols.lanes) { rest += " | " + pad(cell, w) }
      rest += " | " + Swimlane.truncate(effect, to: cols.effect)
      while rest.hasSuffix(" ") { rest.removeLast() }
      return (marker, rest)
    }
    func emit(_ r: (marker: String, rest: String), style: String, markerStyle: String = "") -> String {
      guard color else { return indent + r.marker + r.rest + "\n" }
      let marker = markerStyle.isEmpty || r.marker == " " ? r.marker : markerStyle + r.marker + ANSI.reset
      let rest = style.isEmpty ? r.rest : style + r.rest + ANSI.reset
      return indent + marker + rest + "\n"
    }

    var out = emit(row(marker: " ", step: padLeft("step", cols.step), cells: lane.lanes, effect: "effect"), style: ANSI.bold)
    var rule = String(repeating: "-", count: 2 + cols.step)
    for w in cols.lanes { rule += "-+-" + String(repeating: "-", count: w) }
    rule += "-+-" + String(repeating: "-", count: cols.effect)
    out += emit((" ", String(rule.dropFirst())), style: color ? ANSI.dim : "")
    for r in lane.rows {
      var cells = lane.lanes.map { _ in "" }
      cells[r.lane] = r.cell
      let line = row(marker: r.inSlice ? "*" : " ", step: padLeft(String(r.step.index), cols.step), cells: cells, effect: r.step.effect)
      let style = r.isViolating ? ANSI.bold + ANSI.red : (r.inSlice ? ANSI.bold : "")
      out += emit(line, style: style, markerStyle: ANSI.yellow)
    }
    var prose: [String] = []
    if !cx.objects.isEmpty {
      prose.append("* = step in the causal slice (its effect names \(cx.objects.joined(separator: " or ")))")
    }
    prose.append(lane.verdictLine)
    if explanation { prose.append("explanation: " + Explanation.text(cx)) }
    for (i, paragraph) in prose.enumerated() {
      let verdict = i == prose.count - (explanation ? 2 : 1)
      for line in Swimlane.wrap(paragraph, width: usable) {
        out += indent + (color && verdict ? ANSI.bold + ANSI.red + line + ANSI.reset : line) + "\n"
      }
    }
    return out
  }
}
