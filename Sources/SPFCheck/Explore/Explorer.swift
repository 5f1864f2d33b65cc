import Foundation
import Synchronization

/// One scheduling choice: which thread stepped (or the grace-period environment
/// step) and which branch of that step was taken.
public struct Choice: Hashable, Sendable {
  /// The thread index, or ``Choice/gracePeriod`` for the environment's RCU step.
  public var thread: Int
  /// The branch taken: 0 normally; 1 for an injected allocation failure or the jump of `choose`.
  public var branch: Int
  public static let gracePeriod = -1
}

/// Where a violation was detected.
public enum FindingSite: String, Sendable {
  /// By the last step of the schedule.
  case step
  /// In the state reached, where no step is enabled.
  case deadlock
  /// At quiescence, after the schedule and the drain of RCU callbacks.
  case quiescence
}

/// A violation together with the schedule that reaches it from the initial state.
struct Finding: Sendable {
  var violation: Violation
  var schedule: [Choice]
  var site: FindingSite
}

/// Bounds and switches for one exploration.
public struct ExploreOptions: Sendable {
  public var maxStates: Int?
  public var maxDepth: Int?
  public var timeout: Double?
  /// Keep every distinct violation (kind and message), not only the first of each kind.
  public var all = false
  /// Called about four times a second with the figures so far (and the queue length).
  public var progress: (@Sendable (Statistics, Int) -> Void)?
  /// Partial-order reduction by independent steps (`--no-por` turns it off).
  public var partialOrder = true
  /// With `partialOrder`, also treat ops on objects private to a thread as independent
  /// (``PartialOrder``); off, only thread-local ops are (the rule before; tests compare them).
  var privateObjects = true
  /// Symmetry reduction over threads declared with `count: N` (`--no-symmetry`).
  public var symmetry = true
  /// Reuse the outcome of a move already run from the same components instead of running
  /// it again (``TransitionCache``; `--no-cache`). Changes no result, only the time.
  public var transitionCache = true
  /// With `transitionCache`, also run every move the cache answers and check that both give
  /// the same successor (``Expander``): on in debug builds, off in release builds. Tests turn
  /// it off to run, in a debug build, the path a release build takes, where a hit runs nothing.
  var checkCacheHits = ExploreOptions.isDebugBuild
  static var isDebugBuild: Bool {
    var debug = false
    assert({ debug = true; return true }())
    return debug
  }
  /// Worker threads expanding states (`--jobs N`); results do not depend on it.
  public var jobs = 1
  /// Hash compaction: store 64-bit fingerprints instead of full states (`--fingerprint`).
  public var fingerprint = false
  /// Frontier states per chunk, the unit the workers share and the merge takes (tests lower
  /// it to cut small levels into many chunks).
  var chunkSize = Explorer.chunkSize
  /// Chunks the workers may expand ahead of the merge (tests lower it to make them wait).
  var window = Explorer.window
  public init() {}
}

/// The verdict of an exploration.
public enum Verdict: Equatable, Sendable {
  case verified
  case violation
  /// A bound stopped the search before it was exhaustive and no violation was found.
  case incomplete(String)

  public var name: String {
    switch self {
    case .verified: return "verified"
    case .violation: return "violation"
    case .incomplete: return "incomplete"
    }
  }
}

/// Figures of one exploration.
public struct Statistics: Sendable {
  public var states = 0
  public var transitions = 0
  public var maxDepth = 0
  public var seconds = 0.0
  public var peakMemoryBytes = 0
  /// Terminal states cut because a thread reached its retry limit.
  public var retryLimitHits = 0
  /// Bytes held by the visited store (hash table, and the state arena in exact mode).
  public var storeBytes = 0
  /// Bytes held by the trace log (parent, move and 32-bit hash per state).
  public var traceBytes = 0
  /// Fingerprint mode: the estimated probability that some state was missed.
  public var omissionProbability = 0.0
  /// States each worker expanded (one entry per `--jobs` worker; the last is the calling
  /// thread), counted as their chunks are merged. Workers claim chunks as they go, so the
  /// split varies from run to run; the sum is the number of expanded states whose successors
  /// were merged, and in a parallel level every worker expands its own chunk.
  public var expandedByWorker: [Int] = []
  /// Levels shared between the workers; 0 with one worker, and a level with fewer chunks
  /// (``ExploreOptions/chunkSize``) than workers is expanded by the calling thread alone.
  public var parallelLevels = 0
  /// Moves whose successor the transition cache gave (``TransitionCache``; debug builds
  /// count the hits they check instead). Workers see one another's moves only from the next
  /// level on, so this varies with `--jobs` and, with several workers, from run to run; no
  /// other figure does.
  public var cachedMoves = 0
  /// Of ``cachedMoves``, those whose coalescing had asked whether an object is private: the
  /// cache gave them only where another thread named each object as before (``PrivacyReads``).
  public var cachedMovesAskingPrivacy = 0
  /// Grace periods whose successor the grace-period cache gave (``GracePeriodCache``; debug
  /// builds count the hits they check instead); varies with `--jobs` as ``cachedMoves`` does.
  public var cachedGracePeriods = 0
  /// Moves run afresh whose successor symmetry reordered, which the cache then recorded as
  /// they were before the renaming (their later occurrences reorder the cached successor).
  public var reorderedMovesLearned = 0
  public var statesPerSecond: Double { seconds > 0 ? Double(states) / seconds : 0 }
}

/// The outcome of an exploration.
struct ExploreResult: Sendable {
  var verdict: Verdict
  var findings: [Finding]
  var stats: Statistics
  /// Which ops some explored interleaving attempted.
  var coverage: Coverage
}


/// Explores every interleaving of a model's threads (and RCU grace periods, and
/// allocation outcomes) breadth-first, so the first counterexample found for each
/// invariant is a shortest one (in reduced transitions).
///
/// The search runs level by level, in chunks of the frontier. Workers (`jobs`) expand
/// disjoint chunks in parallel; one merge then inserts their successors into the visited
/// store in frontier order. The order is therefore the sequential one whatever the number
/// of workers: threads in declaration order, then the grace period; branches in index order.
/// The store's hash table decides membership only.
///
/// With several workers the merge is pipelined (``LevelExpansion``): while the calling
/// thread merges one chunk, the workers go on expanding the later chunks of the same level.
/// They read only what the level cannot change: its frontier and the components stored
/// before it (``LevelComponents``); components first met in the level are folded into the
/// store when the level ends.
struct Explorer {
  let model: CompiledModel
  let options: ExploreOptions

  /// Frontier states per chunk: small enough to even out the work between the workers,
  /// large enough that claiming a chunk and merging its batch cost little.
  static let chunkSize = 64

  /// How many chunks the workers may run ahead of the merge (the ring of batches): about
  /// 30 ms of one worker's work, which keeps it going through most pauses of the merge
  /// (growing the state store takes 30-110 ms on `spf-4` at 5 M states), at 20-40 KB a
  /// chunk. (On `spf-4` at the 5 M cap with `--jobs 2`, 128 chunks left the worker waiting
  /// 0.39 s, 512 0.16 s and 2048 0.12 s, for 50 MB more at the peak; performance.md, "Stop 21".)
  static let window = 512

  /// Runs the search to completion or to a bound.
  ///
  /// - Complexity: O(S × T × B) steps for S reachable (reduced) states, T threads, B
  ///   branches per step; memory O(S) encoded states (exact) or O(S) fingerprints.
  func run() throws -> ExploreResult {
    let start = Date()
    var lastReport = start
    let jobs = max(1, options.jobs)
    let expanders = Slots((0..<jobs).map { w in
      Expander(
        model: w == 0 ? model : model.replica(), por: options.partialOrder, privateObjects: options.privateObjects,
        symmetry: options.symmetry, transitionCache: options.transitionCache, checkHits: options.checkCacheHits)
    })
    defer { _ = expanders.take() }
    let decoded = Slots(Array(repeating: DecodedState(), count: jobs))
    defer { _ = decoded.take() }
    let threads = jobs > 1 ? WorkerPool(count: jobs - 1) : nil
    defer { threads?.stop() }
    // The moves the workers learned (``TransitionCache``): during a level they read it and
    // publish into it through a view, so it is never copied (a copy would not see them).
    var learned = TransitionCache()
    var components = VisitedStore(mode: .exact)
    var search = Search(explorer: self, jobs: jobs)
    // Batches for the chunks in flight, kept with their storage: a chunk's batch grows to
    // the size of its output (its items, their vectors and arena bytes: a few per successor),
    // and growing fresh arrays for every chunk cost a malloc and a memcpy per doubling (for
    // `BatchItem`s alone about 1.4 % of the instructions with one job).
    let empty = Batch(reached: model.threads.map { [Bool](repeating: false, count: $0.code.count) })
    // (At least a chunk per worker: each starts with its own.)
    let ring = Slots(Array(repeating: empty, count: jobs > 1 ? max(jobs, options.window) : 1))
    defer { _ = ring.take() }
    var frontier = Frontier(width: search.width, firstID: 0)

    var initial = model.initial
    var root = Batch(reached: [])
    expanders.at(0).pointee.storeRoot(&initial, into: &root)
    var fresh = components.withReader { reader in
      var level = LevelComponents(stored: reader)
      search.admitRoot(root, &level, into: &frontier)
      return level.fresh
    }
    components.absorb(fresh)
    search.close(&frontier)

    // The merge writes each candidate's vector here.
    let scratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: search.width)
    defer { scratch.deallocate() }
    var depth = 0
    while !frontier.isEmpty && !search.stopped {
      let atBound = options.maxDepth.map { depth >= $0 } ?? false
      let current = frontier
      var next = Frontier(width: search.width, firstID: Int32(search.store.count))
      // No worker runs: the moves each kept in its own cache (its window in the shared one
      // was full) go to the shared one, which counts those published there and grows. (One
      // worker keeps its own cache: sharing would only add a second lookup to its misses.)
      if options.transitionCache && jobs > 1 {
        for w in 0..<jobs { expanders.at(w).pointee.handOverMoves(to: &learned) }
        let view = learned.view
        for w in 0..<jobs { expanders.at(w).pointee.read(learned: view) }
      }
      fresh = try components.withReader { reader in
        var level = LevelComponents(stored: reader)
        let expansion = expand(
          current, atDepthBound: atBound, components: reader, with: expanders, decoded, threads: threads, ring: ring)
        // Every exit stops the workers once they finish their chunks: they read `reader` and
        // `current`.
        defer { expansion.finish() }
        if expansion.parallel { search.stats.parallelLevels += 1 }
        for m in 0..<expansion.chunks {
          let (batch, worker) = expansion.awaitChunk(m)
          search.stats.expandedByWorker[worker] += batch.pointee.expanded
          try search.merge(
            batch.pointee, first: expansion.firstState(of: m), of: current, depth: depth, level: &level,
            into: &next, scratch: scratch)
          expansion.release(m)
          if search.stopped { break }
          let now = Date()
          if let timeout = options.timeout, now.timeIntervalSince(start) > timeout {
            search.stop("time bound \(timeout)s reached")
            break
          }
          if let report = options.progress, now.timeIntervalSince(lastReport) >= 0.25 {
            lastReport = now
            report(
              search.figures(seconds: now.timeIntervalSince(start), componentBytes: components.bytes + level.fresh.bytes),
              current.count - expansion.firstState(of: m + 1) + next.count)
          }
        }
        return level.fresh
      }
      components.absorb(fresh)
      search.close(&next)
      frontier = next
      depth += 1
    }
    let stats = search.figures(seconds: Date().timeIntervalSince(start), componentBytes: components.bytes)
    let verdict: Verdict
    if !search.findings.isEmpty {
      verdict = .violation
    } else if let reason = search.incomplete {
      verdict = .incomplete(reason)
    } else {
      verdict = .verified
    }
    let findings = search.findings.sorted {
      ($0.violation.invariant, $0.schedule.count) < ($1.violation.invariant, $1.schedule.count)
    }
    return ExploreResult(
      verdict: verdict, findings: findings, stats: stats, coverage: Coverage(model: model, reached: search.reached))
  }

  /// Starts expanding the level `frontier` (see ``LevelExpansion``): in parallel, when there
  /// are `threads` and a chunk for every worker, the background workers start now and the
  /// calling thread expands chunks while it waits for the next one to merge; otherwise the
  /// calling thread expands each chunk when it waits for it.
  ///
  /// The workers read `frontier` and `components` until the expansion is finished. Chunk
  /// outputs go to the batches of `ring`, which must be empty.
  ///
  /// - Complexity: O(count × T × B) steps, shared between the workers.
  private func expand(
    _ frontier: Frontier, atDepthBound: Bool, components: VisitedStore.Reader, with expanders: Slots<Expander>,
    _ decoded: Slots<DecodedState>, threads: WorkerPool?, ring: Slots<Batch>
  ) -> LevelExpansion {
    /// Expands frontier states `lo..<hi` with worker `w`'s expander into `batch` (empty).
    let expandChunk: @Sendable (Int, Int, Int, inout Batch) -> Void = { lo, hi, w, batch in
      frontier.withVectors { vectors in
        // Consecutive frontier states are mostly siblings: decode only the components
        // whose ids differ from the previous state's, into the same state, which the worker
        // keeps from chunk to chunk (moved out and back, not copied, so that it stays unshared).
        var s = State()
        swap(&s, &decoded.at(w).pointee.state)
        defer { swap(&s, &decoded.at(w).pointee.state) }
        var previousVector: UnsafeBufferPointer<UInt32>?
        for i in lo..<hi {
          let vector = vectors[i]
          if let previousVector {
            s.replaceComponents(
              vector: vector, previousVector: previousVector, components: components, memo: &decoded.at(w).pointee.memo)
          } else if decoded.at(w).pointee.vector.count == vector.count {
            decoded.at(w).pointee.vector.withUnsafeBufferPointer {
              s.replaceComponents(
                vector: vector, previousVector: $0, components: components, memo: &decoded.at(w).pointee.memo)
            }
          } else {
            s = State(vector: vector, components: components)
            s.written = .all
          }
          // The transition-cache entries the next state's moves will look up, fetched while
          // this state expands: a lookup that waited for its entry took 13 % of one worker's
          // time on spf-4, 4 % with this.
          if i + 1 < hi {
            expanders.at(w).pointee.prefetchMoves(
              of: vectors[i + 1])
          }
          do throws(ModelError) {
            // `written` holds the parts decoded since the last state this worker expanded:
            // the expander's successor loads only those.
            try expanders.at(w).pointee.expand(
              s, changed: s.written, vector: vector, components: components, source: Int32(i - lo),
              atDepthBound: atDepthBound, into: &batch)
          } catch {
            batch.error = error
            // The expander's successor may no longer match `s`: the next chunk starts afresh.
            decoded.at(w).pointee.vector = []
            return
          }
          s.written = State.Written()
          batch.expanded += 1
          previousVector = vector
        }
        if let previousVector {
          decoded.at(w).pointee.vector.removeAll(keepingCapacity: true)
          decoded.at(w).pointee.vector.append(contentsOf: previousVector)
        }
      }
    }
    return LevelExpansion(
      states: frontier.count, chunkSize: max(1, options.chunkSize), workers: expanders.count, threads: threads,
      ring: ring, expandChunk: expandChunk)
  }

  /// Peak resident set size of this process (`VmHWM` in /proc/self/status), 0 when unknown.
  static func peakMemoryBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let digits = line.filter(\.isNumber)
      return (Int(digits) ?? 0) * 1024
    }
    return 0
  }
}

/// The states of one breadth-first level still to expand, as component vectors.
///
/// Their ids are consecutive: the merge hands out ids in the order it adds states, and every
/// new state of a level goes to the next frontier. So a frontier keeps its first id, not one
/// per state; and in exact mode, where the store keeps every state's vector in id order, the
/// frontier reads the vectors where the store keeps them once the level ends
/// (``Search/close(_:)``) instead of holding copies (appending them state by state cost over a
/// hundred instructions per state, copying them in one go wrote them again to fresh pages).
struct Frontier: Sendable {
  /// Components per state.
  let width: Int
  /// The id of the first state.
  let firstID: Int32
  /// Fingerprint mode: the states' vectors, `width` ids each, in order.
  private var vectors: [UInt32] = []
  /// Exact mode, once closed: the state store's entries, where the states' vectors are (by
  /// id, from `firstID` on). Read while the merge stores the next level, which never moves
  /// them (``EntrySegments``); valid while the store lives, which outlives every frontier of
  /// its search.
  private var stored: EntrySegments.View?
  private(set) var count = 0

  init(width: Int, firstID: Int32) {
    self.width = width
    self.firstID = firstID
  }

  var isEmpty: Bool { count == 0 }

  /// Adds the next state. Its vector is copied now unless `stored` (exact mode: the store
  /// keeps it, and the frontier reads it there once closed, ``close(entries:)``).
  mutating func append(_ vector: UnsafeBufferPointer<UInt32>, stored: Bool) {
    if !stored { vectors.append(contentsOf: vector) }
    count += 1
  }

  /// Exact mode: completes the frontier with the store's `entries`, where its vectors are.
  mutating func close(entries: EntrySegments.View) {
    precondition(entries.entryBytes == width * MemoryLayout<UInt32>.stride, "entries of another width")
    stored = entries
  }

  /// Vectors `width` ids each, in order.
  struct Vectors {
    fileprivate let contiguous: UnsafePointer<UInt32>?
    fileprivate let stored: EntrySegments.View?
    fileprivate let firstID: Int
    let width: Int

    /// The vector of state `i` of the frontier.
    @inline(__always)
    subscript(i: Int) -> UnsafeBufferPointer<UInt32> {
      if let contiguous { return UnsafeBufferPointer(start: contiguous + i * width, count: width) }
      return UnsafeBufferPointer(
        start: stored.unsafelyUnwrapped.entry(firstID + i).assumingMemoryBound(to: UInt32.self), count: width)
    }
  }

  /// Runs `body` with the frontier's vectors (exact mode: once closed).
  func withVectors<R>(_ body: (Vectors) throws -> R) rethrows -> R {
    if let stored { return try body(Vectors(contiguous: nil, stored: stored, firstID: Int(firstID), width: width)) }
    return try vectors.withUnsafeBufferPointer {
      precondition($0.count == count * width, "an exact-mode frontier read before it is closed")
      return try body(Vectors(contiguous: $0.baseAddress, stored: nil, firstID: 0, width: width))
    }
  }
}

/// What the search has found so far: the visited store, the trace, the figures and the
/// findings, which the merge updates batch by batch in frontier order.
///
/// (A struct with mutating methods, not variables captured by closures: those would be
/// boxed and every access checked for exclusivity at run time.)
private struct Search {
  let explorer: Explorer
  /// Components per state.
  let width: Int
  var store: VisitedStore
  var trace = TraceLog()
  var stats = Statistics()
  var findings: [Finding] = []
  /// Why the search is incomplete: a bound cut it.
  private(set) var incomplete: String?
  /// A state or time bound stopped the search (a depth bound only cuts the last level).
  private(set) var stopped = false
  /// Per thread, per pc: attempted by some explored step.
  var reached: [[Bool]]
  /// The store keeps the states' encodings (their vectors), so frontiers copy them from it.
  private var exact: Bool { store.mode == .exact }

  init(explorer: Explorer, jobs: Int) {
    let model = explorer.model
    self.explorer = explorer
    width = State.componentCount(threads: model.threads.count)
    // A state is its vector of `width` 32-bit component ids.
    store = VisitedStore(mode: explorer.options.fingerprint ? .fingerprint : .exact, entryBytes: width * 4)
    reached = model.threads.map { [Bool](repeating: false, count: $0.code.count) }
    stats.expandedByWorker = Array(repeating: 0, count: jobs)
  }

  /// Stores the initial state (a batch of one candidate with no parent) as state 0.
  mutating func admitRoot(_ root: Batch, _ level: inout LevelComponents, into frontier: inout Frontier) {
    var vector = [UInt32](repeating: 0, count: width)
    let hash = vector.withUnsafeMutableBufferPointer { vector in
      root.vectors.withUnsafeBufferPointer { ids in
        admit(ids.baseAddress!, firstPending: 0, hash: 0, of: root, &level, into: vector)!
      }
    }
    trace.append(parent: -1, move: .root, hash: hash)
    vector.withUnsafeBufferPointer { frontier.append($0, stored: exact) }
  }

  /// Writes a candidate's vector to `vector` (its `width` ids at `ids`, with its pending
  /// components, from the batch's `firstPending` on, interned), and inserts it; returns its
  /// hash when new. `known` is the vector's hash when the worker computed it, else 0.
  ///
  /// Everything goes through pointers the merge takes once per batch: writing the ids into an
  /// array element by element checked the array's uniqueness on every component.
  @inline(__always)
  private mutating func admit(
    _ ids: UnsafePointer<UInt32>, firstPending: Int, hash known: UInt64, of batch: Batch,
    _ level: inout LevelComponents, into vector: UnsafeMutableBufferPointer<UInt32>
  ) -> UInt64? {
    var p = firstPending
    for k in 0..<width {
      let id = ids[k]
      if id != Expander.pending {
        vector[k] = id
        continue
      }
      let c = batch.pending[p]
      p += 1
      vector[k] = UInt32(batch.arena.withUnsafeBytes {
        level.intern(fresh: UnsafeRawBufferPointer(rebasing: $0[Int(c.start)..<Int(c.end)]), hash: c.hash)
      })
    }
    let raw = UnsafeRawBufferPointer(vector)
    let hash = known != 0 ? known : StateHash.hash(raw)
    assert(hash == StateHash.hash(raw), "a worker hashed a candidate's vector differently")
    return store.insert(raw, hash: hash) ? hash : nil
  }

  /// Merges one chunk of `frontier` whose first state is `first` (its batch): new states go
  /// to the store, the trace and `next`, violations to `findings`. Stops at the state bound;
  /// throws the chunk's model error once the items before it are merged.
  ///
  /// A batch's items and vectors are read through pointers, so no index is bounds-checked.
  mutating func merge(
    _ batch: Batch, first: Int, of frontier: Frontier, depth: Int, level: inout LevelComponents,
    into next: inout Frontier, scratch vector: UnsafeMutableBufferPointer<UInt32>
  ) throws {
    stats.retryLimitHits += batch.retryLimitHits
    stats.cachedMoves += batch.cachedMoves
    stats.cachedMovesAskingPrivacy += batch.cachedMovesAskingPrivacy
    stats.cachedGracePeriods += batch.cachedGracePeriods
    stats.reorderedMovesLearned += batch.reorderedMovesLearned
    for (t, pc) in batch.reachedOrder { reached[t][pc] = true }
    let bounded = try batch.items.withUnsafeBufferPointer { items in
      try batch.vectors.withUnsafeBufferPointer { ids in
        try merge(items, ids: ids, of: batch, first: first, of: frontier, depth: depth, level: &level,
          into: &next, scratch: vector)
      }
    }
    if bounded { return }
    if let error = batch.error { throw error }
  }

  /// Merges the items of `batch` (`items`, its vectors `ids`), with `vector` as scratch for
  /// the candidate's vector; returns true when the state bound stopped the search.
  @inline(__always)
  private mutating func merge(
    _ items: UnsafeBufferPointer<BatchItem>, ids: UnsafeBufferPointer<UInt32>, of batch: Batch, first: Int,
    of frontier: Frontier, depth: Int, level: inout LevelComponents, into next: inout Frontier,
    scratch vector: UnsafeMutableBufferPointer<UInt32>
  ) throws -> Bool {
    // How many candidates ahead the store slot is prefetched: enough to cover a miss to
    // memory while the candidates in between are merged.
    let ahead = 8
    for i in items.indices {
      if i + ahead < items.count {
        let hash = (items.baseAddress! + i + ahead).pointee.hash
        if hash != 0 { store.prefetch(hash: hash) }
      }
      let item = items.baseAddress! + i
      let sourceID = frontier.firstID + Int32(first) + item.pointee.source
      switch item.pointee.kind {
      case .candidate:
        // Counted per merged item (not per batch) so a run cut by --max-states reports the
        // same transitions whatever --jobs is.
        let move = item.pointee.move
        stats.transitions += 1 + Int(move.coalesced)
        guard
          let hash = admit(
            ids.baseAddress! + Int(item.pointee.vector), firstPending: Int(item.pointee.firstPending),
            hash: item.pointee.hash, of: batch, &level, into: vector)
        else { continue }
        trace.append(parent: sourceID, move: move, hash: hash)
        next.append(UnsafeBufferPointer(vector), stored: exact)
        stats.maxDepth = depth + 1
        if let limit = explorer.options.maxStates, store.count >= limit {
          stop("state bound \(limit) reached")
          return true
        }
      case .depthBound:
        incomplete = "depth bound \(explorer.options.maxDepth!) reached"
      case .stepViolation:
        stats.transitions += 1 + Int(item.pointee.move.coalesced)
        fallthrough
      case .quiescence, .deadlock:
        try record(item.pointee, batch.violations[Int(item.pointee.violation)], at: sourceID, level)
      }
    }
    return false
  }

  /// Completes a frontier filled by the merge: in exact mode its vectors are the store's
  /// entries from its first id on, read where they are.
  func close(_ frontier: inout Frontier) {
    precondition(Int(frontier.firstID) + frontier.count == store.count, "a frontier is not the last states stored")
    if exact { frontier.close(entries: store.entries) }
  }

  /// The figures so far, `seconds` into the search, with `componentBytes` held by the
  /// component store.
  func figures(seconds: Double, componentBytes: Int) -> Statistics {
    var figures = stats
    figures.states = store.count
    figures.seconds = seconds
    figures.peakMemoryBytes = Explorer.peakMemoryBytes()
    figures.storeBytes = store.bytes + componentBytes
    figures.traceBytes = trace.bytes
    figures.omissionProbability = store.omissionProbability
    return figures
  }

  /// Stops the search because of a bound.
  mutating func stop(_ reason: String) {
    incomplete = reason
    stopped = true
  }

  /// Adds the finding of a violating item, whose violation is `v`, unless one of its
  /// invariant (and, with `all`, its message) is already there.
  private mutating func record(_ item: BatchItem, _ v: Violation, at id: Int32, _ level: LevelComponents) throws {
    let all = explorer.options.all
    let duplicate = findings.contains {
      $0.violation.invariant == v.invariant && (!all || $0.violation.message == v.message)
    }
    if duplicate || (all && findings.count >= 100) { return }
    let site: FindingSite
    switch item.kind {
    case .quiescence: site = .quiescence
    case .deadlock: site = .deadlock
    default: site = .step
    }
    let last = item.kind == .stepViolation ? item.move : nil
    findings.append(
      try explorer.reconstruct(to: id, last: last, invariant: v.invariant, site: site, trace: trace, components: level))
  }
}

/// One level's expansion, cut into chunks of frontier states, handed to the merge chunk by
/// chunk in frontier order.
///
/// Worker w uses expander w; the calling thread is worker N-1. In parallel, workers
/// 0..<N-1 run on the pool's threads for the whole level: each first expands its own chunk
/// (worker w chunk w, the calling thread chunk N-1), then claims the next unclaimed chunk
/// until none is left. The calling thread merges the chunks in order as they complete and,
/// while the next is not done, expands chunks too. So the workers never wait for a merge as
/// such: they go on while the calling thread merges, grows the store or copies the trace,
/// up to ``ExploreOptions/window`` chunks ahead of the merge, which bounds the memory the expanded
/// but unmerged chunks hold (chunk c goes into the batch `c % window` of the ring, free once
/// chunk c - window is merged). Chunks are merged in order, so which worker took one changes
/// nothing but ``Statistics/expandedByWorker``.
///
/// Without workers (one job, or a level with fewer chunks than workers) the calling thread
/// expands each chunk when it waits for it, into the ring's first batch.
private final class LevelExpansion: @unchecked Sendable {
  let chunks: Int
  /// Frontier states in the level.
  private let states: Int
  private let chunkSize: Int
  private let workers: Int
  /// The background workers, nil when the calling thread expands the level alone.
  private let threads: WorkerPool?
  var parallel: Bool { threads != nil }
  /// Ring batches in use: ``ExploreOptions/window`` in parallel, else 1.
  private let window: Int
  private let ring: Slots<Batch>
  /// Per ring batch, the chunk last expanded into it (-1: none yet), stored (release) once
  /// the batch holds it.
  private let done: UnsafeMutablePointer<Atomic<Int>>
  /// Per ring batch, the worker that expanded the chunk in it (written before `done`).
  private let expandedBy: UnsafeMutablePointer<Int>
  /// The next chunk to claim (each worker's own chunk is never claimed).
  private let claims: Atomic<Int>
  /// Chunks merged (release, by the calling thread).
  private let merged = Atomic<Int>(0)
  /// Set when the search stops within the level: the workers claim nothing more.
  private let cancelled = Atomic<Bool>(false)
  /// Per background worker, the chunk it waits to expand until the ring has room for it
  /// (`Int.max`: none).
  private let waitingFor: UnsafeMutablePointer<Atomic<Int>>
  /// The chunk the calling thread waits for (`Int.max`: none).
  private let callerWaitsFor = Atomic<Int>(Int.max)
  /// The calling thread's own chunk, until it expands it.
  private var ownChunk: Int?
  private let expandChunk: @Sendable (_ lo: Int, _ hi: Int, _ worker: Int, _ into: inout Batch) -> Void

  /// Starts expanding `states` frontier states in chunks of `chunkSize`: the background
  /// workers start at once when there are `threads` and a chunk for every worker.
  init(
    states: Int, chunkSize: Int, workers: Int, threads: WorkerPool?, ring: Slots<Batch>,
    expandChunk: @escaping @Sendable (Int, Int, Int, inout Batch) -> Void
  ) {
    (self.states, self.chunkSize, self.workers, self.ring, self.expandChunk) =
      (states, chunkSize, workers, ring, expandChunk)
    chunks = (states + chunkSize - 1) / chunkSize
    self.threads = chunks >= workers ? threads : nil
    window = self.threads == nil ? 1 : ring.count
    done = .allocate(capacity: window)
    for s in 0..<window { (done + s).initialize(to: Atomic(-1)) }
    expandedBy = .allocate(capacity: window)
    expandedBy.initialize(repeating: 0, count: window)
    waitingFor = .allocate(capacity: workers)
    for w in 0..<workers { (waitingFor + w).initialize(to: Atomic(Int.max)) }
    claims = Atomic(self.threads == nil ? 0 : workers)
    ownChunk = self.threads == nil ? nil : workers - 1
    self.threads?.start { w in self.work(as: w) }
  }

  deinit {
    done.deinitialize(count: window)
    done.deallocate()
    waitingFor.deinitialize(count: workers)
    waitingFor.deallocate()
    expandedBy.deallocate()
  }

  /// The frontier index of chunk `m`'s first state (`states` past the last chunk).
  func firstState(of m: Int) -> Int { min(states, m * chunkSize) }

  /// Expands chunk `c` as worker `w` into its ring batch, and publishes it.
  private func expand(_ c: Int, as w: Int) {
    let s = c % window
    expandChunk(firstState(of: c), firstState(of: c + 1), w, &ring.at(s).pointee)
    expandedBy[s] = w
    done[s].store(c, ordering: .sequentiallyConsistent)
  }

  /// A background worker's part: its own chunk, then claimed ones, each once the ring has
  /// room for it.
  ///
  /// Each side wakes the other only when what it waits for happens (the worker waits for a
  /// chunk's batch to be merged, the calling thread for a chunk to be done): waking it on
  /// every chunk put a sleeping thread through a futex per chunk at the level ends, and,
  /// with more workers than cores, a herd of them. Sequentially consistent stores and loads
  /// on both sides (`waitingFor` and `merged`, `callerWaitsFor` and `done`): either the
  /// waker sees the wait, or the waiter sees the store it waits for.
  private func work(as w: Int) {
    var c = w
    while c < chunks && !cancelled.load(ordering: .relaxed) {
      if c >= merged.load(ordering: .sequentiallyConsistent) + window {
        waitingFor[w].store(c, ordering: .sequentiallyConsistent)
        threads!.awaitAsWorker(w) {
          c < merged.load(ordering: .sequentiallyConsistent) + window
            || cancelled.load(ordering: .sequentiallyConsistent)
        }
        waitingFor[w].store(Int.max, ordering: .relaxed)
        if cancelled.load(ordering: .relaxed) { break }
      }
      expand(c, as: w)
      if callerWaitsFor.load(ordering: .sequentiallyConsistent) == c { threads!.wakeCaller() }
      c = claims.wrappingAdd(1, ordering: .relaxed).oldValue
    }
  }

  /// Claims, for the calling thread, the next chunk if it is below `limit`.
  private func claim(below limit: Int) -> Int? {
    var c = claims.load(ordering: .relaxed)
    while c < limit {
      let (exchanged, original) = claims.compareExchange(expected: c, desired: c + 1, ordering: .relaxed)
      if exchanged { return c }
      c = original
    }
    return nil
  }

  /// Chunk `m`'s batch, once expanded, and the worker that expanded it; call for every chunk
  /// in order, each after ``release(_:)`` of the one before. Until the chunk is done the
  /// calling thread expands chunks itself (its own first), and waits when none is left to
  /// claim.
  func awaitChunk(_ m: Int) -> (batch: UnsafeMutablePointer<Batch>, worker: Int) {
    let s = m % window
    while done[s].load(ordering: .acquiring) != m {
      if let c = ownChunk ?? claim(below: min(chunks, m + window)) {
        ownChunk = nil
        expand(c, as: workers - 1)
      } else {
        callerWaitsFor.store(m, ordering: .sequentiallyConsistent)
        threads!.awaitAsCaller { done[s].load(ordering: .sequentiallyConsistent) == m }
        callerWaitsFor.store(Int.max, ordering: .relaxed)
      }
    }
    return (ring.at(s), expandedBy[s])
  }

  /// Empties chunk `m`'s batch, merged, for the chunk `window` later.
  func release(_ m: Int) {
    ring.at(m % window).pointee.removeAll()
    merged.store(m + 1, ordering: .sequentiallyConsistent)
    guard let threads else { return }
    for w in 0..<(workers - 1) where waitingFor[w].load(ordering: .sequentiallyConsistent) < m + 1 + window {
      threads.wakeWorker(w)
    }
  }

  /// Stops the background workers claiming chunks and waits for those they are expanding;
  /// the batches of chunks not merged (the search stopped) are emptied.
  func finish() {
    let complete = merged.load(ordering: .relaxed) == chunks
    if let threads {
      cancelled.store(true, ordering: .sequentiallyConsistent)
      threads.wakeWorkers()
      threads.wait()
    }
    if !complete {
      for s in 0..<window { ring.at(s).pointee.removeAll() }
    }
  }
}

/// A worker's last expanded frontier state and its component ids (empty before its first
/// state, or after a model error), over which it decodes the first state of its next chunk
/// as it decodes consecutive states of a chunk: only the components whose ids differ. Ids
/// keep their meaning (the component store only grows), so this holds across levels too.
/// The worker's expander last expanded that state, so its successor too loads only the
/// parts decoded.
private struct DecodedState {
  var state = State()
  var vector: [UInt32] = []
  /// The components this worker decoded, by id.
  var memo = ComponentMemo()
}

/// Per-worker slots, each written by exactly one worker during a parallel expansion;
/// the caller reads them only after every worker has finished.
///
/// Each slot starts on its own 128-byte block: the expanders and the chunks' batches are
/// written on every expanded state (counters, the successor state's fields, a buffer's
/// count held inline), and packed slots put the end of one worker's next to the start of
/// another's, one cache line bouncing between the cores (false sharing).
///
/// Call only `mutating` methods on an element in place (`at(w).pointee.method()`): for a
/// non-mutating one Swift copies the element out first, so every reference it holds is
/// retained and released around the call (copying an expander this way, once per expanded
/// state for a non-mutating prefetch, cost 17 % of one worker's time on `spf-4`;
/// performance.md, "Stop 19").
private struct Slots<Element>: @unchecked Sendable {
  /// Bytes from one slot to the next: a whole number of 128-byte blocks (two cache lines, the
  /// unit the adjacent-line prefetcher fetches), so that no two workers' slots share one.
  private let stride: Int
  private let memory: UnsafeMutableRawPointer
  let count: Int

  init(_ items: [Element]) {
    count = items.count
    stride = (MemoryLayout<Element>.stride + 127) / 128 * 128
    memory = .allocate(byteCount: max(1, stride * items.count), alignment: max(128, MemoryLayout<Element>.alignment))
    for (i, item) in items.enumerated() { (memory + i * stride).initializeMemory(as: Element.self, to: item) }
  }

  /// Slot `i`.
  @inline(__always)
  func at(_ i: Int) -> UnsafeMutablePointer<Element> {
    (memory + i * stride).assumingMemoryBound(to: Element.self)
  }

  /// The elements, moved out; the slots are freed.
  func take() -> [Element] {
    let items = (0..<count).map { at($0).move() }
    memory.deallocate()
    return items
  }
}
