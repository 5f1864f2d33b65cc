import Foundation
import Testing

/// Runs `body` on a thread of its own and returns its result, or records a failure and
/// returns nil when it has not finished after `seconds`: a lost wake-up between the
/// explorer's threads blocks on a semaphore, where Swift Testing's time limits cannot cancel
/// it, so the test would otherwise hang until CI gives up. (The blocked thread is left behind;
/// the process still ends with the other tests.)
func finishing<T: Sendable>(
  within seconds: Double, sourceLocation: SourceLocation = #_sourceLocation, _ body: @escaping @Sendable () throws -> T
) throws -> T? {
  let outcome = Outcome<T>()
  let finished = DispatchSemaphore(value: 0)
  let thread = Thread {
    outcome.result = Result { try body() }
    finished.signal()
  }
  thread.stackSize = 8 << 20
  thread.start()
  guard finished.wait(timeout: .now() + seconds) == .success else {
    Issue.record("not finished after \(seconds) s: a thread waits for a wake-up that never comes", sourceLocation: sourceLocation)
    return nil
  }
  return try outcome.result!.get()
}

/// What the thread of ``finishing(within:sourceLocation:_:)`` produced, read after it signals.
private final class Outcome<T>: @unchecked Sendable {
  var result: Result<T, any Error>?
}
