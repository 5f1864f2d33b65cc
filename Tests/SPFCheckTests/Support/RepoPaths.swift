import Foundation

@testable import SPFCheck

/// Locations in the repository, model discovery, and fresh temporary folders for tests.
enum RepoPaths {
  /// The repository root: the nearest folder above this file that holds Package.swift.
  static let root: URL = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
      dir = dir.deletingLastPathComponent()
    }
    // Tests/SPFCheckTests/Support/RepoPaths.swift -> ../../../
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }()

  static var models: URL { root.appendingPathComponent("models") }
  static var counterexamples: URL { root.appendingPathComponent("counterexamples") }

  /// The absolute path of a repository-relative path.
  static func absolute(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  /// Every runnable model under models/ (recursively; files without "threads" are protocol
  /// files and are skipped), as repository-relative paths, sorted. Discovered at test time.
  static func runnableModels() -> [String] {
    let all = (FileManager.default.enumerator(atPath: models.path)?.allObjects as? [String] ?? [])
      .filter { $0.hasSuffix(".json") }.sorted()
    return all.map { "models/\($0)" }.filter { ModelLoader.isRunnableModel(path: absolute($0)) }
  }

  /// Every stored counterexample, as repository-relative paths, sorted.
  static func storedCounterexamples() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: counterexamples.path)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted().map { "counterexamples/\($0)" }
  }

  /// The `expect.verdict` string of a model file, if it declares one.
  static func expectedVerdict(_ relative: String) -> String? {
    guard let bytes = try? FileIO.read(absolute(relative)), let json = try? JSONParser.parse(bytes),
      case .string(let v)? = json["expect"]?["verdict"]
    else { return nil }
    return v
  }

  /// The built `spfcheck` executable: next to the test bundle, else under .build.
  static func binary() throws -> URL {
    var candidates: [URL] = []
    let argv0 = URL(fileURLWithPath: CommandLine.arguments[0])
    candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("spfcheck"))
    if let exe = Bundle.main.executableURL {
      candidates.append(exe.deletingLastPathComponent().appendingPathComponent("spfcheck"))
    }
    // On Darwin the bundle is X.xctest/Contents/MacOS/X.
    candidates.append(
      argv0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("spfcheck"))
    let build = root.appendingPathComponent(".build")
    candidates.append(build.appendingPathComponent("debug/spfcheck"))
    for triple in (try? FileManager.default.contentsOfDirectory(atPath: build.path)) ?? [] {
      candidates.append(build.appendingPathComponent(triple).appendingPathComponent("debug/spfcheck"))
    }
    for c in candidates {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: c.path, isDirectory: &isDir), !isDir.boolValue,
        FileManager.default.isExecutableFile(atPath: c.path)
      {
        return c
      }
    }
    throw HelperError("spfcheck binary not found; looked at: \(candidates.map(\.path).joined(separator: ", "))")
  }
}

/// A test-helper failure with a message.
struct HelperError: Error, CustomStringConvertible {
  var description: String
  init(_ message: String) { description = message }
}

/// A fresh, empty temporary folder, removed when the value is deallocated.
final class TempDir {
  let url: URL
  var path: String { url.path }

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("spfcheck-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// Writes `text` to `relative` inside the folder (creating subfolders) and returns its URL.
  @discardableResult
  func write(_ text: String, to relative: String) throws -> URL {
    let file = url.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: file)
    return file
  }

  func read(_ relative: String) throws -> String {
    try String(contentsOf: url.appendingPathComponent(relative), encoding: .utf8)
  }

  /// Copies a repository file or folder to `relative` inside this folder.
  func copy(fromRepo repoRelative: String, to relative: String) throws {
    let dest = url.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: RepoPaths.root.appendingPathComponent(repoRelative), to: dest)
  }

  /// Every regular file below the folder, relative, sorted.
  func files() -> [String] {
    let all = FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []
    return all.filter {
      var isDir: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path, isDirectory: &isDir) && !isDir.boolValue
    }.sorted()
  }
}
