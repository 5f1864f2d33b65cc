import Foundation
import Synchronization

/// Background threads that run the workers' share of every parallel expansion, kept for the
/// whole search.
///
/// A search hands out one round of work per shared level (``LevelExpansion``), and within a
/// round the workers and the calling thread wait for each other chunk by chunk (the ring of
/// batches, the next chunk to merge): many short waits. Posting work to Dispatch's global
/// queue and waiting on a `DispatchGroup`, as the batches before stop 21 did, put a thread to
/// sleep and woke it for every wait, each wake-up a futex and, on a virtual machine, an
/// interrupt between cores; `--jobs 2` lost about a tenth of a second to that per five million
/// states (performance.md, "Stop 21"). So both sides first spin on an atomic for a bounded
/// time (``spinLimit``), which covers the usual gap, and sleep on a semaphore only when it runs
/// out: a wake-up then costs what it did before.
/// With more threads than cores they do not spin: a spinning thread would take the core of
/// one with work (`--jobs 8` on two cores took 2.16 s instead of 1.72 s on `spf-4` at 2 M).
///
/// Rounds are strictly sequential: ``start(_:)`` runs `work(w)` on background worker w for
/// every w, and ``wait()`` returns once every one has returned. Call ``start(_:)`` again only
/// after ``wait()``, and ``stop()`` before dropping the pool.
final class WorkerPool: @unchecked Sendable {
  /// Background threads.
  let count: Int
  /// How long a side spins before it sleeps: ``spinLimit`` when every thread of the pool,
  /// the calling one too, can have a core, else zero.
  private let spin: Duration
  static let spinLimit: Duration = .microseconds(500)

  /// Bumped by ``start(_:)`` (release) after `work` is set; a worker runs a round when it
  /// sees a value it has not run (acquire).
  private let round = Atomic<Int>(0)
  /// Workers that finished the current round (each adds one, release).
  private let finished = Atomic<Int>(0)
  /// The current round's work, or nil to make the workers exit. Written only between
  /// rounds, before `round` is bumped.
  private var work: (@Sendable (Int) -> Void)?
  private let parked: [Parking]
  private let caller = Parking()

  /// A thread's sleep: its flag tells the other side to signal the semaphore. A signal the
  /// sleeper no longer needed leaves the semaphore one ahead, which costs one more check.
  private final class Parking: Sendable {
    let asleep = Atomic<Bool>(false)
    let semaphore = DispatchSemaphore(value: 0)

    /// Returns once `ready()` holds: spins up to `limit`, then sleeps until signalled,
    /// checking again after every wake-up.
    func await(spinning limit: Duration, _ ready: () -> Bool) {
      if ready() { return }
      let clock = ContinuousClock()
      let deadline = clock.now.advanced(by: limit)
      var spins = 0
      while !ready() {
        spins += 1
        if limit > .zero && (spins & 255 != 0 || clock.now < deadline) { continue }
        // Sequentially consistent, with the other side's store before its check of `asleep`:
        // either it sees the flag and signals, or this check sees its store.
        asleep.store(true, ordering: .sequentiallyConsistent)
        if !ready() { semaphore.wait() }
        asleep.store(false, ordering: .relaxed)
      }
    }

    /// Wakes the thread if it sleeps (call after the store that makes it ready).
    func wake() {
      if asleep.load(ordering: .sequentiallyConsistent) { semaphore.signal() }
    }
  }

  /// Starts `count` background threads, idle until the first ``start(_:)``.
  init(count: Int) {
    self.count = count
    spin = count + 1 <= ProcessInfo.processInfo.activeProcessorCount ? Self.spinLimit : .zero
    parked = (0..<count).map { _ in Parking() }
    for w in 0..<count {
      let thread = Thread { [self] in self.serve(as: w) }
      thread.name = "spfcheck worker \(w)"
      thread.start()
    }
  }

  /// Worker w's loop: runs each round's work, until a round has none.
  private func serve(as w: Int) {
    var seen = 0
    while true {
      parked[w].await(spinning: spin) { round.load(ordering: .acquiring) != seen }
      seen = round.load(ordering: .acquiring)
      guard let work else { break }
      work(w)
      finished.add(1, ordering: .sequentiallyConsistent)
      caller.wake()
    }
    finished.add(1, ordering: .sequentiallyConsistent)
    caller.wake()
  }

  /// Runs `work(w)` on every background worker w; returns at once.
  func start(_ work: @escaping @Sendable (Int) -> Void) {
    post(work)
  }

  /// Returns once every worker finished the round ``start(_:)`` began.
  func wait() {
    caller.await(spinning: spin) { finished.load(ordering: .acquiring) == count }
  }

  /// Makes the workers exit and waits for them to finish; the pool is unusable afterwards.
  func stop() {
    post(nil)
    wait()
  }

  /// Background worker `w` returns once `ready()` holds (spinning, then sleeping until
  /// ``wakeWorker(_:)`` or ``wakeWorkers()``).
  func awaitAsWorker(_ w: Int, until ready: () -> Bool) {
    parked[w].await(spinning: spin, ready)
  }

  /// The calling thread returns once `ready()` holds (spinning, then sleeping until
  /// ``wakeCaller()``).
  func awaitAsCaller(until ready: () -> Bool) {
    caller.await(spinning: spin, ready)
  }

  /// Wakes the calling thread if it sleeps in ``awaitAsCaller(until:)`` or ``wait()``; call
  /// after the store that may make it ready.
  func wakeCaller() {
    caller.wake()
  }

  /// Wakes background worker `w` if it sleeps in ``awaitAsWorker(_:until:)``; call after the
  /// store that may make it ready.
  func wakeWorker(_ w: Int) {
    parked[w].wake()
  }

  /// Wakes the background workers that sleep in ``awaitAsWorker(_:until:)``; call after the
  /// store that may make them ready.
  func wakeWorkers() {
    for p in parked { p.wake() }
  }

  private func post(_ work: (@Sendable (Int) -> Void)?) {
    self.work = work
    finished.store(0, ordering: .relaxed)
    round.add(1, ordering: .sequentiallyConsistent)
    wakeWorkers()
  }
}
