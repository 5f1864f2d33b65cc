import Foundation

/// The command line of `spfcheck-bench`.
///
/// ```
/// spfcheck-bench [--cases a,b] [--max-states N] [--timeout S] [--spin] [--markdown]
///                [--jobs-case NAME] [--jobs-pairs N] [--spfcheck PATH] [--cases-dir DIR]
/// ```
struct BenchOptions: Sendable {
  /// The cases to run, in suite order.
  var cases: [BenchCase] = BenchCase.suite
  /// The per-case state cap passed to `spfcheck explore --max-states`.
  var maxStates = 5_000_000
  /// The per-run time limit in seconds, passed to `spfcheck explore --timeout` and to `timeout(1)` for SPIN.
  var timeout = 600
  /// Also run the SPIN pipeline for the `spf-N` cases.
  var spin = false
  /// Print markdown tables for docs/performance.md instead of plain text.
  var markdown = false
  /// The case the `--jobs 1` / `--jobs 2` variants run on; nil means the largest selected case.
  var jobsCase: String?
  /// How many alternated `--jobs 1` / `--jobs 2` pairs run on the jobs case; the speedup is
  /// the median of the pairs' ratios, so one slow minute of a noisy host does not decide it.
  var jobsPairs = 3
  /// The spfcheck binary; nil means the one next to this executable.
  var spfcheck: String?
  /// The folder that holds the case models and `spin/spf.pml`'s sibling `Cases/`.
  var casesDir: String?

  static let usage = """
    usage: spfcheck-bench [--cases a,b] [--max-states N] [--timeout S] [--spin] [--markdown]
                          [--jobs-case NAME] [--jobs-pairs N] [--spfcheck PATH] [--cases-dir DIR]
      --cases a,b      run only these cases (default: all of \(BenchCase.suite.map(\.name).joined(separator: ",")))
      --max-states N   per-run state cap for spfcheck, reported as "capped" (default 5000000)
      --timeout S      per-run time limit in seconds (default 600)
      --spin           also run SPIN (spin -a, gcc, pan) on the Promela twin of each spf-N case
      --markdown       print markdown tables (for docs/performance.md)
      --jobs-case NAME run the --jobs 1 / --jobs 2 variants on NAME (default: the largest selected case)
      --jobs-pairs N   run them as N alternated pairs; the speedup is the median ratio (default 3)
      --spfcheck PATH  the spfcheck binary (default: next to this executable)
      --cases-dir DIR  the folder of the case models (default: Sources/spfcheck-bench/Cases)
    exit status: 0 done, 64 usage, 70 a run could not be started or its output not read
    """

  /// A usage error with its message.
  struct UsageError: Error, CustomStringConvertible {
    var description: String
  }

  /// Parses the arguments after the program name.
  static func parse(_ args: [String]) throws -> BenchOptions {
    var o = BenchOptions()
    var i = 0
    func value(_ name: String) throws -> String {
      guard i < args.count else { throw UsageError(description: "\(name) needs a value") }
      defer { i += 1 }
      return args[i]
    }
    func positive(_ name: String) throws -> Int {
      let text = try value(name)
      guard let n = Int(text), n > 0 else { throw UsageError(description: "\(name) takes a positive integer, got \"\(text)\"") }
      return n
    }
    while i < args.count {
      let a = args[i]
      i += 1
      switch a {
      case "--cases":
        let names = try value(a).split(separator: ",").map(String.init)
        var chosen: [BenchCase] = []
        for name in names {
          guard let c = BenchCase.suite.first(where: { $0.name == name }) else {
            throw UsageError(description: "unknown case \"\(name)\"")
          }
          if !chosen.contains(where: { $0.name == name }) { chosen.append(c) }
        }
        // Keep suite order whatever order the names were given in.
        o.cases = BenchCase.suite.filter { c in chosen.contains { $0.name == c.name } }
      case "--max-states": o.maxStates = try positive(a)
      case "--timeout": o.timeout = try positive(a)
      case "--spin": o.spin = true
      case "--markdown": o.markdown = true
      case "--jobs-case": o.jobsCase = try value(a)
      case "--jobs-pairs": o.jobsPairs = try positive(a)
      case "--spfcheck": o.spfcheck = try value(a)
      case "--cases-dir": o.casesDir = try value(a)
      case "-h", "--help": throw UsageError(description: "")
      default: throw UsageError(description: "unknown option \"\(a)\"")
      }
    }
    if let j = o.jobsCase, !o.cases.contains(where: { $0.name == j }) {
      throw UsageError(description: "--jobs-case \(j) is not among the selected cases")
    }
    return o
  }
}

/// One case of the suite: a model file in `Cases/` and, for `spf-N`, its Promela twin.
struct BenchCase: Sendable {
  var name: String
  /// The number of SPF fault threads when the case has a SPIN twin (`spf.pml -DNFAULT=N`).
  var spinThreads: Int?

  /// The fixed suite, smallest to largest scenario family.
  static let suite: [BenchCase] = [
    BenchCase(name: "spf-2", spinThreads: 2),
    BenchCase(name: "spf-3", spinThreads: 3),
    BenchCase(name: "spf-4", spinThreads: 4),
    BenchCase(name: "vma-lock-2vma", spinThreads: nil),
    BenchCase(name: "leak-race", spinThreads: nil),
  ]
}

/// One way of running a case: the extra flags given to `spfcheck explore`.
struct Variant: Sendable {
  var name: String
  var flags: [String]

  static let standard: [Variant] = [
    Variant(name: "default", flags: []),
    Variant(name: "no reductions", flags: ["--no-por", "--no-symmetry"]),
    Variant(name: "fingerprint", flags: ["--fingerprint"]),
  ]
  static let jobs: [Variant] = [
    Variant(name: "jobs 1", flags: ["--jobs", "1"]),
    Variant(name: "jobs 2", flags: ["--jobs", "2"]),
  ]
}
