import Testing

@testable import SPFCheck

/// Command-line parsing: every command, both option spellings, and every kind of usage error.
@Suite struct CommandLineOptionsTests {
  @Test(arguments: [["--help"], ["-h"], ["help"], ["--help", "ignored"]])
  func help(_ args: [String]) throws {
    #expect(try CommandLineOptions.parse(args) == .help)
  }

  @Test(arguments: [["--version"], ["version"]])
  func version(_ args: [String]) throws {
    #expect(try CommandLineOptions.parse(args) == .version)
  }

  @Test func exploreDefaults() throws {
    let c = try CommandLineOptions.parse(["explore", "m.json"])
    #expect(c == .explore(ExploreCommand(model: "m.json")))
    guard case .explore(let e) = c else { return }
    #expect(e.out == "counterexamples")
    #expect(!e.all && !e.quiet && e.write)
    #expect(e.maxStates == nil && e.maxDepth == nil && e.timeout == nil)
  }

  static let exploreSpellings: [[String]] = [
    ["explore", "m.json", "--out", "o", "--all", "--max-states", "10", "--max-depth", "5", "--timeout", "2.5", "--quiet", "--no-write"],
    ["explore", "m.json", "--out=o", "--all", "--max-states=10", "--max-depth=5", "--timeout=2.5", "--quiet", "--no-write"],
    ["explore", "--no-write", "--quiet", "--timeout", "2.5", "--max-depth=5", "--max-states", "10", "--all", "--out", "o", "m.json"],
  ]

  @Test(arguments: exploreSpellings)
  func exploreEveryOption(_ args: [String]) throws {
    var expected = ExploreCommand(model: "m.json")
    expected.out = "o"
    expected.all = true
    expected.maxStates = 10
    expected.maxDepth = 5
    expected.timeout = 2.5
    expected.quiet = true
    expected.write = false
    #expect(try CommandLineOptions.parse(args) == .explore(expected))
  }

  @Test func exploreSearchSwitches() throws {
    let c = try CommandLineOptions.parse(
      ["explore", "m.json", "--no-por", "--no-symmetry", "--fingerprint", "--no-cache", "--jobs", "3"])
    var expected = ExploreCommand(model: "m.json")
    expected.partialOrder = false
    expected.symmetry = false
    expected.fingerprint = true
    expected.transitionCache = false
    expected.jobs = 3
    #expect(c == .explore(expected))
    guard case .explore(let defaults) = try CommandLineOptions.parse(["explore", "m.json"]) else { return }
    #expect(defaults.partialOrder && defaults.symmetry && !defaults.fingerprint && defaults.transitionCache)
    #expect(defaults.jobs == nil)
  }

  @Test func laterValueWins() throws {
    let c = try CommandLineOptions.parse(["explore", "m.json", "--out", "a", "--out=b"])
    #expect(c == .explore(ExploreCommand(model: "m.json", out: "b")))
  }

  @Test func doubleDashEndsOptions() throws {
    #expect(try CommandLineOptions.parse(["explore", "--", "--odd.json"]) == .explore(ExploreCommand(model: "--odd.json")))
  }

  @Test func valueMayContainEquals() throws {
    let c = try CommandLineOptions.parse(["explore", "m.json", "--out=a=b"])
    #expect(c == .explore(ExploreCommand(model: "m.json", out: "a=b")))
  }

  @Test(arguments: [
    (["replay", "t.json"], ReplayCommand(trace: "t.json", model: nil, quiet: false)),
    (["replay", "t.json", "--quiet"], ReplayCommand(trace: "t.json", model: nil, quiet: true)),
    (["replay", "t.json", "--model", "m.json"], ReplayCommand(trace: "t.json", model: "m.json", quiet: false)),
    (["replay", "--model=m.json", "--quiet", "t.json"], ReplayCommand(trace: "t.json", model: "m.json", quiet: true)),
  ])
  func replay(_ args: [String], _ expected: ReplayCommand) throws {
    #expect(try CommandLineOptions.parse(args) == .replay(expected))
  }

  @Test func checkDefaults() throws {
    let c = try CommandLineOptions.parse(["check", "models/"])
    #expect(c == .check(CheckCommand(paths: ["models/"])))
    guard case .check(let k) = c else { return }
    #expect(k.counterexamples == "counterexamples" && k.junit == nil && !k.json)
  }

  @Test(arguments: [
    ["check", "a.json", "dir", "--counterexamples", "cx", "--junit", "j.xml", "--format", "json"],
    ["check", "--counterexamples=cx", "a.json", "--junit=j.xml", "--format=json", "dir"],
  ])
  func checkEveryOption(_ args: [String]) throws {
    var expected = CheckCommand(paths: ["a.json", "dir"])
    expected.counterexamples = "cx"
    expected.junit = "j.xml"
    expected.json = true
    #expect(try CommandLineOptions.parse(args) == .check(expected))
  }

  @Test func checkTextFormat() throws {
    #expect(try CommandLineOptions.parse(["check", "m", "--format", "text"]) == .check(CheckCommand(paths: ["m"])))
  }

  struct BadLine: Sendable, CustomTestStringConvertible {
    var args: [String]
    var message: String
    var testDescription: String { args.isEmpty ? "(no arguments)" : args.joined(separator: " ") }
  }

  static let badLines: [BadLine] = [
    BadLine(args: [], message: "missing command"),
    BadLine(args: ["frobnicate"], message: "unknown command \"frobnicate\""),
    BadLine(args: ["--all"], message: "unknown command \"--all\""),
    BadLine(args: ["explore"], message: "explore takes exactly one model file, got 0"),
    BadLine(args: ["explore", "a.json", "b.json"], message: "explore takes exactly one model file, got 2"),
    BadLine(args: ["explore", "m.json", "--bogus"], message: "unknown option --bogus"),
    BadLine(args: ["explore", "m.json", "--bogus=1"], message: "unknown option --bogus"),
    BadLine(args: ["explore", "m.json", "--model", "x"], message: "unknown option --model"),
    BadLine(args: ["explore", "m.json", "--out"], message: "--out needs a value"),
    BadLine(args: ["explore", "m.json", "--max-states"], message: "--max-states needs a value"),
    BadLine(args: ["explore", "m.json", "--max-states", "0"], message: "--max-states takes a positive integer, got \"0\""),
    BadLine(args: ["explore", "m.json", "--max-states=-3"], message: "--max-states takes a positive integer, got \"-3\""),
    BadLine(args: ["explore", "m.json", "--max-states", "ten"], message: "--max-states takes a positive integer, got \"ten\""),
    BadLine(args: ["explore", "m.json", "--max-states", "1.5"], message: "--max-states takes a positive integer"),
    BadLine(args: ["explore", "m.json", "--max-states="], message: "--max-states takes a positive integer, got \"\""),
    BadLine(args: ["explore", "m.json", "--max-depth=x"], message: "--max-depth takes a positive integer, got \"x\""),
    BadLine(args: ["explore", "m.json", "--max-depth", "--quiet"], message: "--max-depth takes a positive integer, got \"--quiet\""),
    BadLine(args: ["explore", "m.json", "--timeout", "0"], message: "--timeout takes a positive number of seconds, got \"0\""),
    BadLine(args: ["explore", "m.json", "--timeout=abc"], message: "--timeout takes a positive number of seconds, got \"abc\""),
    BadLine(args: ["explore", "m.json", "--timeout", "-1"], message: "--timeout takes a positive number of seconds"),
    BadLine(args: ["explore", "m.json", "--all=yes"], message: "--all takes no value"),
    BadLine(args: ["explore", "m.json", "--quiet="], message: "--quiet takes no value"),
    BadLine(args: ["replay"], message: "replay takes exactly one counterexample file, got 0"),
    BadLine(args: ["replay", "a.json", "b.json"], message: "replay takes exactly one counterexample file, got 2"),
    BadLine(args: ["replay", "t.json", "--model"], message: "--model needs a value"),
    BadLine(args: ["replay", "t.json", "--all"], message: "unknown option --all"),
    BadLine(args: ["check"], message: "check needs at least one model file or folder"),
    BadLine(args: ["check", "--junit", "j.xml"], message: "check needs at least one model file or folder"),
    BadLine(args: ["check", "m", "--format", "xml"], message: "--format takes text or json, got \"xml\""),
    BadLine(args: ["check", "m", "--junit"], message: "--junit needs a value"),
    BadLine(args: ["check", "m", "--quiet"], message: "unknown option --quiet"),
  ]

  @Test(arguments: badLines)
  func usageErrors(_ line: BadLine) {
    do {
      let command = try CommandLineOptions.parse(line.args)
      Issue.record("parsed \(command) but expected a usage error")
    } catch {
      #expect(error.message.contains(line.message), "\(error.message)")
      #expect(error.description == error.message)
    }
  }

  // MARK: renderings and simulate

  @Test(arguments: ["text", "swimlane", "json", "mermaid", "svg", "html"])
  func replayFormats(_ format: String) throws {
    guard case .replay(let c) = try CommandLineOptions.parse(["replay", "t.json", "--format=\(format)"]) else {
      Issue.record("not a replay command")
      return
    }
    #expect(c.format.rawValue == format)
  }

  @Test func colourAndWidthFlags() throws {
    var replay = ReplayCommand(trace: "t.json")
    replay.format = .swimlane
    replay.color = .always
    replay.width = 90
    #expect(try CommandLineOptions.parse(["replay", "t.json", "--format", "swimlane", "--color", "always", "--width", "90"]) == .replay(replay))
    var explore = ExploreCommand(model: "m.json")
    explore.color = .never
    explore.width = 70
    #expect(try CommandLineOptions.parse(["explore", "m.json", "--color=never", "--width=70"]) == .explore(explore))
    #expect(try CommandLineOptions.parse(["replay", "t.json"]) == .replay(ReplayCommand(trace: "t.json")))
  }

  @Test func simulateDefaults() throws {
    let c = try CommandLineOptions.parse(["simulate", "m.json"])
    #expect(c == .simulate(SimulateCommand(model: "m.json")))
    guard case .simulate(let s) = c else { return }
    #expect(s.runs == 100 && s.seed == 1 && s.strategy == .random && s.depth == 3 && s.maxSteps == 1000)
    #expect(s.out == "counterexamples/simulate" && s.write && !s.quiet && s.color == .auto && s.width == nil)
  }

  @Test(arguments: [
    ["simulate", "m.json", "--runs", "7", "--seed", "18446744073709551615", "--strategy", "pct", "--depth", "2",
     "--max-steps", "50", "--out", "o", "--no-write", "--quiet", "--color", "never", "--width", "80"],
    ["simulate", "--quiet", "--runs=7", "--seed=18446744073709551615", "--strategy=pct", "--depth=2", "--max-steps=50",
     "--out=o", "--no-write", "--color=never", "--width=80", "m.json"],
  ])
  func simulateEveryOption(_ args: [String]) throws {
    var expected = SimulateCommand(model: "m.json")
    expected.runs = 7
    expected.seed = UInt64.max
    expected.strategy = .pct
    expected.depth = 2
    expected.maxSteps = 50
    expected.out = "o"
    expected.write = false
    expected.quiet = true
    expected.color = .never
    expected.width = 80
    #expect(try CommandLineOptions.parse(args) == .simulate(expected))
  }

  static let badRenderingLines: [BadLine] = [
    BadLine(args: ["replay", "t.json", "--format", "png"], message: "--format takes text, swimlane, json, mermaid, svg or html, got \"png\""),
    BadLine(args: ["replay", "t.json", "--color", "sometimes"], message: "--color takes auto, always or never, got \"sometimes\""),
    BadLine(args: ["replay", "t.json", "--width", "0"], message: "--width takes a positive integer, got \"0\""),
    BadLine(args: ["explore", "m.json", "--color"], message: "--color needs a value"),
    BadLine(args: ["simulate"], message: "simulate takes exactly one model file, got 0"),
    BadLine(args: ["simulate", "a.json", "b.json"], message: "simulate takes exactly one model file, got 2"),
    BadLine(args: ["simulate", "m.json", "--runs", "0"], message: "--runs takes a positive integer, got \"0\""),
    BadLine(args: ["simulate", "m.json", "--seed", "-1"], message: "--seed takes an integer from 0 to 2^64-1, got \"-1\""),
    BadLine(args: ["simulate", "m.json", "--seed", "18446744073709551616"], message: "--seed takes an integer from 0 to 2^64-1"),
    BadLine(args: ["simulate", "m.json", "--strategy", "dfs"], message: "--strategy takes random or pct, got \"dfs\""),
    BadLine(args: ["simulate", "m.json", "--depth", "0"], message: "--depth takes a positive integer, got \"0\""),
    BadLine(args: ["simulate", "m.json", "--max-steps", "x"], message: "--max-steps takes a positive integer, got \"x\""),
    BadLine(args: ["simulate", "m.json", "--out="], message: "--out needs a folder"),
    BadLine(args: ["simulate", "m.json", "--all"], message: "unknown option --all"),
    BadLine(args: ["simulate", "m.json", "--quiet=1"], message: "--quiet takes no value"),
  ]

  @Test(arguments: badRenderingLines)
  func renderingAndSimulateUsageErrors(_ line: BadLine) {
    usageErrors(line)
  }

  @Test func usageTextNamesEveryCommandAndExitStatus() {
    let usage = CommandLineOptions.usage
    for word in ["explore", "replay", "check", "simulate", "--strategy random|pct", "swimlane|json|mermaid|svg|html", "--color auto|always|never", "--help", "--version", "64 usage", "65 bad model"] {
      #expect(usage.contains(word), "usage lacks \(word)")
    }
  }

  @Test func exitStatusesAreTheDocumentedNumbers() {
    #expect(ExitStatus.ok.rawValue == 0)
    #expect(ExitStatus.violation.rawValue == 1)
    #expect(ExitStatus.mismatch.rawValue == 2)
    #expect(ExitStatus.incomplete.rawValue == 3)
    #expect(ExitStatus.usage.rawValue == 64)
    #expect(ExitStatus.dataError.rawValue == 65)
    #expect(ExitStatus.software.rawValue == 70)
  }
}
