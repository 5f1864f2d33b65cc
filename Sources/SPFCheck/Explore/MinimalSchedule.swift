/// Finds, for one invariant, the schedule with the fewest preemptive context switches and,
/// among those, the fewest steps: the counterexample a kernel developer reads most easily.
///
/// A *preemption* is a switch from thread A to another thread while A could still step
/// (as CHESS counts them); switches forced by A blocking or ending are free, and the
/// grace-period environment step never counts. The search is Dijkstra's algorithm over
/// (state, last thread) with the lexicographic cost (preemptions, steps).
struct MinimalSchedule {
  let model: CompiledModel
  /// Give up (and keep the breadth-first schedule) beyond this many search nodes.
  var nodeLimit = 300_000

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

  /// The minimal schedule reaching a violation of `invariant`, or nil when the node limit is hit.
  ///
  /// - Complexity: O(N log N) for N = reachable (state, last thread) pairs, each expanded once.
  func search(for invariant: Invariant) throws(ModelError) -> Finding? {
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
      if let v = goal[n] { return Finding(violation: v, schedule: schedule(to: n), site: .step) }
      let s = keys[n].state
      if s.allEnded {
        if !s.threads.contains(where: { $0.outcome == .retryLimit }),
          let v = executor.quiescenceViolations(s).first(where: { $0.invariant == invariant })
        {
          return Finding(violation: v, schedule: schedule(to: n), site: .quiescence)
        }
        continue
      }
      let successors = try executor.successors(of: s)
      if successors.isEmpty {
        if invariant == .deadlock, let v = executor.deadlock(s) {
          return Finding(violation: v, schedule: schedule(to: n), site: .deadlock)
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
          // A goal is its own node, so it is returned only once it is the cheapest entry.
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
        guard keys.count < nodeLimit else { return nil }
        index[key] = Int32(keys.count)
        keys.append(key)
        parent.append(Int32(n))
        via.append(choice)
        best.append(cost)
        goal.append(nil)
        heap.push(Entry(preemptions: cost.0, steps: cost.1, node: Int32(keys.count - 1)))
      }
    }
    return nil
  }
}

/// A binary min-heap.
struct BinaryHeap<Element: Comparable> {
  private var items: [Element] = []

  var isEmpty: Bool { items.isEmpty }

  mutating func push(_ e: Element) {
    items.append(e)
    var i = items.count - 1
    while i > 0 {
      let p = (i - 1) / 2
      guard items[i] < items[p] else { break }
      items.swapAt(i, p)
      i = p
    }
  }

  mutating func pop() -> Element? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1
      let r = l + 1
      var m = i
      if l < items.count && items[l] < items[m] { m = l }
      if r < items.count && items[r] < items[m] { m = r }
      guard m != i else { break }
      items.swapAt(i, m)
      i = m
    }
    return top
  }
}
