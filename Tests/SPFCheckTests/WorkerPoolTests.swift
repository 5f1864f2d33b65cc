import Foundation
import Synchronization
import Testing

@testable import SPFCheck

/// The explorer's background threads (``WorkerPool``): every round runs on every worker, and
/// neither side misses a wake-up, whether the other arrives while it spins or after it has
/// gone to sleep. A missed wake-up blocks, which ``finishing(within:_:)`` reports.
@Suite struct WorkerPoolTests {
  /// Many short rounds back to back: each worker runs each round exactly once, and `wait()`
  /// returns only after all of them. With one background worker the threads spin while they
  /// wait; with as many as the cores (the calling thread makes one more) they never spin and
  /// sleep at once.
  @Test(arguments: [1, ProcessInfo.processInfo.activeProcessorCount])
  func everyWorkerRunsEveryRoundOnce(workers: Int) throws {
    let wrongRounds = try finishing(within: 60) {
      let pool = WorkerPool(count: workers)
      defer { pool.stop() }
      let runs = Counters(workers)
      var wrong: [Int] = []
      for round in 1...2_000 {
        pool.start { w in runs.add(1, at: w) }
        pool.wait()
        if !(0..<workers).allSatisfy({ runs.value(at: $0) == round }) { wrong.append(round) }
      }
      return wrong
    }
    #expect(wrongRounds == [])
  }

  /// Rounds posted after the workers have gone to sleep (the gap outlasts the spin limit),
  /// and a caller that sleeps while a worker outlasts it: every wake-up arrives.
  @Test func sleepingSidesAreWoken() throws {
    let counts = try finishing(within: 60) {
      let pool = WorkerPool(count: 1)
      defer { pool.stop() }
      let runs = Counters(1)
      var counts: [Int] = []
      for _ in 1...5 {
        Thread.sleep(forTimeInterval: 0.003)
        pool.start { w in
          Thread.sleep(forTimeInterval: 0.003)
          runs.add(1, at: w)
        }
        pool.wait()
        counts.append(runs.value(at: 0))
      }
      return counts
    }
    #expect(counts == [1, 2, 3, 4, 5])
  }

  /// A worker waiting for a condition the caller sets later, after the worker went to sleep,
  /// and the caller waiting for the worker's answer: the ping-pong of the explorer's window.
  @Test func workerAndCallerWaitForEachOther() throws {
    let last = try finishing(within: 60) {
      let pool = WorkerPool(count: 1)
      defer { pool.stop() }
      let flags = Flags()
      pool.start { w in
        for i in 1...200 {
          pool.awaitAsWorker(w) { flags.ping.load(ordering: .acquiring) >= i }
          flags.pong.store(i, ordering: .releasing)
          pool.wakeCaller()
        }
      }
      for i in 1...200 {
        // Now and then long enough for the worker to fall asleep first.
        if i % 50 == 0 { Thread.sleep(forTimeInterval: 0.002) }
        flags.ping.store(i, ordering: .releasing)
        pool.wakeWorkers()
        pool.awaitAsCaller { flags.pong.load(ordering: .acquiring) >= i }
      }
      pool.wait()
      return flags.pong.load(ordering: .relaxed)
    }
    #expect(last == 200)
  }

  /// Per-worker counters, each written by one worker between `start` and `wait`.
  final class Counters: @unchecked Sendable {
    private let values: UnsafeMutableBufferPointer<Int>
    init(_ count: Int) { values = .allocate(capacity: count); values.initialize(repeating: 0) }
    deinit { values.deallocate() }
    func add(_ n: Int, at w: Int) { values[w] += n }
    func value(at w: Int) -> Int { values[w] }
  }

  /// Two atomics the test's closures share.
  final class Flags: Sendable {
    let ping = Atomic<Int>(0)
    let pong = Atomic<Int>(0)
  }
}
