import Foundation

/// Loads a model file: parses it, resolves `include`s, validates everything and
/// compiles it into an immutable ``CompiledModel``.
///
/// Nothing is explored until the whole model is valid; every error names the
/// file, the JSON path and what was expected.
public enum ModelLoader {
  /// The top-level keys of a model file.
  static let modelKeys = [
    "format", "name", "description", "layout", "vmas", "pageTables", "ptes", "memory", "faults",
    "options", "include", "programs", "threads", "objects", "cells", "globals", "pageCache", "expect",
  ]
  /// The keys a protocol file (a file only meant to be included) may have.
  static let protocolKeys = ["format", "name", "description", "include", "programs"]

  /// Loads and compiles the model at `path`.
  public static func load(path: String) throws(ModelError) -> CompiledModel {
    let bytes: [UInt8]
    do { bytes = try FileIO.read(path) } catch { throw .unreadable(file: path, reason: "cannot read the file") }
    return try load(bytes: bytes, file: path)
  }

  /// Compiles a model from its bytes; `file` names it in messages and resolves includes.
  static func load(bytes: [UInt8], file: String) throws(ModelError) -> CompiledModel {
    let root = try parse(bytes: bytes, file: file)
    _ = try root.members(allowed: modelKeys, what: "a model")
    var programs: [String: (node: JSONNode, file: String)] = [:]
    var visited: [String] = [file]
    if let inc = root.child("include") {
      try collectIncludes(inc, from: file, programs: &programs, visited: &visited)
    }
    if let progs = root.child("programs") {
      try collectPrograms(progs, programs: &programs)
    }
    var builder = ModelBuilder(root: root, file: file, programs: programs)
    return try builder.build(modelBytes: bytes)
  }

  /// True when the file at `path` is a runnable model (it declares threads), not a protocol library.
  public static func isRunnableModel(path: String) -> Bool {
    guard let bytes = try? FileIO.read(path), let json = try? JSONParser.parse(bytes) else { return true }
    return json["threads"] != nil
  }

  static func parse(bytes: [UInt8], file: String) throws(ModelError) -> JSONNode {
    do {
      return JSONNode(json: try JSONParser.parse(bytes), path: "", file: file)
    } catch {
      throw .syntax(file: file, error)
    }
  }

  private static func collectIncludes(
    _ node: JSONNode, from file: String, programs: inout [String: (node: JSONNode, file: String)],
    visited: inout [String]
  ) throws(ModelError) {
    for item in try node.elements("a list of file paths") {
      let relative = try item.string("a file path")
      let resolved = URL(fileURLWithPath: relative, relativeTo: URL(fileURLWithPath: file).deletingLastPathComponent())
        .standardizedFileURL.path
      let shown = relativePath(resolved)
      if visited.contains(shown) { continue }
      visited.append(shown)
      let bytes: [UInt8]
      do { bytes = try FileIO.read(resolved) } catch {
        throw item.error("cannot read included file \"\(relative)\" (looked for \(shown))")
      }
      let root = try parse(bytes: bytes, file: shown)
      _ = try root.members(allowed: protocolKeys, what: "a protocol file")
      if let inc = root.child("include") {
        try collectIncludes(inc, from: shown, programs: &programs, visited: &visited)
      }
      if let progs = root.child("programs") {
        try collectPrograms(progs, programs: &programs)
      }
    }
  }

  private static func collectPrograms(
    _ node: JSONNode, programs: inout [String: (node: JSONNode, file: String)]
  ) throws(ModelError) {
    guard case .object(let members) = node.json else { throw node.error("expected programs (an object of op lists)") }
    for m in members {
      if m.key == "note" || m.key.hasPrefix("x-") { continue }
      let child = node.child(m.key)!
      if let existing = programs[m.key] {
        throw child.error("program \"\(m.key)\" is already defined in \(existing.file)")
      }
      programs[m.key] = (child, node.file)
    }
  }

  /// `path` relative to the current directory when it lies below it, for stable messages.
  static func relativePath(_ path: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    if absolute.hasPrefix(cwd + "/") { return String(absolute.dropFirst(cwd.count + 1)) }
    return absolute
  }
}
