import Foundation
import Testing

@testable import SPFCheck

/// The transition cache changes only the time: over every model in models/, exploring with
/// and without it gives the same figures, verdict, counterexample schedules and coverage.
/// Debug builds (these tests) also run every move the cache answers and check, hit by hit,
/// that both give the same successor (``Expander``); so the corpus must make the cache answer.
/// A run with that check off takes the release builds' path, where a hit runs nothing.
@Suite struct TransitionCacheTests {
  static func explore(_ model: CompiledModel, cache: Bool, checkHits: Bool = true, jobs: Int = 1) throws -> ExploreResult {
    var options = ExploreOptions()
    options.maxStates = Corpus.stateBound
    options.transitionCache = cache
    options.checkCacheHits = checkHits
    options.jobs = jobs
    return try Explorer(model: model, options: options).run()
  }

  @Test(arguments: ModelCorpusTests.models)
  func theCacheChangesNoResult(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let fresh = try Self.explore(model, cache: false)
    #expect(fresh.stats.cachedMoves == 0)
    for checkHits in [true, false] {
      let cached = try Self.explore(model, cache: true, checkHits: checkHits)
      #expect(cached.verdict == fresh.verdict)
      #expect(cached.stats.states == fresh.stats.states)
      #expect(cached.stats.transitions == fresh.stats.transitions)
      #expect(cached.stats.maxDepth == fresh.stats.maxDepth)
      #expect(cached.findings.map(\.schedule) == fresh.findings.map(\.schedule))
      #expect(cached.findings.map(\.violation.message) == fresh.findings.map(\.violation.message))
      #expect(cached.coverage.unreached == fresh.coverage.unreached)
    }
  }

  /// Most moves of the SPF benchmark case come from the cache, a thread's step seeing the same
  /// few shared states whatever the other threads do: more than a third of the transitions
  /// (a move counts its coalesced steps as transitions). With two workers too, and nearly as
  /// many as with one, since the workers share what they learn between levels: about 91 %
  /// of one worker's hits here, against 84 % when each kept its own cache.
  @Test func mostMovesOfTheSPFCaseAreCached() throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("Sources/spfcheck-bench/Cases/spf-2.json"))
    var options = ExploreOptions()
    options.maxStates = 20_000
    var hits: [Int] = []
    for jobs in [1, 2] {
      options.jobs = jobs
      let r = try Explorer(model: model, options: options).run()
      #expect(r.stats.cachedMoves * 3 > r.stats.transitions, "jobs \(jobs): \(r.stats.cachedMoves) of \(r.stats.transitions)")
      #expect(jobs == 1 || r.stats.parallelLevels > 0)
      hits.append(r.stats.cachedMoves)
    }
    #expect(hits[1] * 100 > hits[0] * 88, "two workers: \(hits[1]) hits, one: \(hits[0])")
  }

  /// The SPF benchmark cases with three and four symmetric fault threads, where a cached
  /// move's successor is often reordered, and by more than a swap (a thread overtaking two
  /// others): the same figures with and without the cache, and debug builds check each hit.
  /// Moves whose successor was reordered when they ran are cached too, as they were before
  /// the renaming, and their later occurrences come from the cache (checked hit by hit).
  @Test(arguments: ["spf-3", "spf-4"])
  func reorderedSuccessorsOfTheSPFCasesAgree(_ name: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("Sources/spfcheck-bench/Cases/\(name).json"))
    var options = ExploreOptions()
    options.maxStates = 30_000
    let cached = try Explorer(model: model, options: options).run()
    options.transitionCache = false
    let fresh = try Explorer(model: model, options: options).run()
    #expect(cached.stats.states == fresh.stats.states && cached.stats.transitions == fresh.stats.transitions)
    #expect(cached.stats.maxDepth == fresh.stats.maxDepth)
    #expect(cached.stats.cachedMoves * 3 > cached.stats.transitions)
    #expect(cached.stats.reorderedMovesLearned > 0)
    #expect(fresh.stats.reorderedMovesLearned == 0)
  }

  /// Grace periods come from their own cache (``GracePeriodCache``), keyed on the shared
  /// components alone, with one worker and two (at least `least` of them in the first 20,000
  /// states), and the figures and counterexamples are those of the search that runs every
  /// grace period (debug builds also run each hit and compare).
  @Test(arguments: [("spf-2", 1_000), ("leak-race", 50)])
  func gracePeriodsComeFromTheirCache(_ name: String, least: Int) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("Sources/spfcheck-bench/Cases/\(name).json"))
    var options = ExploreOptions()
    options.maxStates = 20_000
    options.transitionCache = false
    let fresh = try Explorer(model: model, options: options).run()
    #expect(fresh.stats.cachedGracePeriods == 0)
    options.transitionCache = true
    for jobs in [1, 2] {
      options.jobs = jobs
      for checkHits in [true, false] {
        options.checkCacheHits = checkHits
        let cached = try Explorer(model: model, options: options).run()
        #expect(cached.stats.states == fresh.stats.states && cached.stats.transitions == fresh.stats.transitions)
        #expect(cached.findings.map(\.schedule) == fresh.findings.map(\.schedule))
        #expect(cached.stats.cachedGracePeriods >= least, "jobs \(jobs): \(cached.stats.cachedGracePeriods) cached")
      }
    }
  }

  /// A grace-period entry is found by all four shared ids, the first of which may be 0 (the
  /// key's first word is a tag, so no key reads as an empty slot).
  @Test func aGracePeriodEntryIsFoundByItsSharedIds() {
    var cache = GracePeriodCache()
    let zero: [UInt32] = [0, 0, 0, 0]
    let other: [UInt32] = [0, 0, 0, 1]
    let successor: [UInt32] = [5, 6, 7, 8]
    zero.withUnsafeBufferPointer { z in
      successor.withUnsafeBufferPointer { cache.insert(z.baseAddress!, successor: $0.baseAddress!) }
    }
    let found = zero.withUnsafeBufferPointer { z in
      cache.find(z.baseAddress!).map { Array(UnsafeBufferPointer(start: $0, count: State.sharedComponents)) }
    }
    #expect(found == successor)
    #expect(other.withUnsafeBufferPointer { cache.find($0.baseAddress!) } == nil)
  }

  /// A move that reads another thread's RCU state is cached with that state as a condition:
  /// B's `rcu_read_unlock` is the same move (same thread and shared components) whether or
  /// not A already waits in `synchronize_rcu` for it, and only without a waiter may it reuse
  /// what it did; with one it must wake A. Both orders reach the end.
  @Test func anRcuUnlockWakesTheWaiterItDidNotSeeBefore() throws {
    let json = KernelTests.model(
      """
      "a": [
        { "op": "synchronize_rcu" },
        { "op": "end" }
      ],
      "b": [
        { "op": "rcu_read_lock" },
        { "op": "rcu_read_unlock" },
        { "op": "end" }
      ]
      """, threads: [("A", "a"), ("B", "b")])
    let model = try InlineModel.load(json)
    let cached = try Self.explore(model, cache: true)
    let fresh = try Self.explore(model, cache: false)
    #expect(cached.verdict == .verified && fresh.verdict == .verified)
    #expect(cached.stats.states == fresh.stats.states && cached.stats.transitions == fresh.stats.transitions)
  }

  /// A move whose coalescing asked whether an object is private is cached with the answer as
  /// a condition. The writer's `store` to `g`, with its `vma_set` of the unpublished VMA
  /// coalesced after it when the VMA is private, is the same move (same thread and shared
  /// components) whether or not the reader loaded the VMA from the cell before it was
  /// unpublished; only while the reader holds nothing may the `vma_set` be coalesced.
  @Test func aPrivacyAnswerIsAConditionOfTheCachedMove() throws {
    let model = try InlineModel.load(PrivateObjectReductionTests.vmaAnotherThreadHolds)
    let cached = try Self.explore(model, cache: true)
    let fresh = try Self.explore(model, cache: false)
    #expect(cached.verdict == fresh.verdict)
    #expect(cached.kinds == fresh.kinds)
    #expect(cached.stats.states == fresh.stats.states && cached.stats.transitions == fresh.stats.transitions)
    #expect(cached.findings.map(\.schedule) == fresh.findings.map(\.schedule))
    #expect(cached.stats.cachedMovesAskingPrivacy > 0, "no move that asked about privacy came from the cache")
    #expect(fresh.stats.cachedMovesAskingPrivacy == 0)
  }

  /// What a cache entry keeps of the privacy answers: one place per object (an object asked
  /// twice takes one), no third; and the answers hold in a state only where another thread
  /// names each object exactly as it did.
  @Test func privacyReadsKeepTwoObjectsAndCheckTheirAnswers() throws {
    let a = Ref(kind: .vma, index: 0)
    let b = Ref(kind: .obj, index: 3)
    var reads = PrivacyReads()
    reads.note(a, named: false)
    reads.note(a, named: false)
    reads.note(b, named: true)
    #expect(!reads.overflow)
    #expect(reads.objects.0 == PackedRef(a).raw && reads.objects.1 == PackedRef(b).raw && reads.named == 2)
    var third = reads
    third.note(Ref(kind: .obj, index: 4), named: false)
    #expect(third.overflow)

    // The reachable states of the model where the reader holds the VMA, and where it does not.
    let model = try InlineModel.load(PrivateObjectReductionTests.vmaAnotherThreadHolds)
    var seen = (held: 0, notHeld: 0)
    for s in try StateEncodingTests.reachable(model) {
      let held = PrivateObjectReductionTests.holds(s, 1, a)
      var asked = PrivacyReads()
      asked.note(a, named: held)
      #expect(asked.hold(in: s, thread: 0))
      var opposite = PrivacyReads()
      opposite.note(a, named: !held)
      #expect(!opposite.hold(in: s, thread: 0))
      if held { seen.held += 1 } else { seen.notHeld += 1 }
    }
    #expect(seen.held > 0 && seen.notHeld > 0)
  }

  /// A cached move after which the moving thread waits in `synchronize_rcu` is not served
  /// reordered: the waiter's encoding holds the readers' thread ids, which a reordering
  /// renames. Two symmetric threads: T0 calls `synchronize_rcu` while T1 sits inside a
  /// read-side section, first at `late` (the waiter stays first: cached), then, deeper, at
  /// `sync` itself (the same move, but T0's wait now sorts it after T1). The registers stay
  /// empty up to there, so the wait decides the order.
  @Test func aWaiterOvertakingItsReaderRunsAfresh() throws {
    let model = try InlineModel.load(
      """
      {
        "name": "waiter-overtakes-reader",
        "globals": { "g": 0 },
        "programs": {
          "p": [
            { "op": "choose", "goto": "reader" },
            { "label": "sync", "op": "synchronize_rcu" },
            { "label": "late", "op": "load", "global": "g", "into": "x" },
            { "op": "end" },
            { "label": "reader", "op": "rcu_read_lock" },
            { "op": "choose", "goto": "slow" },
            { "op": "goto", "goto": "late" },
            { "label": "slow", "op": "store", "global": "g", "value": 0 },
            { "op": "choose", "goto": "late" },
            { "op": "store", "global": "g", "value": 0 },
            { "op": "goto", "goto": "sync" }
          ]
        },
        "threads": [{ "name": "T", "program": "p", "count": 2 }]
      }
      """)
    let cached = try Self.explore(model, cache: true)
    let fresh = try Self.explore(model, cache: false)
    #expect(cached.kinds == ["lock-misuse", "sleep-in-atomic"] && cached.kinds == fresh.kinds)
    #expect(cached.stats.states == fresh.stats.states && cached.stats.transitions == fresh.stats.transitions)
    #expect(cached.findings.map(\.schedule) == fresh.findings.map(\.schedule))
    #expect(cached.stats.cachedMoves > 0)
  }

  /// Workers share what they learn: the explorer moves a worker's own entries into the cache
  /// every worker reads (``TransitionCache/absorb(_:)``), a cache looks moves up there first
  /// (``TransitionCache/learned``), then in its own entries, and while it reads a shared cache
  /// it publishes the moves it learns there, where every other worker finds them at once.
  @Test func aWorkerFindsTheMovesAnotherLearned() {
    let width = State.sharedComponents + 2
    func key(_ t: Int, _ first: UInt32) -> TransitionCache.Key {
      let vector = (0..<width).map { first + UInt32($0) }
      return vector.withUnsafeBufferPointer { TransitionCache.Key(thread: t, branch: 0, vector: $0) }
    }
    func learn(_ k: TransitionCache.Key, successor thread: UInt32, into cache: inout TransitionCache) {
      var successor = [UInt32](repeating: 3, count: width)
      successor[State.sharedComponents] = thread
      successor.withUnsafeBufferPointer {
        cache.insert(
          k, of: State(), successor: $0, coalesced: 0, branches: 1, reads: OtherThreadReads(), privacy: PrivacyReads(),
          waits: false)
      }
    }
    // The moves learned here read nothing of other threads: they hold in any state.
    func found(_ k: TransitionCache.Key, in cache: TransitionCache) -> UInt32? {
      cache.find(k, holdingIn: State(), thread: 0)?.thread
    }
    var first = TransitionCache()
    var second = TransitionCache()
    learn(key(0, 10), successor: 7, into: &first)
    learn(key(0, 20), successor: 9, into: &second)
    var learned = TransitionCache()
    learned.absorb(&first)
    #expect(first.count == 0 && found(key(0, 10), in: first) == nil)
    #expect(found(key(0, 10), in: second) == nil)
    second.learned = learned.view
    first.learned = learned.view
    #expect(found(key(0, 10), in: second) == 7)
    #expect(found(key(0, 20), in: second) == 9)
    #expect(found(key(0, 30), in: second) == nil)
    // Published by one worker, found by the other before any absorbing, and counted once
    // the shared cache absorbs the publisher.
    learn(key(0, 40), successor: 11, into: &second)
    #expect(found(key(0, 40), in: first) == 11 && second.count == 1)
    let before = learned.count
    learned.absorb(&second)
    #expect(learned.count == before + 2 && found(key(0, 40), in: learned) == 11)
  }

  /// The rename cache answers per component and per whole shared vector, each only for the
  /// ids and permutation it was told.
  @Test func theRenameCacheAnswersOnlyWhatItWasTold() {
    var cache = RenameCache()
    let n = State.sharedComponents
    let ids = (0..<n).map { UInt32(10 + $0) }
    let renamed = (0..<n).map { UInt32(20 + $0) }
    let code: UInt64 = 0x10
    ids.withUnsafeBufferPointer { ids in
      #expect(cache.findShared(ids.baseAddress!, perm: code) == nil)
      renamed.withUnsafeBufferPointer { cache.insertShared(ids.baseAddress!, perm: code, renamed: $0.baseAddress!) }
      let found = cache.findShared(ids.baseAddress!, perm: code)
      #expect(found.map { Array(UnsafeBufferPointer(start: $0, count: n)) } == renamed)
      #expect(cache.findShared(ids.baseAddress!, perm: 0x01) == nil)
    }
    let other = [UInt32(10), 11, 12, 99].prefix(n)
    Array(other).withUnsafeBufferPointer { #expect(cache.findShared($0.baseAddress!, perm: code) == nil) }
    cache.insert(2, 12, perm: code, renamed: 7)
    #expect(cache.find(2, 12, perm: code) == 7)
    #expect(cache.find(1, 12, perm: code) == nil && cache.find(2, 12, perm: 0x01) == nil)
    // A vector whose first shared id is 0 (the first component ever stored) is found too.
    let first = [UInt32(0), 11, 12, 13].prefix(n)
    Array(first).withUnsafeBufferPointer { ids in
      renamed.withUnsafeBufferPointer { cache.insertShared(ids.baseAddress!, perm: code, renamed: $0.baseAddress!) }
      let found = cache.findShared(ids.baseAddress!, perm: code)
      #expect(found.map { Array(UnsafeBufferPointer(start: $0, count: n)) } == renamed)
    }
  }
}
