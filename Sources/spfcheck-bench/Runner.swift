import Foundation

/// The figures of one `spfcheck explore` run, read from its final `--progress json` line.
struct Measurement: Sendable {
  var states = 0
  var transitions = 0
  var seconds = 0.0
  var statesPerSecond = 0
  var peakMemoryBytes = 0
  /// Bytes held by the visited store, when the binary reports it.
  var storeBytes: Int?
  /// The exit status of `spfcheck explore`.
  var status: Int32 = 0
  /// True when the run stopped at the state cap (status 3 or 1 with `states` at the cap).
  var capped = false

  /// The verdict column: verified, violation, capped, or the unexpected status.
  var verdict: String {
    switch status {
    case 0: return "verified"
    case 1: return capped ? "violation (capped)" : "violation"
    case 3: return capped ? "capped" : "incomplete (time limit)"
    default: return "error (exit \(status))"
    }
  }

  /// Bytes per stored state and what they measure: the visited store when reported, else the peak RSS.
  var bytesPerState: (value: Double, label: String)? {
    guard states > 0 else { return nil }
    if let store = storeBytes { return (Double(store) / Double(states), "store") }
    return (Double(peakMemoryBytes) / Double(states), "peak RSS")
  }
}

/// The outcome of one variant of one case.
enum RunOutcome: Sendable {
  case measured(Measurement)
  /// The binary rejected a flag of the variant (usage error, exit 64).
  case unsupported
  /// The run was skipped (e.g. `--jobs` variants on cases other than the largest).
  case skipped
}

/// A failure to run a child process or to read its output.
struct RunError: Error, CustomStringConvertible {
  var description: String
}

/// Runs child processes and collects their output.
enum Runner {
  /// The captured result of a child process.
  struct Output: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs `executable` with `arguments` in `directory`, waits for it, and returns its output.
  ///
  /// stdout and stderr go to temporary files, so a chatty child can never block on a full pipe.
  static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> Output {
    let tmp = FileManager.default.temporaryDirectory
    let tag = "spfcheck-bench-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))"
    let outURL = tmp.appendingPathComponent(tag + ".out")
    let errURL = tmp.appendingPathComponent(tag + ".err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
      try? FileManager.default.removeItem(at: outURL)
      try? FileManager.default.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let d = directory { process.currentDirectoryURL = URL(fileURLWithPath: d) }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw RunError(description: "cannot start \(executable): \(error)")
    }
    process.waitUntilExit()
    try? outHandle.close()
    try? errHandle.close()
    let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
  }

  /// Runs `spfcheck explore` on `model` with the variant's flags, in its own process so the
  /// peak memory is this case's alone.
  static func explore(spfcheck: String, model: String, variant: Variant, maxStates: Int, timeout: Int) throws -> RunOutcome {
    let args = ["explore", model, "--no-write", "--quiet", "--progress", "json",
                "--max-states", String(maxStates), "--timeout", String(timeout)] + variant.flags
    let out = try run(spfcheck, args)
    if out.status == 64 { return .unsupported }
    guard var m = finalLine(out.stderr) else {
      let tail = out.stderr.split(separator: "\n").suffix(3).joined(separator: "\n")
      throw RunError(description: "spfcheck \(args.joined(separator: " ")) exited \(out.status) without a final JSON line:\n\(tail)")
    }
    m.status = out.status
    m.capped = m.states >= maxStates
    return .measured(m)
  }

  /// Parses the last JSON object line of `--progress json` output.
  static func finalLine(_ stderr: String) -> Measurement? {
    let lines = stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
    guard let last = lines.last, let data = String(last).data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    func int(_ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
    var m = Measurement()
    m.states = int("states") ?? 0
    m.transitions = int("transitions") ?? 0
    m.seconds = (object["seconds"] as? NSNumber)?.doubleValue ?? 0
    m.statesPerSecond = int("statesPerSecond") ?? 0
    m.peakMemoryBytes = int("peakMemoryBytes") ?? 0
    m.storeBytes = int("storeBytes")
    return m
  }

  /// The spfcheck binary: `--spfcheck`, else `spfcheck` in this executable's folder.
  static func locateSpfcheck(_ override: String?) throws -> String {
    if let o = override { return o }
    var candidates: [String] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      candidates.append((exe as NSString).deletingLastPathComponent + "/spfcheck")
    }
    let arg0 = CommandLine.arguments[0]
    if arg0.contains("/") { candidates.append((arg0 as NSString).deletingLastPathComponent + "/spfcheck") }
    for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
    throw RunError(description: "no spfcheck binary next to spfcheck-bench (looked at \(candidates.joined(separator: ", "))); build it with `swift build -c release` or pass --spfcheck PATH")
  }

  /// The source folder of this target (`Sources/spfcheck-bench`), found from this file's path.
  static var sourceDir: String {
    (#filePath as NSString).deletingLastPathComponent
  }
}
