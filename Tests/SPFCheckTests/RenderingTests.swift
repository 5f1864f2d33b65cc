import Foundation
import Testing

@testable import SPFCheck

/// `replay --format`: JSON regenerates the stored counterexample; Mermaid is a sequence diagram.
@Suite struct RenderingTests {
  static let traces = [
    "counterexamples/rcu-walk-vs-munmap.page-table-leak.json",
    "counterexamples/spf-check-before-ptl-vs-mprotect.stale-commit.json",
    "counterexamples/rcu-reader-vs-mprotect-inplace.torn-read.json",
  ]

  /// Replaying with --format json reproduces the stored file byte for byte.
  @Test(arguments: traces)
  func jsonFormatRegeneratesTheStoredFile(_ trace: String) throws {
    let run = try Run.spfcheck(["replay", trace, "--format", "json"])
    #expect(run.status == 0, "\(run)")
    let stored = try String(contentsOfFile: RepoPaths.absolute(trace), encoding: .utf8)
    #expect(run.stdout == stored)
  }

  /// Mermaid output declares each thread once, has one note per step, and ends with the violation.
  @Test(arguments: traces)
  func mermaidIsASequenceDiagram(_ trace: String) throws {
    let run = try Run.spfcheck(["replay", trace, "--format", "mermaid"])
    #expect(run.status == 0, "\(run)")
    let lines = run.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "sequenceDiagram")
    let stored = try JSONParser.parse(FileIO.read(RepoPaths.absolute(trace)))
    guard case .int(let length)? = stored["length"], case .string(let invariant)? = stored["violation"]?["invariant"] else {
      Issue.record("stored trace lacks length or invariant")
      return
    }
    #expect(lines.filter { $0.hasPrefix("  participant ") }.count >= 2)
    let stepNotes = lines.filter { line in
      guard line.hasPrefix("  Note over a") else { return false }
      let id = line.dropFirst("  Note over a".count).prefix { $0 != ":" }
      return !id.isEmpty && id.allSatisfy(\.isNumber)
    }
    #expect(stepNotes.count == length)
    #expect(lines.last?.contains(invariant) == true)
    #expect(!run.stdout.contains("table#1 "), "'#' must be escaped for Mermaid")
  }

  @Test func unknownReplayFormatIsAUsageError() {
    #expect(throws: UsageError.self) {
      _ = try CommandLineOptions.parse(["replay", "t.json", "--format", "png"])
    }
  }
}
