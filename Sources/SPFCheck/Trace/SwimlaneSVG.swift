/// Renders a ``Swimlane`` as a standalone SVG picture: one vertical lane per actor, one box
/// per step in its lane (top to bottom in schedule order, joined by arrows), causal-slice
/// steps highlighted, the violating step in red and the verdict in a box at the bottom.
///
/// Pure text: coordinates are integers computed from the counterexample alone, every text is
/// XML-escaped, and the only font is the generic `monospace` family (no external assets).
/// Each box carries a `<title>` with the untruncated step, shown as a tooltip by browsers.
enum SwimlaneSVG {
  /// Geometry, in SVG user units (pixels).
  static let margin = 16, gutter = 44, laneWidth = 250, headerHeight = 36
  static let rowHeight = 50, boxHeight = 40, boxInset = 8
  /// Characters of 11-unit monospace text that fit in a box (about 6.6 units each).
  static let boxChars = 35
  /// Characters of verdict text per line across the picture.
  static func verdictChars(_ width: Int) -> Int { max(20, (width - 2 * margin - 16) * 10 / 66) }

  /// The SVG document for `cx`, ending with a newline.
  static func render(_ cx: Counterexample) -> String {
    let lane = Swimlane(cx)
    let e = Markup.escape
    let width = 2 * margin + gutter + max(1, lane.lanes.count) * laneWidth
    let top = margin + headerHeight + 12
    let rowsBottom = top + lane.rows.count * rowHeight
    var prose = [lane.verdictLine]
    if !cx.objects.isEmpty {
      prose.append("highlighted: steps whose effect names \(cx.objects.joined(separator: " or ")) (the causal slice)")
    }
    let verdictLines = prose.flatMap { Swimlane.wrap($0, width: verdictChars(width)) }
    let verdictHeight = 16 + verdictLines.count * 16
    let height = rowsBottom + 12 + verdictHeight + margin
    func laneX(_ i: Int) -> Int { margin + gutter + i * laneWidth }

    var out = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="monospace" font-size="11">
      <title>\(e("\(cx.modelName): \(cx.invariant.rawValue)"))</title>
      <defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555555"/></marker></defs>
      <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>

      """
    for (i, name) in lane.lanes.enumerated() {
      let x = laneX(i)
      let fill = name == Swimlane.gracePeriodLane ? "#e6f0fa" : "#eeeeee"
      out += "<rect x=\"\(x + 4)\" y=\"\(margin)\" width=\"\(laneWidth - 8)\" height=\"\(headerHeight)\" rx=\"4\" fill=\"\(fill)\" stroke=\"#888888\"/>\n"
      out += "<text x=\"\(x + laneWidth / 2)\" y=\"\(margin + headerHeight / 2 + 4)\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"13\">\(e(Swimlane.truncate(Swimlane.title(ofLane: name), to: 30)))</text>\n"
      out += "<line x1=\"\(x + laneWidth / 2)\" y1=\"\(margin + headerHeight)\" x2=\"\(x + laneWidth / 2)\" y2=\"\(rowsBottom)\" stroke=\"#cccccc\" stroke-dasharray=\"4 4\"/>\n"
    }
    // Order: an arrow from each box to the next one.
    var previous: (x: Int, y: Int)?
    for (i, r) in lane.rows.enumerated() {
      let mid = laneX(r.lane) + laneWidth / 2
      let y = top + i * rowHeight
      if let p = previous {
        out += "<line x1=\"\(p.x)\" y1=\"\(p.y)\" x2=\"\(mid)\" y2=\"\(y - 1)\" stroke=\"#555555\" marker-end=\"url(#arrow)\"/>\n"
      }
      previous = (mid, y + boxHeight)
    }
    for (i, r) in lane.rows.enumerated() {
      let x = laneX(r.lane) + boxInset
      let y = top + i * rowHeight
      let (fill, stroke, strokeWidth) =
        r.isViolating ? ("#fde2e2", "#c53030", 2) : (r.inSlice ? ("#fff3c4", "#b7791f", 2) : ("#f7f7f7", "#999999", 1))
      let cls = ["step"] + (r.inSlice ? ["slice"] : []) + (r.isViolating ? ["violation"] : [])
      out += "<g class=\"\(cls.joined(separator: " "))\" id=\"step\(r.step.index)\">"
      out += "<title>\(e("step \(r.step.index) \(r.step.thread): \(r.cell)\n\(r.step.effect)"))</title>"
      out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(laneWidth - 2 * boxInset)\" height=\"\(boxHeight)\" rx=\"4\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(strokeWidth)\"/>"
      out += "<text x=\"\(x + 6)\" y=\"\(y + 16)\" font-weight=\"bold\">\(e(Swimlane.truncate(r.cell, to: boxChars)))</text>"
      out += "<text x=\"\(x + 6)\" y=\"\(y + 32)\" fill=\"#444444\">\(e(Swimlane.truncate(r.step.effect, to: boxChars)))</text>"
      out += "</g>\n"
      let mark = r.inSlice ? "*" : ""
      out += "<text x=\"\(margin + gutter - 8)\" y=\"\(y + 24)\" text-anchor=\"end\" fill=\"#666666\">\(mark)\(r.step.index)</text>\n"
    }
    let boxY = rowsBottom + 12
    out += "<g class=\"verdict\"><rect x=\"\(margin)\" y=\"\(boxY)\" width=\"\(width - 2 * margin)\" height=\"\(verdictHeight)\" rx=\"4\" fill=\"#fde2e2\" stroke=\"#c53030\"/>"
    for (i, line) in verdictLines.enumerated() {
      out += "<text x=\"\(margin + 8)\" y=\"\(boxY + 20 + i * 16)\"\(i == 0 ? " font-weight=\"bold\"" : "")>\(e(line))</text>"
    }
    out += "</g>\n</svg>\n"
    return out
  }
}
