import Foundation

/// File access used by the driver: whole-file reads and atomic writes.
enum FileIO {
  /// Reads a whole file as bytes.
  static func read(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw IOError(path: path, reason: "cannot read the file")
    }
    return [UInt8](data)
  }

  /// Writes `text` to `path` through a temporary file in the same folder and a rename,
  /// so a reader never sees a half-written file.
  static func writeAtomically(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let temp = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
    do {
      try Data(text.utf8).write(to: temp)
    } catch {
      try? FileManager.default.removeItem(at: temp)
      throw IOError(path: path, reason: "cannot write the file (\(error.localizedDescription))")
    }
    // rename(2) replaces an existing file atomically.
    guard rename(temp.path, url.path) == 0 else {
      try? FileManager.default.removeItem(at: temp)
      throw IOError(path: path, reason: "cannot rename the temporary file into place")
    }
  }
}

/// A file that could not be read or written.
public struct IOError: Error, CustomStringConvertible, Sendable {
  public var path: String
  public var reason: String
  public var description: String { "\(path): \(reason)" }
}
