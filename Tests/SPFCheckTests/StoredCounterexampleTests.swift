import Foundation
import Testing

@testable import SPFCheck

/// Every counterexample stored under counterexamples/ still replays against its model (run from the repository root).
@Suite struct StoredCounterexampleTests {
  static let stored: [String] = RepoPaths.storedCounterexamples()

  @Test func theRcuWalkCounterexamplesAreStored() {
    #expect(Self.stored.contains("counterexamples/rcu-walk-vs-munmap.page-table-leak.json"))
  }

  /// The binary runs with the repository root as its working directory, because the stored
  /// model path (`model.file`) is relative to it.
  @Test(arguments: stored)
  func replaysAndExitsZero(_ relative: String) throws {
    let json = try JSONParser.parse(FileIO.read(RepoPaths.absolute(relative)))
    guard case .string(let invariant)? = json["violation"]?["invariant"],
      case .string(let modelFile)? = json["model"]?["file"]
    else {
      Issue.record("\(relative) lacks violation.invariant or model.file")
      return
    }
    #expect(relative.hasSuffix(".\(invariant).json") || relative.contains(".\(invariant)."), "file name does not name \(invariant)")
    let run = try Run.spfcheck(["replay", relative], cwd: RepoPaths.root)
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout.hasPrefix("replaying \(relative) against \(modelFile) (model unchanged)\n"), "\(run)")
    #expect(run.stdout.contains("reproduced: \(invariant) after "), "\(run)")
    #expect(run.stderr.isEmpty, "\(run)")
  }
}
