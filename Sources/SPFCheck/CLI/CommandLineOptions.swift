/// The documented exit statuses of `spfcheck`.
public enum ExitStatus: Int32, Sendable {
  /// Verified, replay reproduced, or every model in `check` agreed.
  case ok = 0
  /// `explore` found a violation (counterexamples written).
  case violation = 1
  /// `check`: some model disagreed with its expectation or a counterexample no longer replays;
  /// `replay`: the schedule no longer reproduces the violation.
  case mismatch = 2
  /// `explore` stopped at a bound (`--max-states`, `--max-depth`, `--timeout`) without a violation.
  case incomplete = 3
  /// Bad command line (EX_USAGE).
  case usage = 64
  /// Bad model or counterexample data (EX_DATAERR).
  case dataError = 65
  /// Internal error (EX_SOFTWARE).
  case software = 70
}

/// A command line that cannot be understood.
public struct UsageError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var description: String { message }
}

/// The parsed command line.
public enum Command: Equatable, Sendable {
  case help
  case version
  case explore(ExploreCommand)
  case replay(ReplayCommand)
  case check(CheckCommand)
  case simulate(SimulateCommand)
}

/// `--color auto|always|never`: whether terminal renderings use ANSI colour.
public enum ColorChoice: String, Equatable, Sendable {
  /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
  case auto
  case always
  case never
}

public struct ExploreCommand: Equatable, Sendable {
  public var model: String
  public var out = "counterexamples"
  public var all = false
  public var maxStates: Int?
  public var maxDepth: Int?
  public var timeout: Double?
  public var quiet = false
  public var write = true
  /// `--coverage json`: stdout is one JSON document with the verdict, figures and coverage.
  public var coverageJSON = false
  /// `--progress json`: JSON lines on stderr while exploring, whether or not stderr is a terminal.
  public var progressJSON = false
  /// `--no-por` turns the partial-order reduction off.
  public var partialOrder = true
  /// `--no-symmetry` turns the symmetry reduction off.
  public var symmetry = true
  /// `--no-cache` runs every move afresh instead of reusing cached outcomes (same results).
  public var transitionCache = true
  /// `--jobs N`; nil means every core.
  public var jobs: Int?
  /// `--fingerprint`: hash compaction instead of exact state storage.
  public var fingerprint = false
  /// `--color`: colour in the swimlanes printed at the end.
  public var color = ColorChoice.auto
  /// `--width`: the swimlanes' total width (default `COLUMNS`, else 120).
  public var width: Int?
}

public struct ReplayCommand: Equatable, Sendable {
  /// How `replay` renders the counterexample.
  public enum Format: String, Equatable, Sendable {
    case text, json, mermaid, swimlane, svg, html
  }
  public var trace: String
  public var model: String?
  public var quiet = false
  public var format = Format.text
  /// `--color`: colour in the swimlane rendering.
  public var color = ColorChoice.auto
  /// `--width`: the swimlane's total width (default `COLUMNS`, else 120).
  public var width: Int?
}

/// `spfcheck simulate`: random walks through a model's state space.
public struct SimulateCommand: Equatable, Sendable {
  /// How each run picks the next step.
  public enum Strategy: String, Equatable, Sendable {
    /// Uniformly among every enabled step (threads, grace period, branches).
    case random
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).
    case pct
  }
  public var model: String
  public var runs = 100
  public var seed: UInt64 = 1
  public var strategy = Strategy.random
  /// PCT's bug depth d: d - 1 priority change points per run.
  public var depth = 3
  /// Steps after which a run is abandoned (and PCT's default estimate of the run length).
  public var maxSteps = 1000
  public var out = "counterexamples/simulate"
  public var write = true
  public var quiet = false
  public var color = ColorChoice.auto
  public var width: Int?
}

public struct CheckCommand: Equatable, Sendable {
  public var paths: [String]
  public var counterexamples = "counterexamples"
  public var junit: String?
  public var json = false
}

/// Parses `spfcheck` arguments: `--flag value` and `--flag=value` both work.
public enum CommandLineOptions {
  public static let usage = """
    usage: spfcheck explore MODEL.json [--out DIR] [--all] [--max-states N] [--max-depth N]
                                       [--timeout SECONDS] [--no-write] [--quiet] [--coverage text|json]
                                       [--progress json] [--no-por] [--no-symmetry] [--jobs N]
                                       [--fingerprint] [--no-cache] [--color auto|always|never]
                                       [--width N]
           spfcheck replay TRACE.json [--model MODEL.json] [--quiet]
                                      [--format text|swimlane|json|mermaid|svg|html]
                                      [--color auto|always|never] [--width N]
           spfcheck simulate MODEL.json [--runs N] [--seed S] [--strategy random|pct] [--depth D]
                                        [--max-steps K] [--out DIR] [--no-write] [--quiet]
                                        [--color auto|always|never] [--width N]
           spfcheck check PATH... [--counterexamples DIR] [--junit FILE] [--format text|json]
           spfcheck --help | --version

    exit status: 0 verified / reproduced / all agree, 1 violation found, 2 mismatch (check, replay),
                 3 incomplete (a bound was reached), 64 usage, 65 bad model or trace, 70 internal error
    """

  public static func parse(_ arguments: [String]) throws(UsageError) -> Command {
    guard let verb = arguments.first else { throw UsageError(message: "missing command") }
    var rest = Array(arguments.dropFirst())
    switch verb {
    case "-h", "--help", "help": return .help
    case "--version", "version": return .version
    case "explore":
      var options: [String: String] = [:]
      var flags: Set<String> = []
      let positional = try split(
        &rest,
        valued: ["--out", "--max-states", "--max-depth", "--timeout", "--coverage", "--progress", "--jobs", "--color", "--width"],
        flags: ["--all", "--quiet", "--no-write", "--no-por", "--no-symmetry", "--fingerprint", "--no-cache"],
        into: &options, &flags)
      guard positional.count == 1 else { throw UsageError(message: "explore takes exactly one model file, got \(positional.count)") }
      var c = ExploreCommand(model: positional[0])
      if let o = options["--out"] {
        guard !o.isEmpty else { throw UsageError(message: "--out needs a folder") }
        c.out = o
      }
      if let f = options["--coverage"] {
        guard f == "text" || f == "json" else { throw UsageError(message: "--coverage takes text or json, got \"\(f)\"") }
        c.coverageJSON = f == "json"
      }
      if let f = options["--progress"] {
        guard f == "json" else { throw UsageError(message: "--progress takes json, got \"\(f)\"") }
        c.progressJSON = true
      }
      c.color = try color(options)
      c.width = try options["--width"].map { v throws(UsageError) in try positiveInt(v, "--width") }
      c.all = flags.contains("--all")
      c.quiet = flags.contains("--quiet")
      c.write = !flags.contains("--no-write")
      c.partialOrder = !flags.contains("--no-por")
      c.symmetry = !flags.contains("--no-symmetry")
      c.fingerprint = flags.contains("--fingerprint")
      c.transitionCache = !flags.contains("--no-cache")
      c.jobs = try options["--jobs"].map { v throws(UsageError) in try positiveInt(v, "--jobs") }
      c.maxStates = try options["--max-states"].map { v throws(UsageError) in try positiveInt(v, "--max-states") }
      c.maxDepth = try options["--max-depth"].map { v throws(UsageError) in try positiveInt(v, "--max-depth") }
      if let t = options["--timeout"] {
        guard let v = Double(t), v > 0 else { throw UsageError(message: "--timeout takes a positive number of seconds, got \"\(t)\"") }
        c.timeout = v
      }
      return .explore(c)
    case "replay":
      var options: [String: String] = [:]
      var flags: Set<String> = []
      let positional = try split(&rest, valued: ["--model", "--format", "--color", "--width"], flags: ["--quiet"], into: &options, &flags)
      guard positional.count == 1 else { throw UsageError(message: "replay takes exactly one counterexample file, got \(positional.count)") }
      var c = ReplayCommand(trace: positional[0], model: options["--model"], quiet: flags.contains("--quiet"))
      if let f = options["--format"] {
        guard let format = ReplayCommand.Format(rawValue: f) else {
          throw UsageError(message: "--format takes text, swimlane, json, mermaid, svg or html, got \"\(f)\"")
        }
        c.format = format
      }
      c.color = try color(options)
      c.width = try options["--width"].map { v throws(UsageError) in try positiveInt(v, "--width") }
      return .replay(c)
    case "simulate":
      return .simulate(try simulate(rest))
    case "check":
      var options: [String: String] = [:]
      var flags: Set<String> = []
      let positional = try split(&rest, valued: ["--counterexamples", "--junit", "--format"], flags: [], into: &options, &flags)
      guard !positional.isEmpty else { throw UsageError(message: "check needs at least one model file or folder") }
      var c = CheckCommand(paths: positional)
      if let d = options["--counterexamples"] { c.counterexamples = d }
      c.junit = options["--junit"]
      if let f = options["--format"] {
        guard f == "text" || f == "json" else { throw UsageError(message: "--format takes text or json, got \"\(f)\"") }
        c.json = f == "json"
      }
      return .check(c)
    default:
      throw UsageError(message: "unknown command \"\(verb)\"")
    }
  }

  /// Parses `simulate`'s arguments.
  private static func simulate(_ arguments: [String]) throws(UsageError) -> SimulateCommand {
    var rest = arguments
    var options: [String: String] = [:]
    var flags: Set<String> = []
    let positional = try split(
      &rest, valued: ["--runs", "--seed", "--strategy", "--depth", "--max-steps", "--out", "--color", "--width"],
      flags: ["--no-write", "--quiet"], into: &options, &flags)
    guard positional.count == 1 else { throw UsageError(message: "simulate takes exactly one model file, got \(positional.count)") }
    var c = SimulateCommand(model: positional[0])
    if let v = options["--runs"] { c.runs = try positiveInt(v, "--runs") }
    if let v = options["--seed"] {
      guard let seed = UInt64(v) else { throw UsageError(message: "--seed takes an integer from 0 to 2^64-1, got \"\(v)\"") }
      c.seed = seed
    }
    if let v = options["--strategy"] {
      guard let strategy = SimulateCommand.Strategy(rawValue: v) else {
        throw UsageError(message: "--strategy takes random or pct, got \"\(v)\"")
      }
      c.strategy = strategy
    }
    if let v = options["--depth"] { c.depth = try positiveInt(v, "--depth") }
    if let v = options["--max-steps"] { c.maxSteps = try positiveInt(v, "--max-steps") }
    if let o = options["--out"] {
      guard !o.isEmpty else { throw UsageError(message: "--out needs a folder") }
      c.out = o
    }
    c.write = !flags.contains("--no-write")
    c.quiet = flags.contains("--quiet")
    c.color = try color(options)
    c.width = try options["--width"].map { v throws(UsageError) in try positiveInt(v, "--width") }
    return c
  }

  /// The `--color` value, `auto` when absent.
  private static func color(_ options: [String: String]) throws(UsageError) -> ColorChoice {
    guard let v = options["--color"] else { return .auto }
    guard let choice = ColorChoice(rawValue: v) else { throw UsageError(message: "--color takes auto, always or never, got \"\(v)\"") }
    return choice
  }

  private static func positiveInt(_ text: String, _ flag: String) throws(UsageError) -> Int {
    guard let v = Int(text), v > 0 else { throw UsageError(message: "\(flag) takes a positive integer, got \"\(text)\"") }
    return v
  }

  /// Separates options from positional arguments.
  private static func split(
    _ args: inout [String], valued: [String], flags: [String], into options: inout [String: String], _ seen: inout Set<String>
  ) throws(UsageError) -> [String] {
    var positional: [String] = []
    var i = 0
    while i < args.count {
      let a = args[i]
      i += 1
      if a == "--" {
        positional.append(contentsOf: args[i...])
        break
      }
      guard a.hasPrefix("--") else { positional.append(a); continue }
      var name = a
      var inline: String?
      if let eq = a.firstIndex(of: "=") {
        name = String(a[..<eq])
        inline = String(a[a.index(after: eq)...])
      }
      if flags.contains(name) {
        guard inline == nil else { throw UsageError(message: "\(name) takes no value") }
        seen.insert(name)
      } else if valued.contains(name) {
        if let v = inline {
          options[name] = v
        } else {
          guard i < args.count else { throw UsageError(message: "\(name) needs a value") }
          options[name] = args[i]
          i += 1
        }
      } else {
        throw UsageError(message: "unknown option \(name)")
      }
    }
    return positional
  }
}
