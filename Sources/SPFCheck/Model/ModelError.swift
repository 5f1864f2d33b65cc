/// A model that cannot be loaded: unreadable, not JSON, or not a valid model.
///
/// Every case names the file; `invalid` also names the JSON path and says what
/// was expected. `spfcheck` exits 65 on any of them.
public enum ModelError: Error, CustomStringConvertible, Sendable {
  /// The file could not be read.
  case unreadable(file: String, reason: String)
  /// The file is not valid JSON.
  case syntax(file: String, JSONSyntaxError)
  /// The JSON is not a valid model: `path` names the offending value.
  case invalid(file: String, path: String, message: String)
  /// An op failed at run time in a way the validator cannot rule out statically
  /// (an address held in a register fell outside the layout, a register held the wrong type).
  case runtime(file: String, path: String, message: String)

  public var description: String {
    switch self {
    case let .unreadable(file, reason): return "\(file): \(reason)"
    case let .syntax(file, error): return "\(file): invalid JSON at \(error)"
    case let .invalid(file, path, message): return "\(file): \(path): \(message)"
    case let .runtime(file, path, message): return "\(file): \(path): at run time: \(message)"
    }
  }
}
