/// Renders a counterexample as one self-contained HTML page: the explanation, a step-through
/// player (slider, previous/next buttons, arrow keys) showing per step what ran, its effect and
/// the latest effect on each object of the violation, and the swimlane as a table.
///
/// The page is well-formed XHTML (every element closed, text escaped, the script inside a
/// commented CDATA section), so it parses as XML as well as HTML. It has no external assets.
/// The per-step texts are computed here and embedded as a JSON data island whose `<`, `>` and
/// `&` are written as `\u` escapes.
enum SwimlaneHTML {
  /// The HTML document for `cx`, ending with a newline.
  static func render(_ cx: Counterexample) -> String {
    let lane = Swimlane(cx)
    let e = Markup.escape
    let title = "\(cx.modelName): \(cx.invariant.rawValue)"
    var out = """
      <!DOCTYPE html>
      <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
      <head>
      <meta charset="utf-8"/>
      <meta name="generator" content="spfcheck"/>
      <title>\(e(title))</title>
      <style>
      \(css)
      </style>
      </head>
      <body>
      <h1>\(e(title))</h1>
      <p class="meta">\(e("model \(cx.modelFile) · \(cx.schedule.count) steps, \(cx.preemptions) preemptions, \(cx.contextSwitches) context switches"))</p>
      <p class="explanation">\(e(Explanation.text(cx)))</p>
      <div class="player">
      <div class="controls"><button type="button" id="prev">◀ prev</button> <input type="range" id="slider" min="1" max="\(max(1, lane.rows.count))" value="1"/> <button type="button" id="next">next ▶</button> <span id="position"></span></div>
      <div id="current"></div>
      <table id="state"><tbody id="state-rows"><tr><td></td></tr></tbody></table>
      </div>
      <table class="swimlane">
      <thead><tr><th>step</th>
      """
    for name in lane.lanes { out += "<th>\(e(Swimlane.title(ofLane: name)))</th>" }
    out += "<th>effect</th></tr></thead>\n<tbody>\n"
    for r in lane.rows {
      let cls = ["step"] + (r.inSlice ? ["slice"] : []) + (r.isViolating ? ["violation"] : [])
      out += "<tr id=\"row\(r.step.index)\" class=\"\(cls.joined(separator: " "))\" data-step=\"\(r.step.index)\">"
      out += "<td class=\"n\">\(r.inSlice ? "*" : "")\(r.step.index)</td>"
      for i in lane.lanes.indices {
        out += i == r.lane ? "<td class=\"cell\" title=\"\(e(r.step.path))\">\(e(r.cell))</td>" : "<td></td>"
      }
      out += "<td class=\"effect\">\(e(r.step.effect))</td></tr>\n"
    }
    out += "</tbody>\n</table>\n"
    out += "<p class=\"verdict\">\(e(lane.verdictLine))</p>\n"
    if !cx.objects.isEmpty {
      out += "<p class=\"legend\">\(e("* and yellow rows: the causal slice, the steps whose effect names \(cx.objects.joined(separator: " or ")).")) Click a row or use the slider, the buttons or the arrow keys to step through.</p>\n"
    }
    out += "<script type=\"application/json\" id=\"steps\">\(Markup.scriptSafeJSON(stepData(lane)))</script>\n"
    out += "<script>//<![CDATA[\n\(script)\n//]]></script>\n</body>\n</html>\n"
    return out
  }

  /// The per-step texts the player shows, as JSON: what ran, its effect and the state summary.
  static func stepData(_ lane: Swimlane) -> JSON {
    let states = lane.stateSummaries()
    return .array(zip(lane.rows, states).map { r, state in
      .object([
        ("step", .int(r.step.index)), ("thread", .string(r.step.thread)), ("text", .string(r.cell)),
        ("at", .string(r.step.path)), ("effect", .string(r.step.effect)), ("slice", .bool(r.inSlice)),
        ("state", .array(state.map { .object([("object", .string($0.object)), ("step", .int($0.step)), ("effect", .string($0.effect))]) })),
      ])
    })
  }

  /// The page's style sheet (no characters that need escaping in XML).
  static let css = """
    body { font-family: sans-serif; margin: 1.5em; color: #222222; }
    h1 { font-size: 1.3em; }
    .meta { color: #555555; }
    .explanation { max-width: 60em; line-height: 1.4; }
    .player { border: 1px solid #cccccc; padding: 0.6em; margin: 1em 0; max-width: 70em; }
    #slider { width: 24em; vertical-align: middle; }
    #current { font-family: monospace; margin: 0.5em 0; }
    #current .effect { color: #444444; }
    #state th { text-align: left; padding-right: 1em; font-family: monospace; }
    #state td { font-family: monospace; }
    table.swimlane { border-collapse: collapse; font-family: monospace; font-size: 0.9em; }
    table.swimlane th, table.swimlane td { border: 1px solid #dddddd; padding: 0.2em 0.5em; vertical-align: top; }
    table.swimlane th { background: #eeeeee; }
    table.swimlane td.cell { background: #f4f4f4; white-space: nowrap; }
    tr.step { cursor: pointer; }
    tr.slice td.cell, tr.slice td.n { background: #fff3c4; font-weight: bold; }
    tr.violation td { background: #fde2e2; color: #9b1c1c; font-weight: bold; }
    tr.current td { outline: 2px solid #3b73b9; }
    tr.future { opacity: 0.45; }
    .verdict { color: #9b1c1c; font-weight: bold; }
    .legend { color: #555555; }
    """

  /// The player: reads the data island and shows one step at a time.
  static let script = """
    (function () {
      var steps = JSON.parse(document.getElementById('steps').textContent);
      var slider = document.getElementById('slider');
      function el(tag, cls, text) {
        var node = document.createElement(tag);
        if (cls) { node.className = cls; }
        node.textContent = text;
        return node;
      }
      function show(i) {
        i = Math.max(1, Math.min(steps.length, i));
        slider.value = String(i);
        var s = steps[i - 1];
        document.getElementById('position').textContent = 'step ' + i + ' of ' + steps.length;
        var current = document.getElementById('current');
        current.textContent = '';
        current.appendChild(el('div', 'what', s.step + '  ' + s.thread + ': ' + s.text + (s.at ? '   (' + s.at + ')' : '')));
        current.appendChild(el('div', 'effect', '-> ' + s.effect));
        var rows = document.getElementById('state-rows');
        rows.textContent = '';
        s.state.forEach(function (o) {
          var tr = document.createElement('tr');
          tr.appendChild(el('th', '', o.object));
          tr.appendChild(el('td', '', o.step ? 'step ' + o.step + ': ' + o.effect : o.effect));
          rows.appendChild(tr);
        });
        document.querySelectorAll('tr.step').forEach(function (row) {
          var n = Number(row.getAttribute('data-step'));
          row.classList.toggle('current', n === i);
          row.classList.toggle('future', n > i);
        });
      }
      document.getElementById('prev').addEventListener('click', function () { show(Number(slider.value) - 1); });
      document.getElementById('next').addEventListener('click', function () { show(Number(slider.value) + 1); });
      slider.addEventListener('input', function () { show(Number(slider.value)); });
      document.querySelectorAll('tr.step').forEach(function (row) {
        row.addEventListener('click', function () { show(Number(row.getAttribute('data-step'))); });
      });
      document.addEventListener('keydown', function (ev) {
        if (ev.key === 'ArrowLeft') { show(Number(slider.value) - 1); }
        if (ev.key === 'ArrowRight') { show(Number(slider.value) + 1); }
      });
      show(1);
    })();
    """
}
