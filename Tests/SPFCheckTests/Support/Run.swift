import Foundation

@testable import SPFCheck

/// What one run of the `spfcheck` binary produced.
struct RunOutput: CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String

  var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
  var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
}

/// Runs the built `spfcheck` binary with Foundation `Process`, capturing both streams.
enum Run {
  /// Runs `spfcheck args...` in `cwd`. Output goes through files in a private scratch folder,
  /// so large outputs never block on a full pipe and `cwd` gets nothing extra.
  static func spfcheck(_ args: [String], cwd: URL = RepoPaths.root) throws -> RunOutput {
    let scratch = try TempDir()
    let outURL = scratch.url.appendingPathComponent("stdout")
    let errURL = scratch.url.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = try RepoPaths.binary()
    process.arguments = args
    process.currentDirectoryURL = cwd
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return RunOutput(
      status: process.terminationStatus,
      stdout: try String(contentsOf: outURL, encoding: .utf8),
      stderr: try String(contentsOf: errURL, encoding: .utf8))
  }
}

/// Writes an inline model to a temporary file and loads it with `ModelLoader.load(path:)`.
enum InlineModel {
  static func load(_ json: String, name: String = "model.json") throws -> CompiledModel {
    let dir = try TempDir()
    let url = try dir.write(json, to: name)
    return try ModelLoader.load(path: url.path)
  }

  /// Explores an inline model with default options.
  static func explore(_ json: String, options: ExploreOptions = ExploreOptions()) throws -> ExploreResult {
    try Explorer(model: load(json), options: options).run()
  }
}

extension ExploreResult {
  /// The distinct invariant names found.
  var kinds: Set<String> { Set(findings.map(\.violation.invariant.rawValue)) }
}
