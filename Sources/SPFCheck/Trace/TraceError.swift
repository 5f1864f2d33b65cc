/// A counterexample that cannot be read or does not replay.
public enum TraceError: Error, CustomStringConvertible, Sendable {
  /// The trace file could not be read.
  case unreadable(file: String)
  /// The trace file is not valid JSON.
  case syntax(file: String, JSONSyntaxError)
  /// The JSON is not a counterexample: `path` names the offending value.
  case invalid(file: String, path: String, message: String)
  /// The model changed since the trace was written.
  case modelChanged(file: String, model: String, recorded: String, actual: String)
  /// A scheduled step was not enabled, or named an unknown thread or branch.
  case notEnabled(file: String, step: Int, message: String)
  /// The schedule ran but did not reproduce the recorded violation.
  case diverged(file: String, message: String)

  public var description: String {
    switch self {
    case let .unreadable(file): return "\(file): cannot read the file"
    case let .syntax(file, e): return "\(file): invalid JSON at \(e)"
    case let .invalid(file, path, message): return "\(file): \(path): \(message)"
    case let .modelChanged(file, model, recorded, actual):
      return "\(file): the model \(model) changed since this counterexample was written (recorded sha256 \(recorded.prefix(12))…, now \(actual.prefix(12))…); re-run spfcheck explore to regenerate it"
    case let .notEnabled(file, step, message): return "\(file): step \(step): \(message)"
    case let .diverged(file, message): return "\(file): does not reproduce: \(message)"
    }
  }

  /// True for data errors (exit 65); false when the trace is well-formed but no longer reproduces (exit 2).
  public var isDataError: Bool {
    switch self {
    case .unreadable, .syntax, .invalid, .modelChanged: return true
    case .notEnabled, .diverged: return false
    }
  }
}
