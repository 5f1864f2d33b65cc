import Foundation

/// One row of `spfcheck check`.
struct CheckRow: Sendable {
  var name: String
  var file: String
  var expected: String
  var got: String
  var states: Int
  var seconds: Double
  var passed: Bool
  var problem: String
}

extension Driver {
  /// `spfcheck check PATH...`: every runnable model must match its `expect`, and every
  /// counterexample stored under the counterexamples folder must still replay.
  static func check(_ c: CheckCommand) -> RunResult {
    var rows: [CheckRow] = []
    var files: [String] = []
    for path in c.paths {
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        return RunResult(status: .usage, stderr: "spfcheck: \(path): no such file or folder\n")
      }
      if isDir.boolValue {
        let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
          .filter { $0.hasSuffix(".json") }.sorted().map { "\(path.hasSuffix("/") ? String(path.dropLast()) : path)/\($0)" }
        files.append(contentsOf: found.filter { ModelLoader.isRunnableModel(path: $0) })
      } else {
        files.append(path)
      }
    }
    for file in files { rows.append(checkModel(file, counterexamples: c.counterexamples)) }
    rows.append(contentsOf: checkCounterexamples(c.counterexamples))
    let failed = rows.filter { !$0.passed }.count
    let passed = rows.count - failed
    var out: String
    if c.json {
      out = JSON.object([
        ("results", .array(rows.map { r in
          .object([
            ("name", .string(r.name)), ("file", .string(r.file)), ("expected", .string(r.expected)),
            ("got", .string(r.got)), ("states", .int(r.states)), ("passed", .bool(r.passed)),
            ("problem", .string(r.problem)),
          ])
        })),
        ("passed", .int(passed)), ("failed", .int(failed)),
      ]).serialized() + "\n"
    } else {
      out = renderTable(rows)
      out += "\(passed) passed, \(failed) failed\n"
    }
    if let junit = c.junit {
      do { try FileIO.writeAtomically(junitXML(rows), to: junit) } catch { return failure(error) }
    }
    return RunResult(status: failed == 0 ? .ok : .mismatch, stdout: out)
  }

  static func checkModel(_ file: String, counterexamples: String) -> CheckRow {
    var row = CheckRow(name: file, file: file, expected: "?", got: "?", states: 0, seconds: 0, passed: false, problem: "")
    do {
      let model = try ModelLoader.load(path: file)
      row.name = model.name
      guard let expect = model.expect else {
        row.problem = "the model declares no \"expect\""
        return row
      }
      row.expected = expect.verdict.rawValue + (expect.violations.isEmpty ? "" : " " + expect.violations.joined(separator: ","))
      let result = try Explorer(model: model, options: ExploreOptions()).run()
      row.states = result.stats.states
      row.seconds = result.stats.seconds
      let found = Array(Set(result.findings.map(\.violation.invariant.rawValue))).sorted()
      row.got = result.verdict.name + (found.isEmpty ? "" : " " + found.joined(separator: ","))
      switch (expect.verdict, result.verdict) {
      case (.verified, .verified):
        row.passed = true
      case (.violation, .violation):
        let missing = expect.violations.filter { !found.contains($0) }
        let extra = found.filter { !expect.violations.contains($0) && !expect.allowed.contains($0) }
        var problems: [String] = []
        if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
        if !extra.isEmpty { problems.append("unexpected \(extra.joined(separator: ", "))") }
        let stored = expect.violations.filter {
          !FileManager.default.fileExists(atPath: "\(counterexamples)/\(model.name).\($0).json")
        }
        if !stored.isEmpty {
          problems.append("no stored counterexample for \(stored.joined(separator: ", ")) (run spfcheck explore \(file))")
        }
        row.passed = problems.isEmpty
        row.problem = problems.joined(separator: "; ")
      default:
        row.problem = "expected \(expect.verdict.rawValue), got \(result.verdict.name)"
      }
    } catch {
      row.got = "error"
      row.problem = failure(error).stderr.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return row
  }

  static func checkCounterexamples(_ folder: String) -> [CheckRow] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    return names.filter { $0.hasSuffix(".json") }.sorted().map { name in
      let path = "\(folder)/\(name)"
      var row = CheckRow(name: "replay \(name)", file: path, expected: "reproduces", got: "?", states: 0, seconds: 0, passed: false, problem: "")
      let result = replay(ReplayCommand(trace: path, model: nil, quiet: true))
      row.passed = result.status == .ok
      row.got = row.passed ? "reproduces" : "fails"
      row.problem = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      return row
    }
  }

  static func renderTable(_ rows: [CheckRow]) -> String {
    let headers = ["model", "expected", "got", "states", "time", ""]
    let cells = rows.map { r in
      [r.name, r.expected, r.got, String(r.states), String(format: "%.2fs", r.seconds), r.passed ? "ok" : "FAIL"]
    }
    var widths = headers.map(\.count)
    for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ row: [String]) -> String {
      row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
        .trimmingCharacters(in: .whitespaces) + "\n"
    }
    var out = line(headers)
    for (i, row) in cells.enumerated() {
      out += line(row)
      if !rows[i].passed && !rows[i].problem.isEmpty { out += "    \(rows[i].problem)\n" }
    }
    return out
  }

  static func junitXML(_ rows: [CheckRow]) -> String {
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
    let failures = rows.filter { !$0.passed }.count
    var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    xml += "<testsuite name=\"spfcheck\" tests=\"\(rows.count)\" failures=\"\(failures)\">\n"
    for r in rows {
      xml += "  <testcase classname=\"spfcheck\" name=\"\(esc(r.name))\" time=\"\(String(format: "%.3f", r.seconds))\""
      if r.passed {
        xml += "/>\n"
      } else {
        xml += ">\n    <failure message=\"\(esc("expected \(r.expected), got \(r.got)"))\">\(esc(r.problem))</failure>\n  </testcase>\n"
      }
    }
    return xml + "</testsuite>\n"
  }
}
