import Foundation
import Testing

@testable import SPFCheck

/// Differential tests of the reductions and of parallel exploration: over every model in
/// models/, the verdict and the violation names do not depend on `--no-por`,
/// `--no-symmetry`, `--jobs` or `--fingerprint`; in exact mode the state count does not
/// depend on `--jobs`; and every counterexample found under a reduction replays without it.
@Suite struct ReductionTests {
  struct Config: CustomStringConvertible, Sendable {
    var por: Bool
    var symmetry: Bool
    var jobs: Int
    var fingerprint = false
    var description: String {
      "por \(por) symmetry \(symmetry) jobs \(jobs)" + (fingerprint ? " fingerprint" : "")
    }
  }

  static let unreduced = Config(por: false, symmetry: false, jobs: 1)
  static let variants: [Config] = [
    Config(por: true, symmetry: true, jobs: 1),
    Config(por: true, symmetry: false, jobs: 1),
    Config(por: false, symmetry: true, jobs: 1),
    Config(por: true, symmetry: true, jobs: 2),
    Config(por: false, symmetry: false, jobs: 2),
    Config(por: true, symmetry: true, jobs: 2, fingerprint: true),
  ]

  static func explore(_ model: CompiledModel, _ c: Config) throws -> ExploreResult {
    var options = ExploreOptions()
    options.maxStates = Corpus.stateBound
    options.partialOrder = c.por
    options.symmetry = c.symmetry
    options.jobs = c.jobs
    options.fingerprint = c.fingerprint
    return try Explorer(model: model, options: options).run()
  }

  @Test(arguments: ModelCorpusTests.models)
  func verdictsAgreeWithAndWithoutEachReduction(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let base = try Self.explore(model, Self.unreduced)
    var byReductions: [String: Int] = [:]
    for c in Self.variants {
      let r = try Self.explore(model, c)
      #expect(r.verdict == base.verdict, "\(relative) [\(c)]")
      #expect(r.kinds == base.kinds, "\(relative) [\(c)]: \(r.kinds.sorted()) vs \(base.kinds.sorted())")
      #expect(r.stats.states <= base.stats.states, "\(relative) [\(c)] stored more states than no reduction")
      for finding in r.findings {
        let replay = try Replayer(model: model, file: "memory").run(finding.schedule)
        #expect(
          replay.violations.contains { $0.invariant == finding.violation.invariant },
          "\(relative) [\(c)]: the \(finding.violation.invariant.rawValue) schedule does not replay unreduced")
      }
      if !c.fingerprint {
        let key = "\(c.por) \(c.symmetry)"
        if let states = byReductions[key] {
          #expect(r.stats.states == states, "\(relative) [\(c)]: the state count depends on --jobs")
        }
        byReductions[key] = r.stats.states
      }
    }
  }

  /// With the same reductions, one and two workers give the same figures and the same
  /// counterexample schedules, not just the same verdict.
  @Test func jobsDoNotChangeFiguresOrSchedules() throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/rcu-walk-vs-munmap.json"))
    let one = try Self.explore(model, Config(por: true, symmetry: true, jobs: 1))
    let two = try Self.explore(model, Config(por: true, symmetry: true, jobs: 2))
    #expect(one.stats.states == two.stats.states)
    #expect(one.stats.transitions == two.stats.transitions)
    #expect(one.findings.map(\.schedule) == two.findings.map(\.schedule))
    #expect(!one.findings.isEmpty)
  }

  /// `--jobs 2` really splits the work: with the two-fault model's levels cut into chunks of
  /// 8 states, both workers expand states in the levels they share, the split covers every
  /// stored state exactly once, and the figures and schedules are those of one worker, which
  /// expands everything alone. (Each worker always expands its own chunk of a shared level,
  /// so "both expand something" holds on every run although the rest of the split depends on
  /// which worker claims a chunk first.)
  @Test func jobsSplitTheExpansionBetweenWorkers() throws {
    let model = try InlineModel.load(Self.twoFaults)
    let one = try Self.exploreInSmallChunks(model, jobs: 1)
    let two = try Self.exploreInSmallChunks(model, jobs: 2)
    #expect(one.verdict == .violation)
    #expect(one.stats.states > 4 * 128)
    #expect(one.stats.expandedByWorker == [one.stats.states])
    #expect(one.stats.parallelLevels == 0)
    #expect(two.stats.expandedByWorker.count == 2)
    #expect(two.stats.expandedByWorker.allSatisfy { $0 > 0 })
    #expect(two.stats.expandedByWorker.reduce(0, +) == two.stats.states)
    #expect(two.stats.parallelLevels > 1)
    #expect(two.stats.states == one.stats.states)
    #expect(two.stats.transitions == one.stats.transitions)
    #expect(two.findings.map(\.schedule) == one.findings.map(\.schedule))
    // Other chunk sizes change neither the figures nor the schedules.
    let whole = try Self.explore(model, Config(por: true, symmetry: true, jobs: 1))
    #expect(whole.stats.states == one.stats.states)
    #expect(whole.findings.map(\.schedule) == one.findings.map(\.schedule))
  }

  /// A ring of two chunks (three with three jobs: at least one per worker) makes the workers
  /// wait for the merge at nearly every chunk (chunk c goes where chunk c - 2 was, once it is
  /// merged): the figures and schedules stay those of
  /// one worker. (With three jobs on a two-core machine nobody spins, so every wait sleeps; a
  /// missed wake-up would block, which ``finishing(within:_:)`` reports.)
  @Test func workersWaitingForTheMergeChangeNothing() throws {
    let model = try InlineModel.load(Self.twoFaults)
    let one = try Self.exploreInSmallChunks(model, jobs: 1)
    for jobs in [2, 3] {
      guard let narrow = try finishing(within: 60, { try Self.exploreInSmallChunks(model, jobs: jobs, window: 2) })
      else { continue }
      #expect(narrow.stats.states == one.stats.states)
      #expect(narrow.stats.transitions == one.stats.transitions)
      #expect(narrow.findings.map(\.schedule) == one.findings.map(\.schedule))
      #expect(narrow.stats.expandedByWorker.count == jobs && narrow.stats.expandedByWorker.allSatisfy { $0 > 0 })
    }
  }

  /// A state bound cuts the search at the same state whatever `--jobs` is, even though the
  /// workers have already expanded later chunks when the merge reaches the bound (they are
  /// dropped, not merged).
  @Test func stateBoundCutsTheSameSearchForEveryJobCount() throws {
    let model = try InlineModel.load(Self.twoFaults)
    let one = try Self.exploreInSmallChunks(model, jobs: 1, maxStates: 1_000)
    let two = try Self.exploreInSmallChunks(model, jobs: 2, maxStates: 1_000)
    #expect(one.verdict == .incomplete("state bound 1000 reached"))
    #expect(two.verdict == one.verdict)
    #expect(two.stats.states == 1_000 && one.stats.states == 1_000)
    #expect(two.stats.transitions == one.stats.transitions)
    #expect(two.stats.maxDepth == one.stats.maxDepth)
    #expect(two.stats.parallelLevels > 1)
    #expect(two.stats.expandedByWorker.reduce(0, +) == one.stats.expandedByWorker.reduce(0, +))
  }

  /// The local-step reduction stores fewer states on the shipped SPF model; the unreduced
  /// count is the one the explorer had before any reduction existed (1393).
  @Test func partialOrderStoresFewerStates() throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/spf-vs-munmap.json"))
    let full = try Self.explore(model, Self.unreduced)
    let reduced = try Self.explore(model, Config(por: true, symmetry: false, jobs: 1))
    #expect(full.stats.states == 1393)
    #expect(reduced.stats.states * 2 < full.stats.states)
  }

  /// Explores `model` with `jobs` workers in chunks of 8 states, so that its levels are cut
  /// into many chunks and even small levels are shared; `window` chunks may be expanded
  /// ahead of the merge.
  static func exploreInSmallChunks(
    _ model: CompiledModel, jobs: Int, maxStates: Int? = nil, window: Int = Explorer.window
  ) throws -> ExploreResult {
    var options = ExploreOptions()
    options.jobs = jobs
    options.chunkSize = 8
    options.window = window
    options.maxStates = maxStates
    return try Explorer(model: model, options: options).run()
  }

  static let twoFaults = """
    {
      "format": "spfcheck-model/1", "name": "two-identical-faults",
      "layout": { "fanout": [2, 2, 2] },
      "vmas": [{ "name": "A", "start": 0, "end": 4, "prot": "rw" }],
      "pageTables": "populated",
      "include": ["\(RepoPaths.absolute("models/protocols/fault-spf.json"))", "\(RepoPaths.absolute("models/protocols/munmap.json"))"],
      "threads": [
        { "name": "F", "program": "fault-spf", "args": { "addr": 1 }, "count": 2 },
        { "name": "U", "program": "munmap", "args": { "start": 0, "end": 4 } }
      ]
    }
    """

  /// Two identical RCU readers and a `synchronize_rcu` that waits for them: when symmetry
  /// swaps the readers, the waiter's mask is renamed, so the waiter's thread component
  /// changes although the waiter did not move. The expander reuses every moved thread's
  /// encoding but re-encodes such a waiter; a debug assertion compares each reused encoding
  /// with a fresh one, and fails here when the waiter is reused too.
  static let readersAndWaiter = """
    {
      "format": "spfcheck-model/1", "name": "readers-and-waiter",
      "programs": {
        "reader": [
          { "op": "rcu_read_lock" }, { "op": "nop" }, { "op": "nop" }, { "op": "rcu_read_unlock" },
          { "op": "end" }
        ],
        "sync": [{ "op": "synchronize_rcu" }, { "op": "end" }]
      },
      "threads": [
        { "name": "R", "program": "reader", "count": 2 },
        { "name": "S", "program": "sync" }
      ]
    }
    """

  @Test(arguments: [false, true])
  func symmetryRenamesTheMaskOfAWaiterItDidNotMove(por: Bool) throws {
    let model = try InlineModel.load(Self.readersAndWaiter)
    let plain = try Self.explore(model, Config(por: por, symmetry: false, jobs: 1))
    let sym = try Self.explore(model, Config(por: por, symmetry: true, jobs: 1))
    #expect(plain.verdict == .verified && sym.verdict == .verified)
    #expect(sym.stats.states < plain.stats.states)
    // The case the assertion guards is reached: a step after which canonicalising reorders
    // the readers and so rewrites the mask of the waiting S.
    let executor = Executor(model: model)
    let symmetry = Symmetry(model: model)
    var scratch = Symmetry.Scratch()
    var renamedWaiter = false
    for s in try StateEncodingTests.reachable(model) where !renamedWaiter {
      for (next, _, _) in try executor.successors(of: s) {
        var canonical = next
        if symmetry.canonicalize(&canonical, scratch: &scratch), canonical.threads[2].wait != next.threads[2].wait {
          renamedWaiter = true
        }
      }
    }
    #expect(renamedWaiter)
  }

  /// Two identical faults: symmetry stores fewer states, and the verdict is unchanged.
  @Test func symmetryStoresFewerStatesForIdenticalThreads() throws {
    let model = try InlineModel.load(Self.twoFaults)
    let plain = try Self.explore(model, Config(por: true, symmetry: false, jobs: 1))
    let sym = try Self.explore(model, Config(por: true, symmetry: true, jobs: 1))
    #expect(sym.verdict == plain.verdict)
    #expect(Double(sym.stats.states) < Double(plain.stats.states) * 0.75)
  }

  /// Renaming threads by a permutation and back restores the state, and the canonical form of
  /// a state and of any thread permutation of it is the same.
  @Test func canonicalFormIgnoresTheOrderOfIdenticalThreads() throws {
    let model = try InlineModel.load(Self.twoFaults)
    let symmetry = Symmetry(model: model)
    #expect(symmetry.groups == [[0, 1]])
    var scratch = Symmetry.Scratch()
    for s in try StateEncodingTests.reachable(model, limit: 500) {
      var swapped = s
      swapped.renameThreads([1, 0, 2])
      var back = swapped
      back.renameThreads([1, 0, 2])
      #expect(back == s)
      var a = s
      var b = swapped
      _ = symmetry.canonicalize(&a, scratch: &scratch)
      _ = symmetry.canonicalize(&b, scratch: &scratch)
      if s.threads[0] != s.threads[1] { #expect(a == b) }
    }
  }

  /// The canonical order is the bytewise (memcmp) order of the thread encodings, shorter
  /// first on a common prefix, whatever path the comparison takes: a difference in the first
  /// eight bytes (compared as one word), after them, in a byte with the high bit set, or in
  /// encodings too short for the word.
  @Test func canonicalOrderIsTheBytewiseOrderOfEncodings() throws {
    let model = try InlineModel.load(Self.twoFaults)
    let symmetry = Symmetry(model: model)
    try #require(symmetry.groups == [[0, 1]])
    let other: [UInt8] = [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]
    let cases: [([UInt8], [UInt8])] = [
      ([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ([1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 0, 0]),
      ([5, 5, 5, 5, 5, 5, 5, 5, 5, 7, 0, 0], [5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 0, 0]),
      ([5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 0], [5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 0, 0]),
      ([5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 0, 0], [5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 0]),
      ([3, 2], [3, 1]),
      ([3], [3, 1]),
      ([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]),
    ]
    var scratch = Symmetry.Scratch()
    for (first, second) in cases {
      for (x, y) in [(first, second), (second, first)] {
        let expected = y.lexicographicallyPrecedes(x)
        var s = model.initial
        s.threads[0].pc = 1
        let moved = x.withUnsafeBytes { a in
          y.withUnsafeBytes { b in
            other.withUnsafeBytes { c in symmetry.canonicalize(&s, encodings: [a, b, c], scratch: &scratch) }
          }
        }
        #expect(moved == expected, "\(x) against \(y)")
        #expect(s.threads[moved ? 1 : 0].pc == 1, "\(x) against \(y)")
      }
    }
  }

  /// When only one thread of a canonical state changed, moving it alone to its place
  /// (``Symmetry/permutation(moving:encodings:scratch:)``, what cached moves and fresh moves
  /// of one thread use) gives the full sort's answer: smaller than all, between two, equal to
  /// a neighbour on either side (equal threads keep their order), larger than all, or staying.
  @Test func movingTheChangedThreadAloneIsTheFullSort() throws {
    let model = try InlineModel.load(
      """
      { "name": "four", "programs": { "p": [{ "op": "end" }] }, "threads": [{ "name": "T", "program": "p", "count": 4 }] }
      """)
    let symmetry = Symmetry(model: model)
    try #require(symmetry.groups == [[0, 1, 2, 3]])
    let parents: [[UInt8]] = [[2, 4, 6, 8], [2, 4, 4, 8], [3, 3, 3, 3], [1, 5, 5, 9]]
    var moves = 0
    for parent in parents {
      for t in 0..<4 {
        for value: UInt8 in 0...10 {
          var bytes = parent.map { [$0] }
          bytes[t] = [value]
          var alone = Symmetry.Scratch()
          var full = Symmetry.Scratch()
          let (a, b) = bytes[0].withUnsafeBytes { e0 in
            bytes[1].withUnsafeBytes { e1 in
              bytes[2].withUnsafeBytes { e2 in
                bytes[3].withUnsafeBytes { e3 in
                  (
                    symmetry.permutation(moving: t, encodings: [e0, e1, e2, e3], scratch: &alone),
                    symmetry.permutation(encodings: [e0, e1, e2, e3], scratch: &full)
                  )
                }
              }
            }
          }
          #expect(a == b, "parent \(parent), thread \(t) becomes \(value)")
          if a && b {
            #expect(alone.perm == full.perm, "parent \(parent), thread \(t) becomes \(value)")
            moves += 1
          }
        }
      }
    }
    #expect(moves > 50)
  }

  /// A three-cycle over a group of three identical faults moves each thread, with its
  /// registers, to its target slot (the in-place, cycle-by-cycle application), renames the
  /// thread ids the shared state holds, and three applications give the state back.
  @Test func renamingFollowsAThreeCycle() throws {
    let model = try InlineModel.load(Self.twoFaults.replacingOccurrences(of: #""count": 2"#, with: #""count": 3"#))
    try #require(Symmetry(model: model).groups == [[0, 1, 2]])
    var s = model.initial
    s.threads[0].pc = 10
    s.threads[1].pc = 11
    s.threads[2].pc = 12
    s.mm.mmapWriter = 0
    s.mm.mmapReaders = 0b110
    let n = s.registers(of: 0).count
    try #require(n > 1)
    // Every register of the three threads tells its thread and index apart.
    for t in 0..<3 {
      for r in 0..<n { s.regs[t, r] = Value(.int(100 * t + r)) }
    }
    let original = s
    s.renameThreads([1, 2, 0, 3])
    #expect(s.threads.map(\.pc) == [12, 10, 11, 0])
    for (from, to) in [(0, 1), (1, 2), (2, 0)] {
      #expect(s.registers(of: to) == original.registers(of: from), "registers travel with their thread")
    }
    #expect(s.registers(of: 3) == original.registers(of: 3))
    #expect(s.mm.mmapWriter == 1)
    #expect(s.mm.mmapReaders == 0b101)
    s.renameThreads([1, 2, 0, 3])
    s.renameThreads([1, 2, 0, 3])
    #expect(s == original)
  }

  /// The explorer's store (component vectors, reuse of the parent's components, the
  /// open-addressing table) against a plain `Set<State>` search that shares none of it: with no
  /// reduction both count the same states on every corpus model. The differential test above
  /// cannot see a store bug, because its unreduced baseline uses the same store.
  @Test(arguments: ModelCorpusTests.models)
  func unreducedStoreCountsWhatAPlainSetSearchCounts(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let executor = Executor(model: model)
    var seen: Set<State> = [model.initial]
    var queue = [model.initial]
    var i = 0
    while i < queue.count && queue.count < Corpus.stateBound {
      let s = queue[i]
      i += 1
      if s.allEnded { continue }  // the explorer checks quiescence there and stops
      for (next, _, result) in try executor.successors(of: s) where result.violation == nil {
        if seen.insert(next).inserted { queue.append(next) }
      }
    }
    guard queue.count < Corpus.stateBound else { return }
    for fingerprint in [false, true] {
      var c = Self.unreduced
      c.fingerprint = fingerprint
      #expect(try Self.explore(model, c).stats.states == seen.count, "\(relative) [\(c)]")
    }
  }
}
