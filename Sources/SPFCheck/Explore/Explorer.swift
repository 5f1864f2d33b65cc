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
  /// Frontier states per batch (tests lower it to split a level into several batches).
  var batchSize = Explorer.batchSize
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
  /// thread). Workers claim chunks of a batch as they go, so the split varies from run to run;
  /// the sum is the number of expanded states, and in a parallel batch with a chunk per
  /// worker every worker expands its own chunk.
  public var expandedByWorker: [Int] = []
  /// Batches shared between the workers; 0 with one worker, and batches under
  /// ``Explorer/parallelThreshold`` states are expanded by the calling thread alone.
  public var parallelBatches = 0
  /// Moves whose successor the transition cache gave (``TransitionCache``; debug builds
  /// count the hits they check instead). Workers see one another's moves only from the next
  /// batch on, so this varies with `--jobs` and, with several workers, from run to run; no
  /// other figure does.
  public var cachedMoves = 0
  /// Of ``cachedMoves``, those whose coalescing had asked whether an object is private: the
  /// cache gave them only where another thread named each object as before (``PrivacyReads``).
  public var cachedMovesAskingPrivacy = 0
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
/// The search runs level by level, in batches of the frontier. Workers (`jobs`) expand
/// disjoint slices of a batch in parallel; one merge then inserts their successors into
/// the visited store in frontier order. The order is therefore the sequential one whatever
/// the number of workers: threads in declaration order, then the grace period; branches in
/// index order. The store's hash table decides membership only.
///
/// With several workers the merge is pipelined: while the calling thread merges one batch,
/// the workers already expand the next batch of the same level. They read only what the
/// level cannot change: its frontier and the components stored before it
/// (``LevelComponents``); components first met in the level are folded into the store when
/// the level ends.
struct Explorer {
  let model: CompiledModel
  let options: ExploreOptions

  /// States per batch: enough work to share, little memory per batch.
  static let batchSize = 4096

  /// Batches smaller than this are expanded by the calling thread alone (the results are the
  /// same): waking the workers would cost more.
  static let parallelThreshold = 64

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
    // The moves every worker learned before the batch being expanded (``TransitionCache``).
    var learned = TransitionCache()
    var components = VisitedStore(mode: .exact)
    var search = Search(explorer: self, jobs: jobs)
    var pool = BatchPool(empty: Batch(reached: model.threads.map { [Bool](repeating: false, count: $0.code.count) }))
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

    var depth = 0
    while !frontier.isEmpty && !search.stopped {
      let atBound = options.maxDepth.map { depth >= $0 } ?? false
      let current = frontier
      var next = Frontier(width: search.width, firstID: Int32(search.store.count))
      fresh = try components.withReader { reader in
        var level = LevelComponents(stored: reader)
        func launch(_ first: Int) -> Expansion {
          // No worker runs: the moves each learned go to the cache they all read. (One
          // worker keeps its own cache: sharing would only add a second lookup to its misses.)
          if options.transitionCache && jobs > 1 {
            for w in 0..<jobs { expanders.at(w).pointee.handOverMoves(to: &learned) }
            let view = learned.view
            for w in 0..<jobs { expanders.at(w).pointee.read(learned: view) }
          }
          let count = min(max(1, options.batchSize), current.count - first)
          return expand(
            current, first: first, count: count, atDepthBound: atBound, components: reader, with: expanders, decoded,
            async: jobs > 1, pool: &pool)
        }
        var pending: Expansion? = launch(0)
        // Every exit drops the batch in flight once its workers finish: they read `reader`
        // and `current`.
        defer { pending?.discard() }
        while let expansion = pending {
          let (batches, expandedByWorker) = expansion.wait()
          let first = expansion.first
          pending = first + expansion.count < current.count ? launch(first + expansion.count) : nil
          if expansion.parallel { search.stats.parallelBatches += 1 }
          for (w, n) in expandedByWorker.enumerated() { search.stats.expandedByWorker[w] += n }
          try search.merge(batches, first: first, of: current, depth: depth, level: &level, into: &next)
          // Merged, so no worker writes them any more (the expansion launched above has its own).
          pool.recycle(consume batches)
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
              current.count - first - expansion.count + next.count)
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

  /// Starts expanding `count` frontier states from `first`. With `async` (and a batch of at
  /// least ``parallelThreshold`` states) the background workers start now and the calling
  /// thread joins them when it waits (see ``Expansion``); otherwise the calling thread
  /// expands the whole batch when it waits.
  ///
  /// The workers read `frontier` and `components` until the expansion is waited for or
  /// discarded. The chunks' batches come from `pool`, empty.
  ///
  /// - Complexity: O(count × T × B) steps, shared between the workers.
  private func expand(
    _ frontier: Frontier, first: Int, count: Int, atDepthBound: Bool, components: VisitedStore.Reader,
    with expanders: Slots<Expander>, _ decoded: Slots<DecodedState>, async: Bool, pool: inout BatchPool
  ) -> Expansion {
    let parallel = async && count >= Self.parallelThreshold
    let chunk = parallel ? Expansion.chunkSize : count
    /// Expands chunk `c` with worker `w`'s expander into `batch` (empty).
    let expandChunk: @Sendable (Int, Int, inout Batch) -> Void = { c, w, batch in
      let lo = first + c * chunk
      let hi = min(first + count, lo + chunk)
      frontier.vectors.withUnsafeBufferPointer { vectors in
        // Consecutive frontier states are mostly siblings: decode only the components
        // whose ids differ from the previous state's, into the same state, which the worker
        // keeps from chunk to chunk (moved out and back, not copied, so that it stays unshared).
        var s = State()
        swap(&s, &decoded.at(w).pointee.state)
        defer { swap(&s, &decoded.at(w).pointee.state) }
        var previousVector: UnsafeBufferPointer<UInt32>?
        for i in lo..<hi {
          let vector = UnsafeBufferPointer(rebasing: vectors[(i * frontier.width)..<((i + 1) * frontier.width)])
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
              of: UnsafeBufferPointer(rebasing: vectors[((i + 1) * frontier.width)..<((i + 2) * frontier.width)]))
          }
          do throws(ModelError) {
            // `written` holds the parts decoded since the last state this worker expanded:
            // the expander's successor loads only those.
            try expanders.at(w).pointee.expand(
              s, changed: s.written, vector: vector, components: components, source: Int32(i - first),
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
    let chunks = (count + chunk - 1) / chunk
    return Expansion(
      first: first, count: count, workers: expanders.count, parallel: parallel, batches: pool.take(chunks),
      expandChunk: expandChunk)
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
/// vectors are copied from the store in one go when the level ends (``Search/close(_:)``)
/// instead of appended state by state (`append(contentsOf:)` cost over a hundred instructions
/// per state).
struct Frontier: Sendable {
  /// Components per state.
  let width: Int
  /// The id of the first state.
  let firstID: Int32
  /// The states' vectors, `width` ids each, in order (exact mode: once closed).
  var vectors: [UInt32] = []
  private(set) var count = 0

  init(width: Int, firstID: Int32) {
    self.width = width
    self.firstID = firstID
  }

  var isEmpty: Bool { count == 0 }

  /// Adds the next state. Its vector is copied now unless `stored` (exact mode: the store
  /// keeps it, and ``Search/close(_:)`` copies it with the others).
  mutating func append(_ vector: UnsafeBufferPointer<UInt32>, stored: Bool) {
    if !stored { vectors.append(contentsOf: vector) }
    count += 1
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
    store.growthParts = jobs
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

  /// Merges one expansion of `frontier` from `first` (its chunks' batches, in frontier
  /// order): new states go to the store, the trace and `next`, violations to `findings`.
  /// Stops at the state bound.
  ///
  /// A batch's items and vectors are read through pointers, so no index is bounds-checked.
  mutating func merge(
    _ batches: [Batch], first: Int, of frontier: Frontier, depth: Int, level: inout LevelComponents,
    into next: inout Frontier
  ) throws {
    var vector = [UInt32](repeating: 0, count: width)
    try vector.withUnsafeMutableBufferPointer { vector in
      for batch in batches {
        stats.retryLimitHits += batch.retryLimitHits
        stats.cachedMoves += batch.cachedMoves
        stats.cachedMovesAskingPrivacy += batch.cachedMovesAskingPrivacy
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
    }
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
  /// entries from its first id on, copied now.
  func close(_ frontier: inout Frontier) {
    if exact { frontier.vectors = store.words(from: Int(frontier.firstID)) }
    precondition(
      frontier.vectors.count == frontier.count * width && Int(frontier.firstID) + frontier.count == store.count,
      "a frontier is not the last states stored")
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

/// One batch's expansion, cut into chunks of frontier states.
///
/// Worker w uses expander w. In parallel, workers 0..<N-1 start on other threads at once, and
/// the calling thread is worker N-1, which joins when it waits, that is once it has merged the
/// batch before. Each worker first takes its own chunk (worker w chunk w), then claims the next
/// unclaimed chunk until none is left: the work balances however long the merge keeps the
/// calling thread, and every worker expands part of a batch with a chunk per worker. The
/// chunks' batches are merged in chunk order, so which worker took a chunk changes nothing but
/// ``Statistics/expandedByWorker``.
private final class Expansion: @unchecked Sendable {
  /// Frontier states per chunk of a parallel expansion: small enough to even out the work,
  /// large enough that claiming a chunk and starting its batch cost little.
  static let chunkSize = 64

  let first: Int
  let count: Int
  /// Whether background workers share the batch (else the calling thread expands it alone).
  let parallel: Bool
  private let workers: Int
  private let chunks: Int
  /// Per chunk, the batch its worker writes (empty until then).
  private let outputs: Slots<Batch>
  /// Per worker, the frontier states it expanded.
  private let expanded: Slots<Int>
  /// The next chunk to claim (each worker's own chunk is never claimed).
  private let claims: Atomic<Int>
  private let running = DispatchGroup()
  private let expandChunk: @Sendable (_ chunk: Int, _ worker: Int, _ into: inout Batch) -> Void

  /// Starts expanding `count` states from `first` into `batches`, one empty batch per chunk.
  init(
    first: Int, count: Int, workers: Int, parallel: Bool, batches: [Batch],
    expandChunk: @escaping @Sendable (Int, Int, inout Batch) -> Void
  ) {
    (self.first, self.count, self.workers, self.parallel, self.expandChunk) =
      (first, count, workers, parallel, expandChunk)
    chunks = batches.count
    outputs = Slots(batches)
    expanded = Slots(Array(repeating: 0, count: workers))
    claims = Atomic(workers)
    guard parallel else { return }
    for w in 0..<(workers - 1) {
      DispatchQueue.global().async(group: running) { self.work(as: w, from: w) }
    }
  }

  /// Expands chunk `c` as worker `w` (its own chunk), then claims chunks until none is left.
  private func work(as w: Int, from c: Int) {
    var c = c
    while c < chunks {
      expandChunk(c, w, &outputs.at(c).pointee)
      expanded.at(w).pointee += outputs.at(c).pointee.expanded
      c = claims.wrappingAdd(1, ordering: .relaxed).oldValue
    }
  }

  /// Expands the rest of the batch on the calling thread (worker N-1: its own chunk in
  /// parallel, else the one chunk, the whole batch) and waits for the background workers.
  ///
  /// - Returns: the chunks' batches in chunk order, and the states each worker expanded.
  func wait() -> (batches: [Batch], expandedByWorker: [Int]) {
    work(as: workers - 1, from: parallel ? workers - 1 : 0)
    running.wait()
    return (outputs.take(), expanded.take())
  }

  /// Stops the background workers claiming chunks, waits for those they are expanding, and
  /// drops the batch (the search stopped). The calling thread expands nothing.
  func discard() {
    claims.store(chunks + workers, ordering: .relaxed)
    running.wait()
    _ = outputs.take()
    _ = expanded.take()
  }
}

/// Empty batches for the chunks of the expansions, kept with their storage once merged.
///
/// A batch grows to the size of its chunk's output (its items, their vectors and arena
/// bytes: a few per successor); growing fresh arrays for every chunk cost a malloc and a
/// memcpy per doubling (for `BatchItem`s alone about 1.4% of the instructions with one job).
/// Recycled batches keep their capacity, so once a level as wide as the batches has been
/// expanded a chunk's batch rarely grows. Only the calling thread takes and recycles
/// batches (when it launches an expansion and after it merged one), so the pool needs no
/// lock; a batch is recycled only once its merge finished, while the workers already fill
/// the next expansion's batches, which the pool handed out before.
struct BatchPool {
  /// A batch as a chunk starts it: nothing appended, no flag of `reached` set.
  let empty: Batch
  private var free: [Batch] = []

  init(empty: Batch) { self.empty = empty }

  /// `count` empty batches, recycled ones first.
  mutating func take(_ count: Int) -> [Batch] {
    var batches: [Batch] = []
    batches.reserveCapacity(count)
    while batches.count < count, let batch = free.popLast() { batches.append(batch) }
    while batches.count < count { batches.append(empty) }
    return batches
  }

  /// Empties `batches`, keeping their storage, for later ``take(_:)``s.
  mutating func recycle(_ batches: consuming [Batch]) {
    var batches = batches
    while var batch = batches.popLast() {
      batch.removeAll()
      free.append(batch)
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
