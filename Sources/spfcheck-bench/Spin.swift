import Foundation

/// The figures of one SPIN pipeline run (`spin -a`, `gcc`, `./pan`) on `spin/spf.pml`.
struct SpinMeasurement: Sendable {
  var threads: Int
  var statesStored = 0
  var transitions = 0
  var stateVectorBytes = 0
  var depth = 0
  var errors = 0
  /// pan's own "total actual memory usage", in MiB.
  var panMemoryMiB = 0.0
  /// pan's peak resident set size from /usr/bin/time, in bytes (0 when unavailable).
  var panPeakBytes = 0
  /// pan's own elapsed time and rate.
  var panSeconds = 0.0
  var panStatesPerSecond = 0.0
  /// Wall time of each stage, measured here.
  var spinSeconds = 0.0
  var gccSeconds = 0.0
  var panWallSeconds = 0.0
  /// pan stopped early: out of memory, time limit or an incomplete search.
  var incomplete: String?

  var totalSeconds: Double { spinSeconds + gccSeconds + panWallSeconds }

  var verdict: String {
    if let why = incomplete { return "incomplete (\(why))" }
    return errors == 0 ? "verified" : "violation (\(errors) errors)"
  }
}

/// The SPIN comparison: builds and runs the Promela twin of the `spf-N` cases.
enum SpinBench {
  /// The compiler flags of the verifier (recorded in docs/performance.md).
  static let gccFlags = ["-O2", "-DSAFETY", "-DNOFAIR", "-DMEMLIM=8192"]
  /// The run flags of the verifier: maximum search depth.
  static let panFlags = ["-m100000"]

  /// The command lines of the pipeline for `n` fault threads, as shown in reports.
  static func commands(_ n: Int) -> [String] {
    [
      "spin -DNFAULT=\(n) -a spf.pml",
      "gcc \(gccFlags.joined(separator: " ")) -o pan pan.c",
      "./pan \(panFlags.joined(separator: " "))",
    ]
  }

  /// Finds `name` on PATH.
  static func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Runs the whole pipeline for `n` fault threads in a fresh temporary folder.
  static func run(threads n: Int, model: String, timeout: Int) throws -> SpinMeasurement {
    guard let spin = which("spin") else { throw RunError(description: "spin is not installed (apt-get install spin)") }
    guard let gcc = which("gcc") ?? which("cc") else { throw RunError(description: "no C compiler (gcc) on PATH") }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spfcheck-bench-spin-\(getpid())-\(n)").path
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.copyItem(atPath: model, toPath: dir + "/spf.pml")

    var m = SpinMeasurement(threads: n)
    var start = Date()
    let a = try Runner.run(spin, ["-DNFAULT=\(n)", "-a", "spf.pml"], in: dir)
    m.spinSeconds = Date().timeIntervalSince(start)
    guard a.status == 0 else { throw RunError(description: "spin -a failed:\n\(a.stdout)\(a.stderr)") }

    start = Date()
    let c = try Runner.run(gcc, gccFlags + ["-o", "pan", "pan.c"], in: dir)
    m.gccSeconds = Date().timeIntervalSince(start)
    guard c.status == 0 else { throw RunError(description: "gcc pan.c failed:\n\(c.stderr)") }

    // pan under timeout(1) for the time limit, and under /usr/bin/time for its peak RSS.
    var command = [dir + "/pan"] + panFlags
    if let t = which("timeout") { command = [t, String(timeout)] + command }
    let timeFile = dir + "/time.txt"
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/time") {
      command = ["/usr/bin/time", "-o", timeFile, "-f", "%M"] + command
    }
    start = Date()
    let p = try Runner.run(command[0], Array(command.dropFirst()), in: dir)
    m.panWallSeconds = Date().timeIntervalSince(start)
    parse(p.stdout, into: &m)
    if let text = try? String(contentsOfFile: timeFile, encoding: .utf8),
      let kb = text.split(separator: "\n").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }).last
    {
      m.panPeakBytes = kb * 1024
    }
    if p.status == 124 {
      m.incomplete = "time limit \(timeout)s"
    } else if p.stdout.contains("reached -DMEMLIM bound") || p.stdout.contains("out of memory") {
      m.incomplete = "memory limit"
    } else if p.stdout.contains("Search not completed") {
      m.incomplete = m.incomplete ?? "search not completed"
    } else if m.statesStored == 0 {
      throw RunError(description: "pan exited \(p.status) without statistics:\n\(p.stdout.suffix(600))")
    }
    return m
  }

  /// Reads pan's final statistics.
  static func parse(_ text: String, into m: inout SpinMeasurement) {
    func number(_ s: Substring) -> Double? { Double(s.trimmingCharacters(in: .whitespaces)) }
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if line.hasSuffix("states, stored"), let v = words.first.flatMap(number) {
        m.statesStored = Int(v)
      } else if line.contains("transitions (= stored+matched)"), let v = words.first.flatMap(number) {
        m.transitions = Int(v)
      } else if line.hasSuffix("total actual memory usage"), let v = words.first.flatMap(number) {
        m.panMemoryMiB = v
      } else if line.hasPrefix("pan: elapsed time"), words.count >= 4, let v = number(words[3]) {
        m.panSeconds = v
      } else if line.hasPrefix("pan: rate"), words.count >= 3, let v = number(words[2]) {
        m.panStatesPerSecond = v
      } else if line.hasPrefix("State-vector") {
        // "State-vector 148 byte, depth reached 245, errors: 0"
        if words.count >= 2, let v = number(words[1]) { m.stateVectorBytes = Int(v) }
        if let i = words.firstIndex(of: "reached"), i + 1 < words.count {
          m.depth = Int(words[i + 1].filter(\.isNumber)) ?? 0
        }
        if let last = words.last, let v = Int(last) { m.errors = v }
      } else if line.contains("max search depth too small") {
        m.incomplete = "max search depth too small"
      }
    }
  }
}
