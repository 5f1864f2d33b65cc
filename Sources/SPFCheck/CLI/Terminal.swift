import Foundation

/// What the terminal renderings may use: colour and total width, decided from the command
/// line, whether stdout is a terminal, and the environment (`NO_COLOR`, `COLUMNS`).
struct Terminal: Equatable, Sendable {
  /// The default total width when neither `--width` nor `COLUMNS` gives one.
  static let defaultWidth = 120

  /// ANSI colour on or off.
  var color: Bool
  /// The total width rows must fit in.
  var width: Int

  /// Colour follows <https://no-color.org>: `always` and `never` are obeyed; `auto` colours only
  /// when stdout is a terminal and `NO_COLOR` is unset or empty. The width is `--width`, else a
  /// positive `COLUMNS`, else ``defaultWidth``.
  init(color choice: ColorChoice, width explicit: Int?, stdoutIsTerminal: Bool, environment: [String: String]) {
    switch choice {
    case .always: color = true
    case .never: color = false
    case .auto: color = stdoutIsTerminal && (environment["NO_COLOR"] ?? "").isEmpty
    }
    if let w = explicit {
      width = w
    } else if let text = environment["COLUMNS"], let w = Int(text), w > 0 {
      width = w
    } else {
      width = Self.defaultWidth
    }
  }

  /// The terminal settings of this process for `choice` and `width`.
  static func current(color choice: ColorChoice, width: Int?) -> Terminal {
    Terminal(color: choice, width: width, stdoutIsTerminal: isatty(1) != 0, environment: ProcessInfo.processInfo.environment)
  }
}
