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
      if FileManager.default.fileExists(atPath: path) {
        _ = try FileManager.default.replaceItemAt(url, withItemAt: temp)
      } else {
        try FileManager.default.moveItem(at: temp, to: url)
      }
    } catch {
      try? FileManager.default.removeItem(at: temp)
      throw IOError(path: path, reason: "cannot write the file (\(error.localizedDescription))")
    }
  }
}

/// A file that could not be read or written.
public struct IOError: Error, CustomStringConvertible, Sendable {
  public var path: String
  public var reason: String
  public var description: String { "\(path): \(reason)" }
}
