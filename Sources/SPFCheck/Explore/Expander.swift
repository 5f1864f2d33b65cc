/// One stored transition: a thread's step (or the grace period) and the local or private
/// steps of the same thread coalesced after it by the partial-order reduction.
struct Move: Hashable, Sendable {
  /// Thread index, or ``Choice/gracePeriod``.
  var thread: Int16
  var branch: UInt8
  /// Further steps of `thread` (branch 0) folded into this transition.
  var coalesced: UInt8

  static let root = Move(thread: 0, branch: 0, coalesced: 0)

  /// The move as the step-by-step schedule replay runs.
  var choices: [Choice] {
    [Choice(thread: Int(thread), branch: Int(branch))]
      + Array(repeating: Choice(thread: Int(thread), branch: 0), count: Int(coalesced))
  }
}

/// What expanding one state produced, in exploration order. Candidates' encodings live in
/// the batch's arena; the merge decides which of them are new.
///
/// Plain data, 32 bytes: a violation lives in the batch's `violations` (an item holding an
/// optional `Violation` took 80 bytes, which the worker wrote and the merge read for every
/// candidate, and copying one retained and released its strings).
struct BatchItem: Sendable, BitwiseCopyable {
  enum Kind: UInt8, Sendable {
    /// A successor to insert into the visited store.
    case candidate
    /// The move violated an invariant (its successor is not explored).
    case stepViolation
    /// The state is quiescent and violates an end-state invariant.
    case quiescence
    /// The state is stuck.
    case deadlock
    /// The state is at the depth bound and was not expanded.
    case depthBound
  }

  var kind: Kind
  /// The expanded state's position in the batch.
  var source: Int32
  var move = Move.root
  /// A candidate's component vector: where it starts in the batch's `vectors`, and its
  /// first not-yet-interned component in the batch's `pending`.
  var vector: Int32 = 0
  var firstPending: Int32 = 0
  /// The item's violation: its index in the batch's `violations`, or -1. (Before `hash`,
  /// which is 8-aligned: after it, the item would take 40 bytes.)
  var violation: Int32 = -1
  /// A candidate's state hash (``StateHash`` of its vector), computed by the worker when no
  /// component is pending, so that the merge can prefetch the store slot ahead; 0 when not
  /// computed (the merge then hashes the vector itself).
  var hash: UInt64 = 0
}

/// A component a worker encoded because it differs from the parent's: its bytes in the
/// batch arena and their hash. The merge interns it.
struct PendingComponent: Sendable {
  var start: Int32
  var end: Int32
  var hash: UInt64
}

/// The output of expanding a slice of the frontier (one worker's share of a batch).
struct Batch: Sendable {
  var arena: [UInt8] = []
  var items: [BatchItem] = []
  /// Component vectors of the candidates, `components` ids each; ``Expander/pending``
  /// marks a component found in `pending` instead.
  var vectors = GrowableBuffer<UInt32>()
  var pending: [PendingComponent] = []
  /// The violations of the items that have one (``BatchItem/violation``).
  var violations: [Violation] = []
  var retryLimitHits = 0
  /// Moves whose successor came from the transition cache (``Statistics/cachedMoves``), and
  /// of those, the ones held by a privacy answer (``Statistics/cachedMovesAskingPrivacy``).
  var cachedMoves = 0
  var cachedMovesAskingPrivacy = 0
  /// Grace periods whose successor came from the grace-period cache
  /// (``Statistics/cachedGracePeriods``).
  var cachedGracePeriods = 0
  /// Moves run afresh whose successor symmetry reordered, cached as it was before the
  /// renaming (``Statistics/reorderedMovesLearned``).
  var reorderedMovesLearned = 0
  /// Per thread, per pc: attempted by some step of this batch (set through ``markReached(thread:pc:)``).
  var reached: [[Bool]]
  /// The flags of `reached` in the order they were set, so that ``truncate(to:)`` can clear
  /// them and the merge can copy them without scanning every pc.
  var reachedOrder: [(thread: Int, pc: Int)] = []
  /// A model error met while expanding (the slice stops at the state that raised it).
  var error: ModelError?
  /// Frontier states this slice expanded.
  var expanded = 0

  /// Where the next candidate's vector and pending components start.
  struct CandidateStart {
    var vector: Int32
    var firstPending: Int32
  }

  /// The batch's extent for the next candidate, taken before its vector is appended.
  var candidateStart: CandidateStart {
    CandidateStart(vector: Int32(vectors.count), firstPending: Int32(pending.count))
  }

  /// Appends the candidate of `source` by `move`, whose vector (appended since `start`) is
  /// the last one, hashing it when none of its components is pending (see
  /// ``BatchItem/hash``).
  mutating func appendCandidate(source: Int32, move: Move, from start: CandidateStart) {
    let hash =
      pending.count == Int(start.firstPending)
      ? vectors.withUnsafeBufferPointer {
        StateHash.hash(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0[Int(start.vector)...])))
      }
      : 0
    items.append(
      BatchItem(
        kind: .candidate, source: source, move: move, vector: start.vector, firstPending: start.firstPending,
        hash: hash))
  }

  /// Appends the candidate of `source` by `move` whose vector is `parent` with the shared ids
  /// `shared` and, when given, thread `t`'s id `id` (a cached move or grace period: every other
  /// component as in the parent).
  @inline(__always)
  mutating func appendCandidate(
    source: Int32, move: Move, parent: UnsafeBufferPointer<UInt32>, shared: UnsafePointer<UInt32>,
    thread: (t: Int, id: UInt32)?
  ) {
    let n = State.sharedComponents
    let start = candidateStart
    // Room for the whole vector at once, written through a pointer (``GrowableBuffer``).
    let v = vectors.appendUninitialized(parent.count)
    v.update(from: shared, count: n)
    (v + n).update(from: parent.baseAddress! + n, count: parent.count - n)
    if let thread { v[n + thread.t] = thread.id }
    appendCandidate(source: source, move: move, from: start)
  }

  /// Appends an item of `kind` that carries the violation `v` (`.stepViolation`,
  /// `.quiescence`, `.deadlock`).
  mutating func append(_ kind: BatchItem.Kind, source: Int32, move: Move = .root, violation v: Violation) {
    items.append(BatchItem(kind: kind, source: source, move: move, violation: Int32(violations.count)))
    violations.append(v)
  }

  /// Notes that a step of thread `t` at `pc` was attempted.
  mutating func markReached(thread t: Int, pc: Int) {
    guard !reached[t][pc] else { return }
    reached[t][pc] = true
    reachedOrder.append((t, pc))
  }

  /// How far a batch is filled: its items, their data, and its reached flags.
  struct Mark {
    fileprivate var items: Int
    fileprivate var vectors: Int
    fileprivate var pending: Int
    fileprivate var violations: Int
    fileprivate var arena: Int
    fileprivate var reached: Int
  }

  /// The batch's extent now, for ``truncate(to:)``.
  var mark: Mark {
    Mark(
      items: items.count, vectors: vectors.count, pending: pending.count, violations: violations.count,
      arena: arena.count, reached: reachedOrder.count)
  }

  /// Removes every item (and its data) appended, and clears every reached flag set, since
  /// `mark` was taken.
  mutating func truncate(to mark: Mark) {
    items.removeSubrange(mark.items...)
    vectors.truncate(to: mark.vectors)
    pending.removeSubrange(mark.pending...)
    violations.removeSubrange(mark.violations...)
    arena.removeSubrange(mark.arena...)
    for (t, pc) in reachedOrder[mark.reached...] { reached[t][pc] = false }
    reachedOrder.removeSubrange(mark.reached...)
  }

  /// Makes this batch as a new one (nothing appended, no flag of `reached` set, no error,
  /// nothing expanded) but keeps its arrays' storage, for the explorer's ring of chunk batches.
  mutating func removeAll() {
    truncate(to: Mark(items: 0, vectors: 0, pending: 0, violations: 0, arena: 0, reached: 0))
    retryLimitHits = 0
    cachedMoves = 0
    cachedMovesAskingPrivacy = 0
    cachedGracePeriods = 0
    reorderedMovesLearned = 0
    error = nil
    expanded = 0
  }
}

/// Expands states into their (reduced) successors: runs the steps, applies the
/// partial-order and symmetry reductions, and encodes each successor for the store.
///
/// Holds immutable model data and reusable scratch buffers, so each worker owns one.
struct Expander {
  let executor: Executor
  let partialOrder: PartialOrder?
  /// Encodes successors into component vectors, with its own scratch buffers. A stored
  /// property apart from ``successor`` so that the successor can be passed to it `inout`
  /// from a mutating method: the two accesses are to distinct stored properties of `self`,
  /// which exclusivity allows, so the successor is never moved out of `self` for the call.
  private var encoder: VectorEncoder
  /// The successor every step of ``expand(_:changed:vector:components:source:atDepthBound:into:)``
  /// writes: loaded from the expanded state before its first move that runs (not when every
  /// move hits the cache), restored after each step, and owning its arrays so that steps
  /// write them in place (see ``State/load(_:parts:)``).
  private var successor = State()
  /// The parts in which ``successor`` may differ from the state `expand` is called with next:
  /// the union of the `changed` sets given since it was last loaded (every part at first).
  private var stale = State.Written.all
  /// Moves already run, by the components they read (with several workers: a view of the
  /// cache every worker reads and publishes into, and the moves this worker kept apart since
  /// the explorer last took them, its window there being full; ``handOverMoves(to:)``); nil
  /// when off.
  private(set) var cache: TransitionCache?
  /// Grace periods already run, by the shared components they start from; nil when the
  /// transition cache is off.
  private var graceCache: GracePeriodCache?
  /// Debug builds run every cached move afresh as well and check that both agree.
  private let verifyHits: Bool
  /// Shared components renamed by a reordering (cached moves whose successor symmetry
  /// reorders), and the scratch that renames one on a miss.
  private var renamed = RenameCache()
  private var renamer = Renamer()

  init(
    model: CompiledModel, por: Bool, privateObjects: Bool = true, symmetry: Bool, transitionCache: Bool = true,
    checkHits: Bool = ExploreOptions.isDebugBuild
  ) {
    executor = Executor(model: model)
    partialOrder = por ? PartialOrder(model: model, privateObjects: privateObjects) : nil
    let sym = Symmetry(model: model)
    encoder = VectorEncoder(symmetry: symmetry && !sym.isTrivial ? sym : nil)
    cache = transitionCache ? TransitionCache() : nil
    graceCache = transitionCache ? GracePeriodCache() : nil
    verifyHits = checkHits
  }

  /// The symmetry reduction states are canonicalised by, nil when it is off or trivial.
  var symmetry: Symmetry? { encoder.symmetry }

  /// Moves the moves this worker kept in its own cache since the last call into `learned`,
  /// the cache every worker reads, counts there those it published, and forgets the view it
  /// read; called between levels, when no worker runs.
  mutating func handOverMoves(to learned: inout TransitionCache) {
    guard cache != nil else { return }
    cache!.learned = nil
    learned.absorb(&cache!)
  }

  /// Looks moves up in `view` (of the cache every worker reads) before this worker's own
  /// ones, and publishes the moves it learns there, until the next ``handOverMoves(to:)``.
  mutating func read(learned view: WordTable.View) {
    if cache != nil { cache!.learned = view }
  }

  /// Asks the CPU for the transition-cache entries that the moves of the state whose vector
  /// is `vector` will look up (``TransitionCache/prefetch(vector:)``): the explorer calls it
  /// for the next frontier state while this one expands.
  ///
  /// `mutating` though it changes nothing: called on a worker's slot (`expanders.base[w]`),
  /// a non-mutating method got a copy of the whole expander, retaining and releasing every
  /// reference it holds, once per expanded state (11 % of the samples with `--jobs 2`).
  mutating func prefetchMoves(of vector: UnsafeBufferPointer<UInt32>) { cache?.prefetch(vector: vector) }

  /// Marks a component of a candidate's vector that is in the batch's `pending` list.
  static let pending = UInt32.max

  /// Which threads a move may have changed, as the steps report it.
  enum ChangedThreads {
    /// Any thread: compare each with the parent.
    case unknown
    /// Only this thread (its own step changed it; assumed changed, never compared).
    case only(Int)
    /// None (the grace period).
    case none

    /// The one thread that may have changed, if that is known.
    var onlyThread: Int? {
      if case .only(let t) = self { return t }
      return nil
    }

    /// Whether thread `t` is known to be as in the parent (true), known changed (false), or
    /// must be compared (nil).
    func same(_ t: Int) -> Bool? {
      switch self {
      case .unknown: return nil
      case .only(let u): return t != u
      case .none: return true
      }
    }
  }

  /// Puts the initial state `s` in canonical form (symmetry) and appends its component vector
  /// to `out`, every component ``pending`` with its encoding in the arena.
  mutating func storeRoot(_ s: inout State, into out: inout Batch) {
    encoder.storeRoot(&s, into: &out)
  }

  /// The canonical component vector of `s` when every component is already stored, else nil
  /// (trace reconstruction).
  mutating func canonicalVector(_ s: State, components: LevelComponents) -> [UInt32]? {
    encoder.canonicalVector(s, components: components)
  }

  /// Expands `s`, the `source`-th state of the batch, appending its items to `out`.
  ///
  /// Each successor is coalesced and stored right after its step, with no buffer of
  /// successors, yet with the outcome of running every step first: a step's model error
  /// undoes what this state appended, and a coalesced step's error is thrown only once every
  /// step has run (a later step's error comes first).
  ///
  /// `changed` names the parts in which `s` may differ from the state of this expander's
  /// previous call (every part by default): the successor, left equal to that state, then
  /// loads only those. The explorer decodes consecutive frontier states into one state in
  /// place, so its ``State/written`` tells.
  mutating func expand(
    _ s: State, changed: State.Written = .all, vector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader,
    source: Int32, atDepthBound: Bool, into out: inout Batch
  ) throws(ModelError) {
    stale.insert(changed)
    if s.allEnded {
      if s.threads.contains(where: { $0.outcome == .retryLimit }) {
        out.retryLimitHits += 1
        return
      }
      for v in executor.quiescenceViolations(s) {
        out.append(.quiescence, source: source, violation: v)
      }
      return
    }
    let start = out.mark
    var successors = 0
    // A coalesced step's model error: thrown once every step has run, the successors after
    // it only stepped.
    var failure: ModelError?
    do throws(ModelError) {
      // The ample thread alone, else every enabled thread and then the grace period.
      let ample = partialOrder?.ampleThread(s)
      for t in ample.map({ $0..<($0 + 1) }) ?? s.threads.indices where ample != nil || executor.isEnabled(s, t) {
        var branch = 0
        var branches = 1
        while branch < branches {
          // A move run before from the same components: its successor without running it.
          var key: TransitionCache.Key? = nil
          var expected: Expected? = nil
          if cache != nil && !atDepthBound && failure == nil {
            let k = TransitionCache.Key(thread: t, branch: branch, vector: vector)
            key = k
            if let hit = cache!.find(k, holdingIn: s, thread: t) {
              let mark = out.mark
              if appendHit(
                hit, thread: t, branch: branch, of: s, vector: vector, components: components, source: source,
                into: &out)
              {
                out.cachedMoves += 1
                if hit.privacy != nil { out.cachedMovesAskingPrivacy += 1 }
                if !verifyHits {
                  branches = hit.branches
                  successors += 1
                  branch += 1
                  continue
                }
                expected = Expected(
                  move: out.items.last!.move, vector: out.vectors.elements(from: mark.vectors), branches: hit.branches)
                out.truncate(to: mark)
              }
            }
          }
          // The thread whose state alone (of all threads and registers) may differ from `s`'s
          // after the step, if known: restoring then copies only that thread back.
          var onlyThread: Int? = nil
          loadSuccessor(s)
          defer { successor.restore(s, onlyThread: onlyThread) }
          let result = try executor.step(&successor, thread: t, branch: branch)
          branches = result.branches
          successors += 1
          if !atDepthBound && failure == nil {
            let items = out.items.count
            let vectors = out.vectors.count
            var cacheable: Touched? = nil
            var unrenamed: [UInt32]? = nil
            do throws(ModelError) {
              (onlyThread, cacheable, unrenamed) = try add(
                Move(thread: Int16(t), branch: UInt8(branch), coalesced: 0), result.violation,
                touched: Touched(changed: result.changedOtherThreads, reads: result.readOtherThreads), of: s,
                vector: vector, components: components, source: source, into: &out)
            } catch {
              failure = error
            }
            if let expected {
              assert(
                failure == nil && out.items.count == items + 1 && out.items[items].move == expected.move
                  && out.vectors.elements(from: vectors) == expected.vector && branches == expected.branches,
                "the cached move of thread \(t), branch \(branch) differs from the move run afresh")
            }
            if let touched = cacheable, let key {
              // A reordered successor is recorded as it was before the renaming
              // (``unrenamedSuccessor(thread:from:of:components:)``). (No local function here: one capturing this loop's
              // variables boxed them, and every access to them then paid an exclusivity
              // check, 3 % of all instructions.)
              let coalesced = out.items[items].move.coalesced
              if let unrenamed {
                // (A reordered move whose mover then waits in `synchronize_rcu` is not cached.)
                out.reorderedMovesLearned += 1
                unrenamed.withUnsafeBufferPointer { ids in
                  cache!.insert(
                    key, of: s, successor: ids, coalesced: coalesced, branches: branches, reads: touched.reads,
                    privacy: touched.privacy, waits: false)
                }
              } else {
                let waits = successor.threads[t].waitsForGracePeriod
                out.vectors.withUnsafeBufferPointer { v in
                  let successor = UnsafeBufferPointer(rebasing: v[vectors...])
                  let pending = Expander.pending
                  guard successor[State.sharedComponents + t] != pending,
                    !successor[..<State.sharedComponents].contains(pending)
                  else { return }
                  cache!.insert(
                    key, of: s, successor: successor, coalesced: coalesced, branches: branches, reads: touched.reads,
                    privacy: touched.privacy, waits: waits)
                }
              }
            }
          } else if result.violation == nil && !result.changedOtherThreads {
            onlyThread = t
          }
          branch += 1
        }
      }
      if ample == nil && executor.isGracePeriodEnabled(s) {
        successors += 1
        if !atDepthBound && failure == nil {
          try addGracePeriod(of: s, vector: vector, components: components, source: source, into: &out)
        }
      }
    } catch {
      out.truncate(to: start)
      throw error
    }
    if let failure { throw failure }
    if successors == 0 {
      if let v = executor.deadlock(s) { out.append(.deadlock, source: source, violation: v) }
    } else if atDepthBound {
      out.items.append(BatchItem(kind: .depthBound, source: source))
    }
  }

  /// Appends the successor of `s` by the grace period: from ``graceCache`` when a grace
  /// period ran before from the same shared components (the threads keep the parent's ids),
  /// else run, and then cached when its successor's shared components are all stored.
  private mutating func addGracePeriod(
    of s: borrowing State, vector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader, source: Int32,
    into out: inout Batch
  ) throws(ModelError) {
    let move = Move(thread: Int16(Choice.gracePeriod), branch: 0, coalesced: 0)
    let shared = State.sharedComponents
    var expected: [UInt32]? = nil
    if let hit = graceCache?.find(vector.baseAddress!) {
      let mark = out.mark
      out.appendCandidate(source: source, move: move, parent: vector, shared: hit, thread: nil)
      out.cachedGracePeriods += 1
      guard verifyHits else { return }
      expected = out.vectors.elements(from: mark.vectors)
      out.truncate(to: mark)
    }
    loadSuccessor(s)
    defer { successor.restore(s) }
    let result = executor.gracePeriod(&successor)
    let vectors = out.vectors.count
    // The grace period coalesces nothing, so cannot throw.
    _ = try add(
      move, result.violation, touched: Touched(), of: s, vector: vector, components: components, source: source,
      into: &out)
    if let expected {
      assert(
        out.vectors.elements(from: vectors) == expected, "the cached grace period differs from the one run afresh")
      return
    }
    guard graceCache != nil, out.vectors.count == vectors + vector.count else { return }
    out.vectors.withUnsafeBufferPointer { v in
      let after = v.baseAddress! + vectors
      guard !(0..<shared).contains(where: { after[$0] == Expander.pending }) else { return }
      graceCache!.insert(vector.baseAddress!, successor: after)
    }
  }

  /// Makes ``successor`` equal to `s`, the state being expanded, before a move runs on it:
  /// copies the parts ``stale`` names, once per expanded state. Deferred to the first move
  /// that runs, because a state whose moves all hit the cache needs no successor (copying it
  /// regardless was most of the 7 % `memmove` took on spf-4).
  private mutating func loadSuccessor(_ s: State) {
    if !stale.isEmpty {
      successor.load(s, parts: stale)
      stale = State.Written()
    }
    assert(successor == s, "the successor loaded only the parts named changed, and differs from the state")
  }

  /// What a cached move's successor was when the cache found it (debug builds check it
  /// against the move run afresh).
  private struct Expected {
    var move: Move
    var vector: [UInt32]
    var branches: Int
  }

  /// Whether the steps of a move touched threads other than their own.
  private struct Touched {
    /// Some step wrote another thread (``StepResult/changedOtherThreads``).
    var changed = false
    /// What the steps read of other threads (``StepResult/readOtherThreads``).
    var reads = OtherThreadReads()
    /// What coalescing decisions read of other threads (whether an object is private).
    var privacy = PrivacyReads()
  }

  /// Appends the successor of `s` by the cached move `hit` of thread `t`, `branch`: in the
  /// parent's thread order when symmetry keeps it, else reordered
  /// (``appendReordered(_:thread:branch:of:vector:components:source:moving:into:)``). Where
  /// the moved thread goes is found once, comparing its new encoding with its neighbours'
  /// only (until stop 24 a reordered hit found it again over every thread's encoding).
  ///
  /// - Returns: false when nothing was appended (the move is then run afresh).
  private mutating func appendHit(
    _ hit: TransitionCache.Hit, thread t: Int, branch: Int, of s: borrowing State,
    vector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader, source: Int32, into out: inout Batch
  ) -> Bool {
    let shared = State.sharedComponents
    if let symmetry = encoder.symmetry,
      let destination = symmetry.destination(
        of: t, as: components.encoding(of: Int(hit.thread)), others: { components.encoding(of: Int(vector[shared + $0])) }),
      destination.from != destination.to
    {
      return appendReordered(
        hit, thread: t, branch: branch, of: s, vector: vector, components: components, source: source,
        moving: destination, into: &out)
    }
    out.markReached(thread: t, pc: Int(s.threads[t].pc))
    out.appendCandidate(
      source: source, move: Move(thread: Int16(t), branch: UInt8(branch), coalesced: hit.coalesced), parent: vector,
      shared: hit.shared, thread: (t, hit.thread))
    return true
  }

  /// Scratch for ``appendReordered(_:thread:branch:of:vector:components:source:moving:into:)``.
  private struct Renamer {
    /// Decodes one shared component at a time to rename it (its other parts are stale).
    var state = State()
    var writer = ByteWriter()
    var symmetry = Symmetry.Scratch()
    var shared = [UInt32](repeating: 0, count: State.sharedComponents)
    /// ``unrenamedSuccessor(thread:from:of:components:)``'s vector (the shared ids, then
    /// the moving thread's at its index; the other threads' entries unused).
    var unrenamed: [UInt32] = []
  }

  /// Appends the successor of `s` by the cached move `hit` of thread `t`, `branch`, which
  /// symmetry reorders: thread `t` goes from position `from` to `to` of its group (a cached
  /// move changes thread `t` alone), the threads' ids move to their canonical positions and
  /// each shared component takes its renamed id (``RenameCache``; on a miss it is decoded,
  /// renamed and looked up).
  ///
  /// - Returns: false, appending nothing, when that cannot be done here: a thread waits for a
  ///   grace period (its encoding holds thread ids the renaming rewrites), there are more than
  ///   16 threads, or a renamed component is not stored yet. The move then runs afresh.
  private mutating func appendReordered(
    _ hit: TransitionCache.Hit, thread t: Int, branch: Int, of s: borrowing State,
    vector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader, source: Int32,
    moving destination: (group: Int, from: Int, to: Int), into out: inout Batch
  ) -> Bool {
    let shared = State.sharedComponents
    let n = vector.count - shared
    guard let symmetry = encoder.symmetry, n <= 16, !hit.waitsForGracePeriod,
      !s.threads.contains(where: \.waitsForGracePeriod)
    else { return false }
    func id(_ u: Int) -> UInt32 { u == t ? hit.thread : vector[shared + u] }
    symmetry.permutation(
      moving: t, within: destination.group, from: destination.from, to: destination.to, threads: n,
      scratch: &renamer.symmetry)
    assert(
      {
        var full = Symmetry.Scratch()
        return symmetry.permutation(encodings: (0..<n).map { components.encoding(of: Int(id($0))) }, scratch: &full)
          && full.perm == renamer.symmetry.perm
      }(), "moving thread \(t) alone is not the canonical order")
    guard let renamedShared = renamedShared(hit.shared, perm: renamer.symmetry.perm, components: components)
    else { return false }
    out.markReached(thread: t, pc: Int(s.threads[t].pc))
    let start = out.candidateStart
    let v = out.vectors.appendUninitialized(shared + n)
    v.update(from: renamedShared, count: shared)
    // Thread `old` of the successor goes to position `perm[old]`.
    renamer.symmetry.perm.withUnsafeBufferPointer { perm in
      for old in 0..<n { v[shared + perm[old]] = id(old) }
    }
    out.appendCandidate(
      source: source, move: Move(thread: Int16(t), branch: UInt8(branch), coalesced: hit.coalesced), from: start)
    return true
  }

  /// The ids of the shared components whose ids are `ids`, renamed by `perm`: one lookup of
  /// the whole vector (``RenameCache/findShared(_:perm:)``), else component by component;
  /// nil when a renamed component is not stored yet. Valid until the rename cache next
  /// changes.
  private mutating func renamedShared(
    _ ids: UnsafePointer<UInt32>, perm: [Int], components: VisitedStore.Reader
  ) -> UnsafePointer<UInt32>? {
    let code = RenameCache.code(of: perm)
    if let all = renamed.findShared(ids, perm: code) { return all }
    guard renameShared(ids, perm: perm, code: code, components: components) else { return nil }
    return renamed.findShared(ids, perm: code)
  }

  /// For a move of thread `t` alone whose successor, appended to `out` from `start`, symmetry
  /// reordered: the successor's ids as they were before the renaming, what the transition
  /// cache records for the move. The shared components are renamed back by the inverse
  /// permutation (``renamedShared(_:perm:components:)``, through the rename cache); the
  /// moving thread kept its id where the renaming put it. Nil when a component is not stored
  /// yet, or when the moving thread waits in `synchronize_rcu` (its encoding holds thread
  /// ids, which the renaming rewrote). Such moves were 71 % of the moves run afresh on spf-4
  /// until stop 20 cached them.
  private mutating func unrenamedSuccessor(
    thread t: Int, from start: Batch.CandidateStart, of out: borrowing Batch, components: VisitedStore.Reader
  ) -> [UInt32]? {
    let shared = State.sharedComponents
    let movedFrom = encoder.movedFrom
    let n = movedFrom.count
    guard n <= 16, let mover = movedFrom.firstIndex(of: t), !successor.threads[mover].waitsForGracePeriod
    else { return nil }
    if renamer.unrenamed.count != shared + n { renamer.unrenamed = Array(repeating: 0, count: shared + n) }
    return out.vectors.withUnsafeBufferPointer { v -> [UInt32]? in
      let after = v.baseAddress! + Int(start.vector)
      let pending = Expander.pending
      guard after[shared + mover] != pending, !(0..<shared).contains(where: { after[$0] == pending }),
        let before = renamedShared(after, perm: movedFrom, components: components)
      else { return nil }
      renamer.unrenamed.withUnsafeMutableBufferPointer { u in
        u.baseAddress!.update(from: before, count: shared)
        u[shared + t] = after[shared + mover]
      }
      return renamer.unrenamed
    }
  }

  /// Sets `renamer.shared` to the shared components whose ids are `ids`, renamed by `perm`
  /// (whose code is `code`), component by component (``RenameCache``; on a miss it is
  /// decoded, renamed and looked up), and records the whole vector for the next time.
  ///
  /// - Returns: false when a renamed component is not stored yet.
  private mutating func renameShared(
    _ ids: UnsafePointer<UInt32>, perm: [Int], code: UInt64, components: VisitedStore.Reader
  ) -> Bool {
    for k in 0..<State.sharedComponents {
      let before = ids[k]
      if let after = renamed.find(k, before, perm: code) {
        renamer.shared[k] = after
        continue
      }
      var reader = ByteReader(components.encoding(of: Int(before)))
      renamer.state.replaceComponent(k, from: &reader)
      renamer.state.renameShared(perm)
      renamer.writer.reset()
      renamer.state.encodeComponent(k, into: &renamer.writer)
      guard let after = components.find(renamer.writer.buffer, hash: StateHash.hash(renamer.writer.buffer)) else {
        return false
      }
      renamed.insert(k, before, perm: code, renamed: UInt32(after))
      renamer.shared[k] = UInt32(after)
    }
    renamer.shared.withUnsafeBufferPointer { renamed.insertShared(ids, perm: code, renamed: $0.baseAddress!) }
    return true
  }

  /// Coalesces ``successor``, the successor of `s` by `move`, and stores it, or appends the
  /// violation its move committed.
  ///
  /// - Returns: the moving thread when it is the only thread (with its registers) in which
  ///   ``successor`` may now differ from `s`: no step changed another thread, none violated,
  ///   and symmetry renamed no thread; nil when that is not known. And, when the move may be
  ///   cached (besides, its coalescing asked about at most two objects' privacy), what its
  ///   steps and coalescing decisions read of other threads.
  ///
  /// Works on the stored property rather than an `inout` parameter: a mutating method given
  /// `&successor` would access `self` and its `successor` at once, which exclusivity forbids.
  private mutating func add(
    _ move: Move, _ violation: Violation?, touched: Touched, of s: borrowing State,
    vector: UnsafeBufferPointer<UInt32>, components: VisitedStore.Reader, source: Int32, into out: inout Batch
  ) throws(ModelError) -> (Int?, cacheable: Touched?, unrenamed: [UInt32]?) {
    var move = move
    var violation = violation
    var touched = touched
    if move.thread >= 0 { out.markReached(thread: Int(move.thread), pc: Int(s.threads[Int(move.thread)].pc)) }
    if violation == nil && move.thread >= 0 {
      violation = try coalesce(&move, touched: &touched, into: &out)
    }
    if let violation {
      out.append(.stepViolation, source: source, move: move, violation: violation)
      return (nil, nil, nil)
    }
    let start = out.candidateStart
    let changed: ChangedThreads =
      move.thread < 0 ? .none : touched.changed ? .unknown : .only(Int(move.thread))
    let renamed = encoder.storeSuccessor(
      &successor, of: s, parentVector: vector, components: components, changed: changed, into: &out)
    out.appendCandidate(source: source, move: move, from: start)
    guard case .only(let t) = changed else { return (nil, nil, nil) }
    let cacheable = touched.privacy.overflow ? nil : touched
    guard renamed else { return (t, cacheable, nil) }
    // Reordered: every thread may have moved, and the cache records the successor's ids
    // from before the renaming.
    guard cacheable != nil, let unrenamed = unrenamedSuccessor(thread: t, from: start, of: out, components: components)
    else { return (nil, nil, nil) }
    return (nil, cacheable, unrenamed)
  }

  /// Runs on ``successor`` the local and private steps that follow `move` on the same thread
  /// (see ``PartialOrder``).
  ///
  /// - Parameters:
  ///   - touched: notes a coalesced step that changed or read another thread, and what
  ///     coalescing decisions read of other threads.
  ///   - out: the batch each coalesced step is marked reached in.
  /// - Returns: the violation a coalesced step committed, if any.
  private mutating func coalesce(
    _ move: inout Move, touched: inout Touched, into out: inout Batch
  ) throws(ModelError) -> Violation? {
    guard let partialOrder else { return nil }
    let t = Int(move.thread)
    while move.coalesced < UInt8.max && partialOrder.coalesces(successor, t, privacy: &touched.privacy) {
      out.markReached(thread: t, pc: Int(successor.threads[t].pc))
      let result = try executor.step(&successor, thread: t, branch: 0)
      move.coalesced += 1
      touched.changed = touched.changed || result.changedOtherThreads
      touched.reads.formUnion(result.readOtherThreads)
      if let v = result.violation { return v }
    }
    return nil
  }

  /// What applying a stored move to a real state did.
  enum Applied {
    case disabled
    case stepped
    case violated(Violation)
  }

  /// Applies a stored move, run by thread `t`, to a real (uncanonicalized) state, as the
  /// trace will.
  ///
  /// - Returns: what happened, and how many steps ran (a violation ends the move early).
  func apply(_ move: Move, thread t: Int, to s: inout State) throws(ModelError) -> (Applied, Int) {
    if move.thread == Int16(Choice.gracePeriod) {
      guard executor.isGracePeriodEnabled(s) else { return (.disabled, 0) }
      _ = executor.gracePeriod(&s)
      return (.stepped, 1)
    }
    guard executor.isEnabled(s, t) else { return (.disabled, 0) }
    let result = try executor.step(&s, thread: t, branch: Int(move.branch))
    if let v = result.violation { return (.violated(v), 1) }
    if Int(move.branch) >= result.branches { return (.disabled, 0) }
    for k in 0..<Int(move.coalesced) {
      let result = try executor.step(&s, thread: t, branch: 0)
      if let v = result.violation { return (.violated(v), k + 2) }
    }
    return (.stepped, Int(move.coalesced) + 1)
  }
}

extension Expander {
  /// Puts states in canonical form (symmetry) and encodes them into component vectors for
  /// the store, holding the scratch buffers that takes so that they are reused from state to
  /// state. Kept apart from the expander's ``Expander/successor`` (see ``Expander/encoder``).
  private struct VectorEncoder {
    let symmetry: Symmetry?
    private var writer = ByteWriter()
    /// Encodes shared components while `writer` holds the changed threads' bytes.
    private var sharedWriter = ByteWriter()
    /// Per thread of the successor being stored: the end of its bytes in `writer`, or -1
    /// when the step left it as in the parent.
    private var threadEnds: [Int] = []
    /// After symmetry moved threads: the thread of the step's successor now at each position.
    private(set) var movedFrom: [Int] = []
    private var scratch = Symmetry.Scratch()

    init(symmetry: Symmetry?) {
      self.symmetry = symmetry
    }

    /// Puts the initial state `s` in canonical form (symmetry) and appends its component
    /// vector to `out`, every component ``Expander/pending`` with its encoding in the arena.
    mutating func storeRoot(_ s: inout State, into out: inout Batch) {
      symmetry?.canonicalize(&s, scratch: &scratch)
      for k in 0..<State.componentCount(threads: s.threads.count) {
        writer.reset()
        s.encodeComponent(k, into: &writer)
        append(writer.buffer, components: nil, into: &out)
      }
    }

    /// Puts `s`, a successor of `parent`, in canonical form (symmetry) and appends its
    /// component vector to `out`: the parent's id for every component `s` shares with
    /// `parent`, the stored id of every other component already in `components` (looked up
    /// here, in parallel, so the merge only interns components never seen before), and
    /// ``Expander/pending`` (with the encoding in the arena) for the rest. `changed` says
    /// which threads the move may have changed; the others keep the parent's ids without
    /// being compared.
    ///
    /// - Returns: true when symmetry moved threads, renaming them in `s`.
    ///
    /// The parent is borrowed, not passed as an optional (wrapping it copies it, retaining
    /// every array, once per successor).
    mutating func storeSuccessor(
      _ s: inout State, of parent: borrowing State, parentVector: UnsafeBufferPointer<UInt32>,
      components: VisitedStore.Reader, changed: ChangedThreads, into out: inout Batch
    ) -> Bool {
      if let symmetry {
        return storeCanonical(
          &s, symmetry, parent: parent, parentVector: parentVector, components: components, changed: changed,
          into: &out)
      }
      for k in 0..<State.componentCount(threads: s.threads.count) {
        if Self.same(k, s, as: parent, changed) {
          out.vectors.append(parentVector[k])
          continue
        }
        writer.reset()
        s.encodeComponent(k, into: &writer)
        append(writer.buffer, components: components, into: &out)
      }
      return false
    }

    /// True when component `k` of `s`, the reused successor loaded from `parent`, is known to
    /// equal the parent's: unwritten or byte-equal (``State/sameBytes(_:as:)``), unless
    /// `changed` tells for a thread component (checked against the comparison by value in
    /// debug builds). False may still mean equal; the component is then encoded and found.
    private static func same(_ k: Int, _ s: State, as parent: State, _ changed: ChangedThreads) -> Bool {
      let shared = State.sharedComponents
      guard k >= shared, let same = changed.same(k - shared) else { return s.sameBytes(k, as: parent) }
      assert(!same || s.sameComponent(k, as: parent), "a step changed thread \(k - shared) without reporting it")
      return same
    }

    /// Appends the id of the component encoded as `bytes` when it is stored, else queues it
    /// for the merge (``Expander/pending``).
    private func append(_ bytes: UnsafeRawBufferPointer, components: VisitedStore.Reader?, into out: inout Batch) {
      let hash = StateHash.hash(bytes)
      if let id = components?.find(bytes, hash: hash) {
        out.vectors.append(UInt32(id))
        return
      }
      let start = out.arena.count
      out.arena.append(contentsOf: bytes)
      out.pending.append(PendingComponent(start: Int32(start), end: Int32(out.arena.count), hash: hash))
      out.vectors.append(Expander.pending)
    }

    /// Canonicalises `s` and stores its vector, encoding each thread once: a thread the step
    /// did not change is ordered by the parent's stored bytes and keeps the parent's id; a
    /// changed thread's encoding serves both the ordering and the store.
    ///
    /// When threads moved, each keeps its id or encoding at its new position: a thread's
    /// encoding holds no thread id but its `synchronize_rcu` wait mask, which the renaming
    /// rewrites, so only a thread waiting for a grace period is encoded again. The shared
    /// components, where the renaming rewrites owners and masks, are compared with the
    /// parent's as always.
    ///
    /// - Returns: true when threads moved (renamed in `s`).
    private mutating func storeCanonical(
      _ s: inout State, _ symmetry: Symmetry, parent: State, parentVector: UnsafeBufferPointer<UInt32>,
      components: VisitedStore.Reader, changed: ChangedThreads, into out: inout Batch
    ) -> Bool {
      let shared = State.sharedComponents
      let n = s.threads.count
      writer.reset()
      // Sized once per thread count and overwritten (emptying an array costs more than this).
      if threadEnds.count != n { threadEnds = Array(repeating: -1, count: n) }
      for t in 0..<n {
        if Self.same(shared + t, s, as: parent, changed) {
          threadEnds[t] = -1
        } else {
          s.encodeThread(t, into: &writer)
          threadEnds[t] = writer.count
        }
      }
      // Taken out of the scratch (not copied) so that writing it keeps its storage.
      var encodings = scratch.encodings
      scratch.encodings = []
      if encodings.count != n { encodings = Array(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: n) }
      // Written through a buffer pointer: one uniqueness check, not one per element.
      encodings.withUnsafeMutableBufferPointer { encodings in
        var start = 0
        for t in 0..<n {
          if threadEnds[t] < 0 {
            encodings[t] = components.encoding(of: Int(parentVector[shared + t]))
          } else {
            encodings[t] = UnsafeRawBufferPointer(rebasing: writer.buffer[start..<threadEnds[t]])
            start = threadEnds[t]
          }
        }
      }
      defer { scratch.encodings = encodings }
      // The grace period changes no thread: the parent's order stands.
      let moved: Bool
      if case .none = changed {
        moved = false
      } else {
        moved = symmetry.canonicalize(&s, encodings: encodings, onlyChanged: changed.onlyThread, scratch: &scratch)
      }
      for k in 0..<shared {
        if s.sameBytes(k, as: parent) {
          out.vectors.append(parentVector[k])
          continue
        }
        sharedWriter.reset()
        s.encodeComponent(k, into: &sharedWriter)
        append(sharedWriter.buffer, components: components, into: &out)
      }
      /// Appends, for position `p`, thread `old` of the step's successor: the parent's id
      /// for a thread the step left alone, else its encoding made above.
      func appendThread(_ p: Int, from old: Int) {
        assert(Self.encoding(of: p, in: s) == Array(encodings[old]), "thread \(old) moved to \(p) encodes differently")
        if threadEnds[old] < 0 {
          out.vectors.append(parentVector[shared + old])
        } else {
          append(encodings[old], components: components, into: &out)
        }
      }
      // Two loops, not one with the identity for `movedFrom`: the test in the loop cost 1.6 %
      // of all instructions.
      guard moved else {
        for t in 0..<n { appendThread(t, from: t) }
        return false
      }
      // Position `p` now holds thread `movedFrom[p]` of the step's successor.
      if movedFrom.count != n { movedFrom = Array(repeating: 0, count: n) }
      for old in 0..<n { movedFrom[scratch.perm[old]] = old }
      for p in 0..<n {
        if s.threads[p].waitsForGracePeriod {
          sharedWriter.reset()
          s.encodeThread(p, into: &sharedWriter)
          append(sharedWriter.buffer, components: components, into: &out)
        } else {
          appendThread(p, from: movedFrom[p])
        }
      }
      return true
    }

    /// Thread `t`'s encoding in `s`, afresh (debug checks).
    private static func encoding(of t: Int, in s: State) -> [UInt8] {
      var w = ByteWriter()
      s.encodeThread(t, into: &w)
      return Array(w.buffer)
    }

    /// The canonical component vector of `s` when every component is already stored, else
    /// nil (trace reconstruction).
    mutating func canonicalVector(_ s: State, components: LevelComponents) -> [UInt32]? {
      var copy = s
      if let symmetry { symmetry.canonicalize(&copy, scratch: &scratch) }
      var vector: [UInt32] = []
      for k in 0..<State.componentCount(threads: copy.threads.count) {
        writer.reset()
        copy.encodeComponent(k, into: &writer)
        guard let id = components.find(writer.buffer, hash: StateHash.hash(writer.buffer)) else { return nil }
        vector.append(UInt32(id))
      }
      return vector
    }
  }
}
