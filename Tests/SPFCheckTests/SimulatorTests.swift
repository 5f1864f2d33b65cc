import Foundation
import Testing

@testable import SPFCheck

/// `spfcheck simulate`: seeded random walks and PCT, their determinism, and replayable output.
@Suite struct SimulatorTests {
  static let rcuWalk = "models/rcu-walk-vs-munmap.json"

  static func simulate(_ model: String = rcuWalk, seed: UInt64, strategy: SimulateCommand.Strategy = .random, runs: Int = 20, depth: Int = 3) throws -> SimulationResult {
    var options = SimulateOptions()
    options.seed = seed
    options.runs = runs
    options.strategy = strategy
    options.depth = depth
    return try Simulator(model: ModelLoader.load(path: RepoPaths.absolute(model)), options: options).run()
  }

  @Test func splitMix64MatchesTheReferenceOutput() {
    // The first outputs of the reference splitmix64.c for seed 0.
    var mix = SplitMix64(state: 0)
    #expect(mix.next() == 0xE220_A839_7B1D_CDAF)
    #expect(mix.next() == 0x6E78_9E6A_A1B9_65F4)
  }

  @Test func generatorIsDeterministicAndInRange() {
    var a = Xoshiro256StarStar(seed: 42)
    var b = Xoshiro256StarStar(seed: 42)
    var c = Xoshiro256StarStar(seed: 43)
    let sa = (0..<8).map { _ in a.next() }
    #expect(sa == (0..<8).map { _ in b.next() })
    #expect(sa != (0..<8).map { _ in c.next() })
    var seen = Set<Int>()
    for _ in 0..<300 {
      let v = a.below(5)
      #expect((0..<5).contains(v))
      seen.insert(v)
    }
    #expect(seen.count == 5)
    #expect(a.permutation(6).sorted() == Array(0..<6))
  }

  @Test func pctPrioritiesAndChangePoints() {
    var rng = Xoshiro256StarStar(seed: 7)
    let pct = PCT(actors: 3, depth: 4, length: 20, rng: &rng)
    #expect(pct.priority.sorted() == [4, 5, 6], "initial priorities are d ... d+n-1")
    #expect(pct.changePoints.count == 3 && Set(pct.changePoints).count == 3)
    #expect(pct.changePoints.allSatisfy { (1...20).contains($0) })
    var lowered = pct
    lowered.stepped(actor: 1, step: pct.changePoints[0])
    #expect(lowered.priority[1] == 1)
    #expect(lowered.highest(among: [1, 2]) == 2)
    let short = PCT(actors: 2, depth: 5, length: 2, rng: &rng)
    #expect(short.changePoints.sorted() == [1, 2], "never more change points than steps")
  }

  @Test func sameSeedSameResult() throws {
    let a = try Self.simulate(seed: 5)
    let b = try Self.simulate(seed: 5)
    #expect(a.steps == b.steps && a.violating == b.violating)
    #expect(a.findings.map(\.finding.schedule) == b.findings.map(\.finding.schedule))
  }

  @Test func differentSeedsExploreDifferently() throws {
    let runs = try (1...4).map { try Self.simulate(seed: $0) }
    let signatures = runs.map { r in "\(r.steps) \(r.findings.map { "\($0.run):\($0.finding.schedule.count)" })" }
    #expect(Set(signatures).count > 1, "\(signatures)")
  }

  @Test func randomWalksFindThePageTableLeak() throws {
    let result = try Self.simulate(seed: 1, runs: 50)
    #expect(result.findings.contains { $0.finding.violation.invariant == .pageTableLeak })
    #expect(result.runs == 50)
    #expect(result.ended + result.violating + result.bounded + result.retryLimit == 50)
  }

  @Test func pctWithDepthOneRuns() throws {
    let result = try Self.simulate(seed: 3, strategy: .pct, runs: 10, depth: 1)
    #expect(result.runs == 10)
    #expect(result.estimatedLength != nil)
    let run = try Run.spfcheck(["simulate", Self.rcuWalk, "--strategy", "pct", "--depth", "1", "--runs", "10", "--no-write"])
    #expect(run.status == 0 || run.status == 1, "\(run)")
    #expect(run.stdout.contains("strategy pct (depth 1, 0 change points over "), "\(run)")
  }

  @Test func aVerifiedModelReportsNoViolationFound() throws {
    let run = try Run.spfcheck(["simulate", "models/spf-vs-munmap.json", "--runs", "30", "--seed", "9", "--no-write"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stdoutLines.contains("verdict: no violation found in 30 runs"), "\(run)")
    #expect(!run.stdout.contains("verified"))
  }

  @Test(arguments: ["random", "pct"])
  func sameSeedGivesByteIdenticalStdout(_ strategy: String) throws {
    let args = ["simulate", Self.rcuWalk, "--runs", "40", "--seed", "1234", "--strategy", strategy, "--no-write", "--width", "100"]
    let a = try Run.spfcheck(args)
    let b = try Run.spfcheck(args)
    #expect(a.status == 1, "\(a)")
    #expect(a.stdout == b.stdout)
    #expect(a.stdout.contains("seed 1234"))
  }

  @Test(arguments: ["random", "pct"])
  func writtenCounterexamplesReplay(_ strategy: String) throws {
    let out = try TempDir()
    let run = try Run.spfcheck(["simulate", Self.rcuWalk, "--runs", "40", "--seed", "11", "--strategy", strategy, "--out", out.path, "--quiet"])
    #expect(run.status == 1, "\(run)")
    let files = out.files()
    #expect(files.contains("rcu-walk-vs-munmap.page-table-leak.json"), "\(files)")
    for file in files {
      let replay = try Run.spfcheck(["replay", out.url.appendingPathComponent(file).path, "--quiet"])
      #expect(replay.status == 0, "\(file): \(replay)")
    }
  }
}
