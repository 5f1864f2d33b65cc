import Testing

@testable import SPFCheck

/// The minimal-schedule search on its compact node store picks exactly the schedules the
/// plain search it replaced picked (a `Dictionary` of whole states, kept here as the
/// reference), so no written counterexample changes; and its node limit stops it.
@Suite struct MinimalScheduleStoreTests {
  /// Every corpus model that expects a violation.
  static let violating: [String] = ModelCorpusTests.models.filter { relative in
    (try? ModelLoader.load(path: RepoPaths.absolute(relative)).expect?.verdict) == .violation
  }

  @Test func corpusHasViolatingModels() {
    #expect(Self.violating.contains("models/rcu-walk-vs-munmap.json"))
  }

  /// For every invariant the explorer finds violated, both searches return the same
  /// violation, site and schedule, and need the same number of nodes.
  @Test(arguments: violating)
  func sameSchedulesAsTheStateDictionarySearch(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let result = try Corpus.explore(model)
    #expect(!result.findings.isEmpty)
    for invariant in Set(result.findings.map(\.violation.invariant)).sorted() {
      let compact = try MinimalSchedule(model: model).run(for: invariant)
      let reference = try ReferenceMinimalSchedule(model: model).search(for: invariant)
      let found = try #require(compact.finding, "\(relative) \(invariant.rawValue)")
      let expected = try #require(reference.finding, "\(relative) \(invariant.rawValue)")
      #expect(found.schedule == expected.schedule, "\(relative) \(invariant.rawValue)")
      #expect(found.violation == expected.violation, "\(relative) \(invariant.rawValue)")
      #expect(found.site == expected.site, "\(relative) \(invariant.rawValue)")
      #expect(compact.nodes == reference.nodes, "\(relative) \(invariant.rawValue)")
      #expect(!compact.limitReached)
    }
  }

  /// Past its node limit the search gives up (the driver then keeps the breadth-first
  /// schedule), having created exactly `nodeLimit` nodes.
  @Test func nodeLimitStopsTheSearch() throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/rcu-walk-vs-munmap.json"))
    let full = try MinimalSchedule(model: model).run(for: .pageTableLeak)
    #expect(full.finding != nil)
    #expect(full.nodes > 50)
    #expect(!full.limitReached)
    var bounded = MinimalSchedule(model: model)
    bounded.nodeLimit = 50
    let cut = try bounded.run(for: .pageTableLeak)
    #expect(cut.finding == nil)
    #expect(cut.limitReached)
    #expect(cut.nodes == 50)
  }
}

/// The minimal-schedule search as it was before the compact store: every node a whole
/// `State` in a `Dictionary`. Kept only as the reference the store is compared with.
private struct ReferenceMinimalSchedule {
  let model: CompiledModel

  private struct Key: Hashable {
    var state: State
    var last: Int16
  }

  private struct Entry: Comparable {
    var preemptions: Int32
    var steps: Int32
    var node: Int32
    static func < (a: Entry, b: Entry) -> Bool {
      (a.preemptions, a.steps, a.node) < (b.preemptions, b.steps, b.node)
    }
  }

  func search(for invariant: Invariant) throws(ModelError) -> (finding: Finding?, nodes: Int) {
    let executor = Executor(model: model)
    var keys: [Key] = [Key(state: model.initial, last: -1)]
    var parent: [Int32] = [-1]
    var via: [Choice] = [Choice(thread: 0, branch: 0)]
    var best: [(Int32, Int32)] = [(0, 0)]
    var goal: [Violation?] = [nil]
    var index: [Key: Int32] = [keys[0]: 0]
    var heap = BinaryHeap<Entry>()
    heap.push(Entry(preemptions: 0, steps: 0, node: 0))

    func schedule(to node: Int) -> [Choice] {
      var path: [Choice] = []
      var k = node
      while parent[k] >= 0 {
        path.append(via[k])
        k = Int(parent[k])
      }
      return path.reversed()
    }

    while let entry = heap.pop() {
      let n = Int(entry.node)
      guard (entry.preemptions, entry.steps) == best[n] else { continue }
      if let v = goal[n] { return (Finding(violation: v, schedule: schedule(to: n), site: .step), keys.count) }
      let s = keys[n].state
      if s.allEnded {
        if !s.threads.contains(where: { $0.outcome == .retryLimit }),
          let v = executor.quiescenceViolations(s).first(where: { $0.invariant == invariant })
        {
          return (Finding(violation: v, schedule: schedule(to: n), site: .quiescence), keys.count)
        }
        continue
      }
      let successors = try executor.successors(of: s)
      if successors.isEmpty {
        if invariant == .deadlock, let v = executor.deadlock(s) {
          return (Finding(violation: v, schedule: schedule(to: n), site: .deadlock), keys.count)
        }
        continue
      }
      let last = Int(keys[n].last)
      let lastEnabled = last >= 0 && executor.isEnabled(s, last)
      for (next, choice, result) in successors {
        let isThread = choice.thread != Choice.gracePeriod
        let preempts = isThread && lastEnabled && choice.thread != last
        let cost = (entry.preemptions + (preempts ? 1 : 0), entry.steps + 1)
        if let v = result.violation {
          guard v.invariant == invariant else { continue }
          keys.append(Key(state: s, last: -2))
          parent.append(Int32(n))
          via.append(choice)
          best.append(cost)
          goal.append(v)
          heap.push(Entry(preemptions: cost.0, steps: cost.1, node: Int32(keys.count - 1)))
          continue
        }
        let key = Key(state: next, last: isThread ? Int16(choice.thread) : Int16(last))
        if let existing = index[key] {
          guard cost < best[Int(existing)] else { continue }
          parent[Int(existing)] = Int32(n)
          via[Int(existing)] = choice
          best[Int(existing)] = cost
          heap.push(Entry(preemptions: cost.0, steps: cost.1, node: existing))
          continue
        }
        index[key] = Int32(keys.count)
        keys.append(key)
        parent.append(Int32(n))
        via.append(choice)
        best.append(cost)
        goal.append(nil)
        heap.push(Entry(preemptions: cost.0, steps: cost.1, node: Int32(keys.count - 1)))
      }
    }
    return (nil, keys.count)
  }
}
