import Foundation
import Testing

@testable import SPFCheck

/// Coverage: ops no explored interleaving reached.
@Suite struct CoverageTests {
  /// An op behind a branch that is never taken is listed; everything else is reached.
  @Test func deliberatelyUnreachableOpIsListed() throws {
    let result = try InlineModel.explore(
      """
      {
        "name": "unreached",
        "globals": { "g": 0 },
        "programs": { "p": [
          { "op": "load", "global": "g", "into": "v" },
          { "op": "if_eq", "reg": "v", "value": 0, "goto": "out" },
          { "op": "store", "global": "g", "value": 7, "note": "never reached: nobody sets g" },
          { "label": "out", "op": "end" }
        ] },
        "threads": [{ "name": "T", "program": "p" }]
      }
      """)
    #expect(result.coverage.total == 4)
    #expect(result.coverage.unreached.map(\.path) == ["programs.p[2]"])
    #expect(result.coverage.unreached.map(\.op) == ["store"])
  }

  /// Every shipped top-level scenario reaches a PTE commit: its fault's main path runs.
  @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: RepoPaths.absolute("models"))
    .filter { $0.hasSuffix(".json") }.sorted())
  func shippedScenariosReachACommit(_ name: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/" + name))
    let result = try Explorer(model: model, options: ExploreOptions()).run()
    let commits = Set(model.threads.flatMap { $0.sites.filter { $0.op == "pte_set" }.map(\.path) })
    let unreached = Set(result.coverage.unreached.filter { $0.op == "pte_set" }.map(\.path))
    #expect(!commits.isEmpty)
    #expect(!commits.subtracting(unreached).isEmpty, "\(name): no pte_set reached")
  }

  /// explore prints the summary, and the list unless --quiet.
  @Test func exploreReportsCoverage() throws {
    let run = try Run.spfcheck(["explore", "models/vma-lock-vs-munmap.json", "--no-write"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout.contains("coverage: "))
    #expect(run.stdout.contains("programs.map-pte[25] return"), "the OOM path is unreached without allocation failures")
  }

  /// --coverage json prints one parseable, timing-free JSON document.
  @Test func coverageJSONIsOneDocument() throws {
    let run = try Run.spfcheck(["explore", "models/vma-lock-vs-munmap.json", "--no-write", "--coverage", "json"])
    #expect(run.status == 0, "\(run)")
    let json = try JSONParser.parse(run.stdout)
    #expect(json["verdict"] == .string("verified"))
    #expect(json["coverage"]?["total"] == .int(70))
    guard case .array(let unreached)? = json["coverage"]?["unreached"] else {
      Issue.record("no unreached list")
      return
    }
    #expect(unreached.contains { $0["path"] == .string("programs.map-pte[25]") })
    let again = try Run.spfcheck(["explore", "models/vma-lock-vs-munmap.json", "--no-write", "--coverage=json"])
    #expect(again.stdout == run.stdout)
  }

  @Test func unknownCoverageFormatIsAUsageError() {
    #expect(throws: UsageError.self) {
      _ = try CommandLineOptions.parse(["explore", "m.json", "--coverage", "xml"])
    }
  }

  /// Progress: silent when stderr is not a terminal; --progress json ends with the final figures.
  @Test func progressIsSilentOffTerminalAndJSONOnRequest() throws {
    let plain = try Run.spfcheck(["explore", "models/vma-lock-vs-munmap.json", "--no-write"])
    #expect(plain.stderr.isEmpty, "\(plain)")
    let json = try Run.spfcheck(["explore", "models/vma-lock-vs-munmap.json", "--no-write", "--progress", "json"])
    #expect(json.status == 0, "\(json)")
    let last = try #require(json.stderr.split(separator: "\n").last)
    let figures = try JSONParser.parse(String(last))
    // The final line carries the same figures as the text report.
    #expect(plain.stdout.contains("states: 373 "), "\(plain.stdout)")
    #expect(figures["states"] == .int(373))
    #expect(figures["queue"] == .int(0))
    let unreduced = try Run.spfcheck(["explore", "models/vma-lock-vs-munmap.json", "--no-write", "--no-por", "--progress", "json"])
    let full = try JSONParser.parse(String(try #require(unreduced.stderr.split(separator: "\n").last)))
    #expect(full["states"] == .int(701))
  }
}
