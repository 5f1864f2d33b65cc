import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

@testable import SPFCheck

/// `replay --format swimlane|mermaid|svg|html` of stored counterexamples, compared byte for byte
/// with golden files under `Tests/SPFCheckTests/Golden/`. Set `SPFCHECK_RECORD=1` to re-record
/// them (as swift-argument-parser's `RECORD_SNAPSHOTS`); review the diff before committing.
@Suite struct GoldenRenderingTests {
  static let traces = [
    "counterexamples/rcu-walk-vs-munmap.page-table-leak.json",
    "counterexamples/spf-check-before-ptl-vs-mprotect.stale-commit.json",
    "counterexamples/rcu-reader-vs-mprotect-copy-free-now.use-after-free.json",
    "counterexamples/inv-deadlock-abba-bad.deadlock.json",
  ]

  /// A rendering and the extension of its golden file.
  struct Rendering: Sendable, CustomTestStringConvertible {
    var format: String
    var ext: String
    var testDescription: String { format }
  }

  static let renderings = [
    Rendering(format: "swimlane", ext: "swimlane.txt"), Rendering(format: "mermaid", ext: "mmd"),
    Rendering(format: "svg", ext: "svg"), Rendering(format: "html", ext: "html"),
  ]

  static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

  /// The replay output for `trace` in `format`, fixed width and no colour.
  static func render(_ trace: String, _ format: String) throws -> String {
    let run = try Run.spfcheck(["replay", trace, "--format", format, "--color", "never", "--width", "120"])
    guard run.status == 0 else { throw HelperError("replay failed: \(run)") }
    return run.stdout
  }

  @Test(arguments: traces, renderings)
  func matchesGolden(_ trace: String, _ rendering: Rendering) throws {
    let actual = try Self.render(trace, rendering.format)
    let stem = URL(fileURLWithPath: trace).deletingPathExtension().lastPathComponent
    let golden = Self.goldenFolder.appendingPathComponent("\(stem).\(rendering.ext)")
    if ProcessInfo.processInfo.environment["SPFCHECK_RECORD"] == "1" {
      try FileManager.default.createDirectory(at: Self.goldenFolder, withIntermediateDirectories: true)
      try Data(actual.utf8).write(to: golden)
      return
    }
    let expected = try #require(
      try? String(contentsOf: golden, encoding: .utf8), "missing \(golden.path); run the tests with SPFCHECK_RECORD=1")
    #expect(actual == expected, "\(golden.lastPathComponent) differs; re-record with SPFCHECK_RECORD=1 if the change is intended")
  }

  /// Parses `text` as XML, returning the element names in document order.
  static func parseXML(_ text: String) -> (ok: Bool, elements: [String], error: String) {
    let parser = XMLParser(data: Data(text.utf8))
    let collector = ElementCollector()
    parser.delegate = collector
    let ok = parser.parse()
    return (ok, collector.elements, parser.parserError.map { "\($0)" } ?? "")
  }

  /// The SVG parses as XML, has one step group per step, and highlights exactly the causal slice.
  @Test(arguments: traces)
  func svgIsWellFormedAndMarksTheSlice(_ trace: String) throws {
    let svg = try Self.render(trace, "svg")
    let parsed = Self.parseXML(svg)
    #expect(parsed.ok, "\(parsed.error)")
    #expect(parsed.elements.first == "svg")
    let cx = try Self.counterexample(trace)
    #expect(svg.components(separatedBy: "<g class=\"step").count - 1 == cx.steps.count)
    let groups = svg.components(separatedBy: "<g class=\"step").dropFirst().map { $0.prefix { $0 != "\"" } }
    #expect(groups.filter { $0.contains("slice") }.count == Explanation.causalSlice(cx).count)
    #expect(groups.filter { $0.contains("violation") }.count == (cx.site == .step ? 1 : 0))
    #expect(svg.contains(Markup.escape(cx.invariant.rawValue)))
  }

  /// The HTML parses as XML and embeds one player entry per step, with the state summary.
  @Test(arguments: traces)
  func htmlIsWellFormedWithOneEntryPerStep(_ trace: String) throws {
    let html = try Self.render(trace, "html")
    let parsed = Self.parseXML(html)
    #expect(parsed.ok, "\(parsed.error)")
    #expect(parsed.elements.first == "html")
    #expect(parsed.elements.contains("script") && parsed.elements.contains("input"))
    let cx = try Self.counterexample(trace)
    let start = try #require(html.range(of: "<script type=\"application/json\" id=\"steps\">"))
    let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
    let island = String(html[start.upperBound..<end.lowerBound])
    #expect(!island.contains("<") && !island.contains("&"))
    let data = try JSONParser.parse(Array(island.utf8))
    guard case .array(let steps) = data else {
      Issue.record("the data island is not an array")
      return
    }
    #expect(steps.count == cx.steps.count)
    guard case .array(let state)? = steps.last?["state"] else {
      Issue.record("the last step has no state summary")
      return
    }
    #expect(state.count == cx.objects.count)
    #expect(html.components(separatedBy: "<tr id=\"row").count - 1 == cx.steps.count)
  }

  /// The counterexample of a stored trace, replayed in process.
  static func counterexample(_ trace: String) throws -> Counterexample {
    let path = RepoPaths.absolute(trace)
    let json = try JSONParser.parse(FileIO.read(path))
    let decoded = try Counterexample.decode(JSONNode(json: json, path: "", file: path))
    let model = try ModelLoader.load(path: RepoPaths.absolute(decoded.file))
    let schedule = decoded.schedule.map { entry in
      Choice(thread: entry.thread == "rcu" ? Choice.gracePeriod : model.threads.firstIndex { $0.name == entry.thread }!, branch: entry.branch)
    }
    let replay = try Replayer(model: model, file: path).run(schedule)
    let v = try #require(replay.violations.first { $0.invariant == decoded.invariant })
    return Counterexample(model: model, modelFile: decoded.file, schedule: schedule, replay: replay, violation: v)
  }
}

/// Collects element names for the XML well-formedness tests.
final class ElementCollector: NSObject, XMLParserDelegate {
  var elements: [String] = []

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    elements.append(elementName)
  }
}
