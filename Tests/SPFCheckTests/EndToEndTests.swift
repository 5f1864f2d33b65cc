import Foundation
import Testing

@testable import SPFCheck

/// The `spfcheck` binary run as a user would: exit statuses, output, files written, replay and check.
@Suite struct EndToEndTests {
  static let rcuWalk = "models/rcu-walk-vs-munmap.json"

  /// Replaces (or adds) a top-level member of a JSON object.
  static func replacing(_ key: String, with value: JSON, in json: JSON) -> JSON {
    guard case .object(var members) = json else { return json }
    if let i = members.firstIndex(where: { $0.key == key }) {
      members[i].value = value
    } else {
      members.append((key, value))
    }
    return .object(members)
  }

  /// Rewrites a JSON file inside `dir`, changing one top-level member.
  static func edit(_ relative: String, in dir: TempDir, key: String, value: JSON) throws {
    let json = try JSONParser.parse(FileIO.read(dir.url.appendingPathComponent(relative).path))
    try dir.write(replacing(key, with: value, in: json).serialized(sortKeys: false) + "\n", to: relative)
  }

  /// A temp folder holding a copy of the rcu-walk model and the protocols it includes, under models/.
  static func copyOfRcuWalk() throws -> TempDir {
    let dir = try TempDir()
    try dir.copy(fromRepo: "models/protocols", to: "models/protocols")
    try dir.copy(fromRepo: rcuWalk, to: rcuWalk)
    return dir
  }

  // MARK: explore and replay

  @Test func exploreFindsThePageTableLeak() throws {
    let out = try TempDir()
    let run = try Run.spfcheck(["explore", Self.rcuWalk, "--out", out.path])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdoutLines.contains("verdict: violation"), "\(run)")
    #expect(run.stdout.contains("page-table-leak"), "\(run)")
    #expect(run.stdout.contains("states: "), "\(run)")
    #expect(run.stderr.isEmpty, "\(run)")
    let file = out.url.appendingPathComponent("rcu-walk-vs-munmap.page-table-leak.json")
    #expect(FileManager.default.fileExists(atPath: file.path))
    #expect(run.stdout.contains("counterexample: \(file.path) ("), "\(run)")
    // The written file is a counterexample for this model, recorded relative to the cwd.
    let json = try JSONParser.parse(FileIO.read(file.path))
    #expect(json["format"] == .string("spfcheck-counterexample/1"))
    #expect(json["model"]?["file"] == .string(Self.rcuWalk))
    #expect(json["violation"]?["invariant"] == .string("page-table-leak"))
    // Only counterexample files, no temporaries left behind.
    #expect(out.files().allSatisfy { $0.hasPrefix("rcu-walk-vs-munmap.") && $0.hasSuffix(".json") }, "\(out.files())")
  }

  @Test func replayNarratesTheRace() throws {
    let out = try TempDir()
    let explore = try Run.spfcheck(["explore", Self.rcuWalk, "--out", out.path, "--quiet"])
    #expect(explore.status == 1, "\(explore)")
    let trace = out.url.appendingPathComponent("rcu-walk-vs-munmap.page-table-leak.json").path
    let run = try Run.spfcheck(["replay", trace])
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout.contains("(model unchanged)"), "\(run)")
    #expect(run.stdout.contains("reproduced: page-table-leak"), "\(run)")
    let text = run.stdout
    let walk = try #require(text.range(of: "pt_walk"), "\(run)")
    let free = try #require(text.range(of: "free_pgtables", range: walk.upperBound..<text.endIndex), "\(run)")
    #expect(text.range(of: "pt_install", range: free.upperBound..<text.endIndex) != nil, "\(run)")
  }

  @Test func quietReplayOmitsTheNarration() throws {
    let out = try TempDir()
    _ = try Run.spfcheck(["explore", Self.rcuWalk, "--out", out.path, "--quiet"])
    let trace = out.url.appendingPathComponent("rcu-walk-vs-munmap.page-table-leak.json").path
    let run = try Run.spfcheck(["replay", trace, "--quiet"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stdoutLines.filter { !$0.isEmpty }.count == 2, "\(run)")
  }

  /// Two runs (each into its own fresh --out folder) print the same text apart from the
  /// `time:` line and the folder name, and write byte-identical counterexamples.
  @Test func exploreIsDeterministic() throws {
    func once() throws -> (run: RunOutput, lines: [String], files: [String: String]) {
      let out = try TempDir()
      let run = try Run.spfcheck(["explore", Self.rcuWalk, "--out", out.path])
      var files: [String: String] = [:]
      for f in out.files() { files[f] = try out.read(f) }
      let lines = run.stdoutLines.filter { !$0.hasPrefix("time:") }
        .map { $0.replacingOccurrences(of: out.path, with: "OUT") }
      return (run, lines, files)
    }
    let a = try once()
    let b = try once()
    #expect(a.run.status == 1 && b.run.status == 1, "\(a.run)\n\(b.run)")
    #expect(a.run.stdoutLines.contains { $0.hasPrefix("time:") })
    #expect(a.lines == b.lines)
    #expect(a.files == b.files)
    #expect(a.files.count == 3, "\(a.files.keys.sorted())")
  }

  /// Re-running explore into a folder that already holds its counterexamples (the default
  /// `counterexamples/` workflow) must overwrite them.
  @Test
  func exploreOverwritesExistingCounterexamples() throws {
    let out = try TempDir()
    let first = try Run.spfcheck(["explore", Self.rcuWalk, "--out", out.path, "--quiet"])
    #expect(first.status == 1, "\(first)")
    var before: [String: String] = [:]
    for f in out.files() { before[f] = try out.read(f) }
    let second = try Run.spfcheck(["explore", Self.rcuWalk, "--out", out.path, "--quiet"])
    #expect(second.status == 1, "\(second)")
    var after: [String: String] = [:]
    for f in out.files() { after[f] = try out.read(f) }
    #expect(after == before)
  }

  @Test func noWriteWritesNothing() throws {
    let out = try TempDir()
    let target = out.url.appendingPathComponent("cx").path
    let run = try Run.spfcheck(["explore", Self.rcuWalk, "--out", target, "--no-write", "--quiet"])
    #expect(run.status == 1, "\(run)")
    #expect(!run.stdout.contains("counterexample:"), "\(run)")
    #expect(!FileManager.default.fileExists(atPath: target))
  }

  @Test func boundedExploreIsIncomplete() throws {
    let run = try Run.spfcheck(["explore", Self.rcuWalk, "--max-states", "5", "--no-write"])
    #expect(run.status == 3, "\(run)")
    #expect(run.stdout.contains("verdict: incomplete (state bound 5 reached; no violation found so far)"), "\(run)")
  }

  /// A model whose expectation is "verified": the first one under models/, or (while the corpus
  /// has none) the mmap_lock fault against munmap, which must verify.
  static func verifiedModel() throws -> (dir: TempDir?, cwd: URL, path: String) {
    let candidates = RepoPaths.runnableModels().filter { RepoPaths.expectedVerdict($0) == "verified" }
    for relative in candidates {
      // Skip a model whose state space does not close (reported by ModelCorpusTests): explore would never end.
      guard let model = try? ModelLoader.load(path: RepoPaths.absolute(relative)),
        let result = try? Corpus.explore(model), result.verdict == .verified
      else { continue }
      return (nil, RepoPaths.root, relative)
    }
    let dir = try TempDir()
    try dir.copy(fromRepo: "models/protocols", to: "protocols")
    try dir.write(
      """
      {
        "name": "fault-mmap-lock-vs-munmap",
        "layout": { "fanout": [2, 2, 2] },
        "vmas": [{ "name": "A", "start": 0, "end": 4, "prot": "rw" }],
        "pageTables": [{ "addr": 0, "level": 1 }],
        "include": ["protocols/fault-mmap-lock.json", "protocols/munmap.json"],
        "threads": [
          { "name": "F", "program": "fault-mmap-lock", "args": { "addr": 1 } },
          { "name": "U", "program": "munmap", "args": { "start": 0, "end": 4 } }
        ],
        "expect": { "verdict": "verified" }
      }
      """, to: "verified.json")
    return (dir, dir.url, "verified.json")
  }

  @Test func verifiedModelExitsZero() throws {
    let (dir, cwd, path) = try Self.verifiedModel()
    let out = try TempDir()
    let run = try Run.spfcheck(["explore", path, "--out", out.path], cwd: cwd)
    #expect(run.status == 0, "\(path): \(run)")
    #expect(run.stdoutLines.contains("verdict: verified"), "\(run)")
    #expect(run.stdoutLines.contains { $0.hasPrefix("states: ") }, "\(run)")
    #expect(out.files().isEmpty)
    withExtendedLifetime(dir) {}
  }

  // MARK: check

  /// `check models/` passes. `check` has no state bound, so a model whose state space never closes
  /// would hang it: such models are recorded as a known issue and `check` runs on the others.
  @Test func checkOfTheCorpusPasses() throws {
    let (closing, unbounded) = Corpus.partition()
    for (relative, result) in unbounded { Corpus.recordUnbounded(relative, result) }
    let run = try Run.spfcheck(unbounded.isEmpty ? ["check", "models/"] : ["check"] + closing)
    #expect(run.status == 0, "\(run)")
    let last = try #require(run.stdoutLines.last(where: { !$0.isEmpty }))
    let match = last.wholeMatch(of: #/(\d+) passed, 0 failed/#)
    #expect(match != nil, "last line: \(last)")
    if let n = match.flatMap({ Int($0.1) }) { #expect(n >= 1) }
    #expect(run.stdout.contains("rcu-walk-vs-munmap"), "\(run)")
  }

  @Test func checkWithJSONAndJUnit() throws {
    let out = try TempDir()
    let junit = out.url.appendingPathComponent("report/junit.xml").path
    let run = try Run.spfcheck(["check", Self.rcuWalk, "--format", "json", "--junit", junit])
    #expect(run.status == 0, "\(run)")
    let json = try JSONParser.parse(run.stdout)
    #expect(json["failed"] == .int(0), "\(run)")
    guard case .array(let rows)? = json["results"] else {
      Issue.record("no results array: \(run)")
      return
    }
    #expect(rows.contains { $0["name"] == .string("rcu-walk-vs-munmap") && $0["passed"] == .bool(true) })
    let xml = try String(contentsOfFile: junit, encoding: .utf8)
    #expect(xml.contains("<testsuite name=\"spfcheck\""))
    #expect(xml.contains("failures=\"0\""))
  }

  @Test func checkReportsAModelThatDisagreesWithItsExpectation() throws {
    let dir = try Self.copyOfRcuWalk()
    try Self.edit(Self.rcuWalk, in: dir, key: "expect", value: .object([("verdict", .string("verified"))]))
    let run = try Run.spfcheck(["check", "models/", "--counterexamples", "none"], cwd: dir.url)
    #expect(run.status == 2, "\(run)")
    let row = try #require(run.stdoutLines.first { $0.hasPrefix("rcu-walk-vs-munmap ") }, "\(run)")
    #expect(row.hasSuffix("FAIL"), "\(row)")
    #expect(run.stdout.contains("expected verified, got violation"), "\(run)")
    #expect(run.stdoutLines.last(where: { !$0.isEmpty }) == "0 passed, 1 failed", "\(run)")
  }

  @Test func checkReportsAMissingStoredCounterexample() throws {
    let dir = try Self.copyOfRcuWalk()
    let run = try Run.spfcheck(["check", Self.rcuWalk, "--counterexamples", "none"], cwd: dir.url)
    #expect(run.status == 2, "\(run)")
    #expect(run.stdout.contains("no stored counterexample for"), "\(run)")
  }

  @Test func checkOfAMissingPathIsAUsageError() throws {
    let run = try Run.spfcheck(["check", "no/such/folder"])
    #expect(run.status == 64, "\(run)")
    #expect(run.stderr.contains("no/such/folder: no such file or folder"), "\(run)")
  }

  // MARK: command line

  @Test func helpExitsZero() throws {
    let run = try Run.spfcheck(["--help"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout.hasPrefix("usage: spfcheck explore"), "\(run)")
    #expect(run.stderr.isEmpty)
  }

  @Test func versionExitsZero() throws {
    let run = try Run.spfcheck(["--version"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout.hasPrefix("spfcheck "), "\(run)")
  }

  @Test(arguments: [["frobnicate"], [], ["explore"], ["explore", "m.json", "--bogus"], ["explore", "m.json", "--max-states", "0"]])
  func usageErrorsExit64(_ args: [String]) throws {
    let run = try Run.spfcheck(args)
    #expect(run.status == 64, "\(run)")
    #expect(run.stdout.isEmpty, "\(run)")
    #expect(run.stderr.hasPrefix("spfcheck: "), "\(run)")
    #expect(run.stderr.contains("usage: spfcheck"), "\(run)")
  }

  @Test func unknownCommandIsNamed() throws {
    let run = try Run.spfcheck(["frobnicate"])
    #expect(run.status == 64)
    #expect(run.stderr.contains("unknown command \"frobnicate\""), "\(run)")
  }

  @Test func missingModelFileExits65() throws {
    let run = try Run.spfcheck(["explore", "models/no-such-model.json", "--no-write"])
    #expect(run.status == 65, "\(run)")
    #expect(run.stderr.contains("models/no-such-model.json: cannot read the file"), "\(run)")
  }

  // MARK: replay of stale or broken traces

  /// A protocol file edit invalidates a trace only when it changes a program the model runs.
  @Test func replayTracksTheProgramsAModelUses() throws {
    let dir = try Self.copyOfRcuWalk()
    let explore = try Run.spfcheck(["explore", Self.rcuWalk, "--out", "out", "--quiet"], cwd: dir.url)
    #expect(explore.status == 1, "\(explore)")
    let trace = "out/rcu-walk-vs-munmap.page-table-leak.json"
    let library = "models/protocols/munmap.json"

    try Self.edit(library, in: dir, key: "description", value: .string("reworded"))
    let reworded = try Run.spfcheck(["replay", trace, "--quiet"], cwd: dir.url)
    #expect(reworded.status == 0, "\(reworded)")

    let json = try JSONParser.parse(FileIO.read(dir.url.appendingPathComponent(library).path))
    guard case .array(var ops)? = json["programs"]?["munmap"] else {
      Issue.record("munmap.json has no munmap program")
      return
    }
    ops.insert(.object([("op", .string("nop"))]), at: 0)
    try Self.edit(library, in: dir, key: "programs", value: .object([("munmap", .array(ops))]))
    let changed = try Run.spfcheck(["replay", trace], cwd: dir.url)
    #expect(changed.status == 65, "\(changed)")
    #expect(changed.stderr.contains("changed since this counterexample was written"), "\(changed)")
  }

  /// After the model file changes, replay refuses the trace (exit 65).
  @Test(arguments: [rcuWalk])
  func replayOfAChangedModelExits65(_ edited: String) throws {
    let dir = try Self.copyOfRcuWalk()
    let explore = try Run.spfcheck(["explore", Self.rcuWalk, "--out", "out", "--quiet"], cwd: dir.url)
    #expect(explore.status == 1, "\(explore)")
    let trace = "out/rcu-walk-vs-munmap.page-table-leak.json"
    let before = try Run.spfcheck(["replay", trace, "--quiet"], cwd: dir.url)
    #expect(before.status == 0, "\(before)")

    try Self.edit(edited, in: dir, key: "description", value: .string("edited after the trace was written"))
    let after = try Run.spfcheck(["replay", trace], cwd: dir.url)
    #expect(after.status == 65, "\(after)")
    #expect(after.stderr.contains("\(trace): the model \(Self.rcuWalk) changed since this counterexample was written"), "\(after)")
    #expect(after.stdout.isEmpty, "\(after)")

    // --model pointing at an unchanged copy replays again.
    let pinned = try Run.spfcheck(["replay", trace, "--quiet", "--model", RepoPaths.absolute(Self.rcuWalk)], cwd: dir.url)
    #expect(pinned.status == 0, "\(pinned)")
  }

  /// A well-formed trace whose schedule no longer reaches the violation is a mismatch (exit 2).
  @Test func replayOfATruncatedScheduleExits2() throws {
    let dir = try Self.copyOfRcuWalk()
    _ = try Run.spfcheck(["explore", Self.rcuWalk, "--out", "out", "--quiet"], cwd: dir.url)
    let trace = "out/rcu-walk-vs-munmap.page-table-leak.json"
    let json = try JSONParser.parse(FileIO.read(dir.url.appendingPathComponent(trace).path))
    guard case .array(let schedule)? = json["schedule"] else {
      Issue.record("no schedule")
      return
    }
    try Self.edit(trace, in: dir, key: "schedule", value: .array(Array(schedule.dropLast())))
    let run = try Run.spfcheck(["replay", trace], cwd: dir.url)
    #expect(run.status == 2, "\(run)")
    #expect(run.stderr.contains("does not reproduce: expected page-table-leak"), "\(run)")
  }

  @Test func replayOfAnUnknownThreadExits65() throws {
    let dir = try Self.copyOfRcuWalk()
    _ = try Run.spfcheck(["explore", Self.rcuWalk, "--out", "out", "--quiet"], cwd: dir.url)
    let trace = "out/rcu-walk-vs-munmap.page-table-leak.json"
    try Self.edit(trace, in: dir, key: "schedule", value: .array([.object([("thread", .string("Z"))])]))
    let run = try Run.spfcheck(["replay", trace], cwd: dir.url)
    #expect(run.status == 65, "\(run)")
    #expect(run.stderr.contains("schedule[0].thread: no thread \"Z\" in the model"), "\(run)")
  }
}
