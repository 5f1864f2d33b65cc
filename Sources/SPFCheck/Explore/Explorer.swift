import Foundation

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
  /// States each worker expanded (one entry per `--jobs` worker). Fixed by the frontier and
  /// the number of workers, not by the OS scheduler: worker w always takes the w-th slice of
  /// each batch.
  public var expandedByWorker: [Int] = []
  /// Batches whose slices were handed to the workers together (`concurrentPerform`); 0 with
  /// one worker, and batches under ``Explorer/parallelThreshold`` states are expanded in turn.
  public var parallelBatches = 0
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
struct Explorer {
  let model: CompiledModel
  let options: ExploreOptions

  /// States per batch: enough work to share, little memory per batch.
  static let batchSize = 4096

  /// Batches smaller than this are expanded slice after slice on the calling thread (the
  /// slices are the same, so are the results): waking the workers would cost more.
  static let parallelThreshold = 64

  /// Runs the search to completion or to a bound.
  ///
  /// - Complexity: O(S × T × B) steps for S reachable (reduced) states, T threads, B
  ///   branches per step; memory O(S) encoded states (exact) or O(S) fingerprints.
  func run() throws -> ExploreResult {
    let start = Date()
    var lastReport = start
    let jobs = max(1, options.jobs)
    var expanders = (0..<jobs).map { w in
      Expander(
        model: w == 0 ? model : model.replica(), por: options.partialOrder, privateObjects: options.privateObjects,
        symmetry: options.symmetry)
    }
    var components = VisitedStore(mode: .exact)
    var store = VisitedStore(mode: options.fingerprint ? .fingerprint : .exact)
    var trace = TraceLog()
    let width = State.componentCount(threads: model.threads.count)
    var frontier = Frontier(width: width)
    var stats = Statistics()
    var findings: [Finding] = []
    var incomplete: String?
    var reached = model.threads.map { [Bool](repeating: false, count: $0.code.count) }
    stats.expandedByWorker = Array(repeating: 0, count: jobs)

    var vector = [UInt32](repeating: 0, count: width)
    /// Interns a candidate's new components and inserts its vector; returns its hash when new.
    func admit(_ batch: Batch, _ item: BatchItem) -> UInt64? {
      var p = Int(item.firstPending)
      for k in 0..<width {
        let id = batch.vectors[Int(item.vector) + k]
        if id != Expander.pending {
          vector[k] = id
          continue
        }
        let c = batch.pending[p]
        p += 1
        vector[k] = UInt32(batch.arena.withUnsafeBytes {
          components.intern(UnsafeRawBufferPointer(rebasing: $0[Int(c.start)..<Int(c.end)]), hash: c.hash)
        })
      }
      return vector.withUnsafeBytes { raw in
        let hash = StateHash.hash(raw)
        return store.insert(raw, hash: hash) ? hash : nil
      }
    }

    var initial = model.initial
    var root = Batch(reached: [])
    let rootItem = BatchItem(kind: .candidate, source: 0)
    expanders[0].store(&initial, parent: nil, parentVector: nil, components: nil, into: &root)
    let rootHash = admit(root, rootItem)!
    frontier.append(id: 0, vector)
    trace.append(parent: -1, move: .root, hash: rootHash)

    func record(_ item: BatchItem, at id: Int32) throws {
      guard let v = item.violation else { return }
      let duplicate = findings.contains {
        $0.violation.invariant == v.invariant && (!options.all || $0.violation.message == v.message)
      }
      if duplicate || (options.all && findings.count >= 100) { return }
      let site: FindingSite
      switch item.kind {
      case .quiescence: site = .quiescence
      case .deadlock: site = .deadlock
      default: site = .step
      }
      let last = item.kind == .stepViolation ? item.move : nil
      findings.append(
        try reconstruct(to: id, last: last, invariant: v.invariant, site: site, trace: trace, components: components))
    }

    var depth = 0
    search: while !frontier.isEmpty {
      let atBound = options.maxDepth.map { depth >= $0 } ?? false
      var next = Frontier(width: width)
      var first = 0
      while first < frontier.count {
        let count = min(max(1, options.batchSize), frontier.count - first)
        let (batches, parallel) = try expand(
          frontier, first: first, count: count, atDepthBound: atBound, components: components, with: &expanders)
        if parallel { stats.parallelBatches += 1 }
        for (w, batch) in batches.enumerated() { stats.expandedByWorker[w] += batch.expanded }
        for batch in batches {
          stats.retryLimitHits += batch.retryLimitHits
          for t in reached.indices {
            for pc in reached[t].indices where batch.reached[t][pc] { reached[t][pc] = true }
          }
          for item in batch.items {
            let sourceID = frontier.ids[first + Int(item.source)]
            switch item.kind {
            case .candidate:
              // Counted per merged item (not per batch) so a run cut by --max-states reports the
              // same transitions whatever --jobs is.
              stats.transitions += 1 + Int(item.move.coalesced)
              guard let hash = admit(batch, item) else { continue }
              trace.append(parent: sourceID, move: item.move, hash: hash)
              next.append(id: Int32(store.count - 1), vector)
              stats.maxDepth = depth + 1
              if let limit = options.maxStates, store.count >= limit {
                incomplete = "state bound \(limit) reached"
                break search
              }
            case .depthBound:
              incomplete = "depth bound \(options.maxDepth!) reached"
            case .stepViolation:
              stats.transitions += 1 + Int(item.move.coalesced)
              try record(item, at: sourceID)
            case .quiescence, .deadlock:
              try record(item, at: sourceID)
            }
          }
          if let error = batch.error { throw error }
        }
        first += count
        let now = Date()
        if let timeout = options.timeout, now.timeIntervalSince(start) > timeout {
          incomplete = "time bound \(timeout)s reached"
          break search
        }
        if let report = options.progress, now.timeIntervalSince(lastReport) >= 0.25 {
          lastReport = now
          var snapshot = stats
          snapshot.states = store.count
          snapshot.seconds = now.timeIntervalSince(start)
          snapshot.peakMemoryBytes = Self.peakMemoryBytes()
          snapshot.storeBytes = store.bytes + components.bytes
          report(snapshot, frontier.count - first + next.count)
        }
      }
      frontier = next
      depth += 1
    }
    stats.states = store.count
    stats.seconds = Date().timeIntervalSince(start)
    stats.peakMemoryBytes = Self.peakMemoryBytes()
    stats.storeBytes = store.bytes + components.bytes
    stats.traceBytes = trace.bytes
    stats.omissionProbability = store.omissionProbability
    let verdict: Verdict
    if !findings.isEmpty {
      verdict = .violation
    } else if let reason = incomplete {
      verdict = .incomplete(reason)
    } else {
      verdict = .verified
    }
    findings.sort { ($0.violation.invariant, $0.schedule.count) < ($1.violation.invariant, $1.schedule.count) }
    return ExploreResult(
      verdict: verdict, findings: findings, stats: stats, coverage: Coverage(model: model, reached: reached))
  }

  /// Expands `count` frontier states from `first`, split between the workers: worker w takes
  /// the w-th slice of ceil(count / jobs) states.
  ///
  /// - Returns: one batch per worker, in worker order, and whether the workers ran together.
  /// - Complexity: O(count × T × B) steps, shared between the workers.
  private func expand(
    _ frontier: Frontier, first: Int, count: Int, atDepthBound: Bool, components: VisitedStore,
    with expanders: inout [Expander]
  ) throws(ModelError) -> (batches: [Batch], parallel: Bool) {
    let jobs = expanders.count
    let empty = Batch(reached: model.threads.map { [Bool](repeating: false, count: $0.code.count) })
    let results = Slots(Array(repeating: empty, count: jobs))
    let work = Slots(expanders)
    let per = (count + jobs - 1) / jobs
    var parallel = false
    components.withReader { reader in
      let body: @Sendable (Int) -> Void = { w in
        let lo = first + w * per
        let hi = min(first + count, lo + per)
        guard lo < hi else { return }
        var batch = empty
        frontier.vectors.withUnsafeBufferPointer { vectors in
          // Consecutive frontier states are mostly siblings: decode only the components
          // whose ids differ from the previous state's and share the rest with it.
          // (Two plain variables, not an optional tuple: replacing one of those runs the
          // runtime's generic destruction.)
          var previous = State()
          var previousVector: UnsafeBufferPointer<UInt32>?
          for i in lo..<hi {
            let vector = UnsafeBufferPointer(rebasing: vectors[(i * frontier.width)..<((i + 1) * frontier.width)])
            let s =
              if let previousVector {
                State(vector: vector, components: reader, sharingWith: previous, previousVector: previousVector)
              } else {
                State(vector: vector, components: reader)
              }
            do throws(ModelError) {
              try work.base[w].expand(
                s, vector: vector, components: reader, source: Int32(i - first), atDepthBound: atDepthBound,
                into: &batch)
            } catch {
              batch.error = error
              return
            }
            batch.expanded += 1
            previous = s
            previousVector = vector
          }
        }
        results.base[w] = batch
      }
      if jobs == 1 || count < Self.parallelThreshold {
        for w in 0..<jobs { body(w) }
      } else {
        parallel = true
        DispatchQueue.concurrentPerform(iterations: jobs, execute: body)
      }
    }
    expanders = work.take()
    return (results.take(), parallel)
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
struct Frontier: Sendable {
  /// Components per state.
  let width: Int
  var vectors: [UInt32] = []
  var ids: [Int32] = []

  init(width: Int) { self.width = width }

  var count: Int { ids.count }
  var isEmpty: Bool { ids.isEmpty }

  mutating func append(id: Int32, _ vector: [UInt32]) {
    vectors.append(contentsOf: vector)
    ids.append(id)
  }
}

/// Per-worker slots, each written by exactly one worker during a parallel expansion;
/// the caller reads them only after every worker has finished.
private struct Slots<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
  let count: Int

  init(_ items: [Element]) {
    count = items.count
    base = .allocate(capacity: items.count)
    base.initialize(from: items, count: items.count)
  }

  /// The elements, moved out; the slots are freed.
  func take() -> [Element] {
    let items = Array(UnsafeBufferPointer(start: base, count: count))
    base.deinitialize(count: count)
    base.deallocate()
    return items
  }
}
