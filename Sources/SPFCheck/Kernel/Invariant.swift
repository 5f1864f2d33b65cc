/// The built-in invariants, by their stable kebab-case names.
///
/// The names appear in counterexamples and in a model's `expect`; never rename one.
public enum Invariant: String, CaseIterable, Hashable, Sendable, Comparable {
  case useAfterFree = "use-after-free"
  case doubleFree = "double-free"
  case pageTableLeak = "page-table-leak"
  case pteOutsideVMA = "pte-outside-vma"
  case staleCommit = "stale-commit"
  case tornRead = "torn-read"
  case rcuEscape = "rcu-escape"
  case sleepInAtomic = "sleep-in-atomic"
  case emergencyReserve = "emergency-reserve"
  case lostMapping = "lost-mapping"
  case deadlock = "deadlock"
  case lockMisuse = "lock-misuse"
  case assertion = "assertion"
  case leak = "leak"

  public static func < (a: Invariant, b: Invariant) -> Bool { a.rawValue < b.rawValue }
}

/// One violation of an invariant, found by a step or by a state check.
struct Violation: Hashable, Sendable {
  var invariant: Invariant
  var message: String
  /// The thread whose step violated it, or nil for state checks (deadlock, quiescence).
  var thread: Int?
  /// Objects involved, as `vma#0`, `table#2`, ...
  var objects: [String]
}
