import Foundation
import Testing

@testable import SPFCheck

/// The terminal swimlane: lanes, causal-slice markers, deterministic widths, colour rules.
@Suite struct SwimlaneTests {
  static let leak = "counterexamples/rcu-walk-vs-munmap.page-table-leak.json"

  /// Strips ANSI colour sequences.
  static func plain(_ text: String) -> String {
    text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
  }

  /// A hand-made counterexample: thread 1 (W) steps first, then the grace period, then thread 0 (R).
  static func synthetic() -> Counterexample {
    func step(_ i: Int, _ thread: String, _ op: String, _ effect: String) -> ReplayStep {
      ReplayStep(index: i, thread: thread, op: op, summary: "", path: "", branch: 0, effect: effect)
    }
    return Counterexample(
      modelName: "m", modelFile: "m.json", modelHash: "", invariant: .useAfterFree, message: "R obj_read: reads obj#0 after it was freed",
      thread: "R", site: .step, objects: ["obj#0"],
      schedule: [Choice(thread: 1, branch: 0), Choice(thread: Choice.gracePeriod, branch: 0), Choice(thread: 0, branch: 0)],
      steps: [
        step(1, "W", "obj_free_rcu", "queues obj#0 to be freed after a grace period"), step(2, "rcu", "grace_period", "grace period ends: frees obj#0"),
        step(3, "R", "obj_read", "R obj_read: reads obj#0 after it was freed"),
      ], preemptions: 0)
  }

  @Test func lanesAreThreadsInDeclarationOrderThenRcu() throws {
    let lane = Swimlane(Self.synthetic())
    #expect(lane.lanes == ["R", "W", "rcu"])
    #expect(lane.rows.map(\.lane) == [1, 2, 0])
    #expect(lane.rows.map(\.inSlice) == [true, true, true])
    #expect(lane.rows.map(\.isViolating) == [false, false, true])
    let text = SwimlaneText.render(Self.synthetic(), width: 120, color: false, explanation: false)
    #expect(text.hasPrefix("  step | R        | W            | rcu          | effect\n"), "\(text)")
    let summaries = lane.stateSummaries()
    #expect(summaries.map { $0[0].step } == [1, 2, 3])
  }

  @Test func markerColumnIsTheCausalSlice() throws {
    let cx = try GoldenRenderingTests.counterexample(Self.leak)
    let text = SwimlaneText.render(cx, width: 120, color: false, explanation: false)
    let marked = text.split(separator: "\n").filter { $0.hasPrefix("*") && $0.dropFirst().first == " " && $0.contains("|") }
    let numbers = marked.compactMap { Int($0.dropFirst().split(separator: "|")[0].trimmingCharacters(in: .whitespaces)) }
    #expect(numbers == Explanation.causalSlice(cx).map(\.index))
    #expect(numbers == [5, 9, 20, 24])
  }

  @Test(arguments: [60, 80, 100, 120, 200])
  func everyLineFitsTheWidth(_ width: Int) throws {
    for trace in GoldenRenderingTests.traces {
      let cx = try GoldenRenderingTests.counterexample(trace)
      let text = SwimlaneText.render(cx, width: width, color: false, explanation: true)
      for line in text.split(separator: "\n") { #expect(line.count <= width, "\(trace) at \(width): \(line)") }
      #expect(text == SwimlaneText.render(cx, width: width, color: false, explanation: true))
    }
  }

  @Test func longCellsEndInAnEllipsis() throws {
    let cx = try GoldenRenderingTests.counterexample(Self.leak)
    let text = SwimlaneText.render(cx, width: 80, color: false, explanation: false)
    let row = try #require(text.split(separator: "\n").first { $0.contains(" 24 |") })
    #expect(row.contains("pt_install"))
    #expect(row.contains("…"))
    #expect(!row.contains("nothing will ever walk to it"))
  }

  @Test func colourOnlyAddsEscapes() throws {
    let cx = try GoldenRenderingTests.counterexample(Self.leak)
    let coloured = SwimlaneText.render(cx, width: 120, color: true, explanation: true)
    let plain = SwimlaneText.render(cx, width: 120, color: false, explanation: true)
    #expect(coloured.contains("\u{1B}[1m"))
    #expect(!plain.contains("\u{1B}"))
    #expect(Self.plain(coloured) == plain)
  }

  @Test func replayColorAlwaysColoursAndNeverDoesNot() throws {
    let always = try Run.spfcheck(["replay", Self.leak, "--format", "swimlane", "--color", "always"])
    let never = try Run.spfcheck(["replay", Self.leak, "--format", "swimlane", "--color", "never", "--width", "120"])
    let auto = try Run.spfcheck(["replay", Self.leak, "--format", "swimlane", "--width", "120"])
    #expect(always.status == 0 && never.status == 0 && auto.status == 0, "\(always)\(never)")
    #expect(always.stdout.contains("\u{1B}["))
    #expect(!never.stdout.contains("\u{1B}"))
    #expect(auto.stdout == never.stdout, "stdout is not a terminal: auto means no colour")
  }

  @Test func noColorAndTerminalDecideAuto() {
    func color(_ choice: ColorChoice, tty: Bool, _ env: [String: String]) -> Bool {
      Terminal(color: choice, width: nil, stdoutIsTerminal: tty, environment: env).color
    }
    #expect(color(.auto, tty: true, [:]))
    #expect(color(.auto, tty: true, ["NO_COLOR": ""]))
    #expect(!color(.auto, tty: true, ["NO_COLOR": "1"]))
    #expect(!color(.auto, tty: false, [:]))
    #expect(color(.always, tty: false, ["NO_COLOR": "1"]))
    #expect(!color(.never, tty: true, [:]))
  }

  @Test func widthComesFromTheFlagThenColumnsThen120() {
    func width(_ flag: Int?, _ env: [String: String]) -> Int {
      Terminal(color: .never, width: flag, stdoutIsTerminal: false, environment: env).width
    }
    #expect(width(nil, [:]) == 120)
    #expect(width(nil, ["COLUMNS": "90"]) == 90)
    #expect(width(nil, ["COLUMNS": "wide"]) == 120)
    #expect(width(nil, ["COLUMNS": "0"]) == 120)
    #expect(width(70, ["COLUMNS": "90"]) == 70)
  }

  @Test func exploreEndsWithASwimlanePerCounterexample() throws {
    let out = try TempDir()
    let run = try Run.spfcheck(["explore", "models/rcu-walk-vs-munmap.json", "--out", out.path, "--width", "100"])
    #expect(run.status == 1, "\(run)")
    let headers = run.stdoutLines.filter { $0.hasPrefix("swimlane ") }
    #expect(headers.count == out.files().count && headers.count == 3, "\(run)")
    #expect(headers.contains("swimlane page-table-leak: \(out.path)/rcu-walk-vs-munmap.page-table-leak.json"))
    let quiet = try Run.spfcheck(["explore", "models/rcu-walk-vs-munmap.json", "--out", out.path, "--quiet"])
    #expect(!quiet.stdout.contains("swimlane "), "\(quiet)")
  }

  @Test func truncateAndWrap() {
    #expect(Swimlane.truncate("abcdef", to: 4) == "abc…")
    #expect(Swimlane.truncate("abcd", to: 4) == "abcd")
    #expect(Swimlane.wrap("aa bb cc", width: 5) == ["aa bb", "cc"])
    #expect(Swimlane.wrap("abcdefgh", width: 4) == ["abc…"])
  }

  @Test func markupEscapesTheFiveCharacters() {
    #expect(Markup.escape(#"a<b>&"c'"#) == "a&lt;b&gt;&amp;&quot;c&#39;")
    #expect(Markup.scriptSafeJSON(.string("</script>&")) == #""\u003c/script\u003e\u0026""#)
  }
}
