/// Finds, for one invariant, the schedule with the fewest preemptive context switches and,
/// among those, the fewest steps: the counterexample a kernel developer reads most easily.
///
/// A *preemption* is a switch from thread A to another thread while A could still step
/// (as CHESS counts them); switches forced by A blocking or ending are free, and the
/// grace-period environment step never counts. The search is Dijkstra's algorithm over
/// (state, last thread) with the lexicographic cost (preemptions, steps); ties go to the
/// node created first.
///
/// Nodes are stored as the explorer stores states (``ScheduleNodes``): each state's
/// components are interned once, and a node is its component vector and last thread, kept in
/// an exact ``VisitedStore``; a state is decoded again only when its node is expanded.
struct MinimalSchedule {
  let model: CompiledModel
  /// Give up (and keep the breadth-first schedule) beyond this many search nodes.
  ///
  /// A node costs about 100 bytes of peak RSS on the measured models (store, component arena,
  /// per-node arrays and heap; docs/performance.md), so a search at the limit stays near
  /// 500 MiB, below 1 GiB with room for wider states. The `Dictionary<State, Int32>` search
  /// this replaced cost 850-960 bytes a node and stopped at 300,000.
  var nodeLimit = 5_000_000

  /// What one search did: the schedule found, and how big the search grew.
  struct Outcome {
    /// The minimal schedule, or nil when there is none or the node limit was hit.
    var finding: Finding?
    /// Nodes created (goal nodes included).
    var nodes: Int
    /// Bytes the node store, per-node arrays and heap held at the end, by capacity.
    var bytes: Int
    /// True when the search stopped at ``nodeLimit``.
    var limitReached: Bool
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
    try run(for: invariant).finding
  }

  /// The search behind ``search(for:)``, with its size.
  ///
  /// - Complexity: O(N log N) time for N = reachable (state, last thread) pairs, each
  ///   expanded once; O(N) memory of about 150 bytes a node plus the distinct components.
  func run(for invariant: Invariant) throws(ModelError) -> Outcome {
    let executor = Executor(model: model)
    var nodes = ScheduleNodes(threads: model.threads.count)
    _ = nodes.insert(model.initial, parent: nil, last: -1)
    nodes.append(parent: -1, via: Choice(thread: 0, branch: 0), cost: (0, 0), goal: false)
    var goals: [Int32: Violation] = [:]
    var heap = BinaryHeap<Entry>()
    heap.push(Entry(preemptions: 0, steps: 0, node: 0))

    func outcome(_ finding: Finding?, limitReached: Bool = false) -> Outcome {
      // At the limit the node that would have been one too many is already in the store.
      Outcome(
        finding: finding, nodes: limitReached ? nodes.count - 1 : nodes.count, bytes: nodes.bytes + heap.capacity * MemoryLayout<Entry>.stride,
        limitReached: limitReached)
    }

    while let entry = heap.pop() {
      let n = Int(entry.node)
      guard (entry.preemptions, entry.steps) == nodes.cost(n) else { continue }
      if nodes.isGoal(n) {
        return outcome(Finding(violation: goals[Int32(n)]!, schedule: nodes.schedule(to: n), site: .step))
      }
      let (s, parentVector, last) = nodes.node(n)
      if s.allEnded {
        if !s.threads.contains(where: { $0.outcome == .retryLimit }),
          let v = executor.quiescenceViolations(s).first(where: { $0.invariant == invariant })
        {
          return outcome(Finding(violation: v, schedule: nodes.schedule(to: n), site: .quiescence))
        }
        continue
      }
      let successors = try executor.successors(of: s)
      if successors.isEmpty {
        if invariant == .deadlock, let v = executor.deadlock(s) {
          return outcome(Finding(violation: v, schedule: nodes.schedule(to: n), site: .deadlock))
        }
        continue
      }
      let lastEnabled = last >= 0 && executor.isEnabled(s, last)
      for (next, choice, result) in successors {
        let isThread = choice.thread != Choice.gracePeriod
        let preempts = isThread && lastEnabled && choice.thread != last
        let cost = (entry.preemptions + (preempts ? 1 : 0), entry.steps + 1)
        if let v = result.violation {
          guard v.invariant == invariant else { continue }
          // A goal is its own node, so it is returned only once it is the cheapest entry.
          let goal = nodes.insertGoal()
          nodes.append(parent: Int32(n), via: choice, cost: cost, goal: true)
          goals[Int32(goal)] = v
          heap.push(Entry(preemptions: cost.0, steps: cost.1, node: Int32(goal)))
          continue
        }
        let before = nodes.count
        let id = nodes.insert(
          next, parent: (s, parentVector), last: isThread ? Int16(choice.thread) : Int16(last))
        if id < before {
          guard cost < nodes.cost(id) else { continue }
          nodes.relax(id, parent: Int32(n), via: choice, cost: cost)
          heap.push(Entry(preemptions: cost.0, steps: cost.1, node: Int32(id)))
          continue
        }
        guard before < nodeLimit else { return outcome(nil, limitReached: true) }
        nodes.append(parent: Int32(n), via: choice, cost: cost, goal: false)
        heap.push(Entry(preemptions: cost.0, steps: cost.1, node: Int32(id)))
      }
    }
    return outcome(nil)
  }
}

/// The nodes of a ``MinimalSchedule`` search, stored compactly.
///
/// A node's key is its state's component vector (ids into an exact component store, as the
/// explorer's) followed by its last thread as two bytes, interned in an exact ``VisitedStore``,
/// so a node's id is its insertion order. A goal node (a violating step) gets a 4-byte key of
/// its own, which no state key can equal (a state key is at least 22 bytes), so goal nodes take
/// ids in the same sequence without ever being found by a lookup. The parent, move, best cost
/// and goal flag of each node live in flat arrays indexed by id.
private struct ScheduleNodes {
  /// Components per state.
  let width: Int
  private var components = VisitedStore(mode: .exact, capacity: 1 << 12)
  private var keys = VisitedStore(mode: .exact, capacity: 1 << 12)
  private var parents: [Int32] = []
  private var moves: [Step] = []
  private var costs: [Cost] = []
  private var goalCount: UInt32 = 0
  private var writer = ByteWriter()
  private var key: [UInt8]

  /// A node's move from its parent, and whether it is a goal.
  private struct Step {
    var thread: Int16
    var branch: UInt8
    var goal: Bool
  }

  private struct Cost {
    var preemptions: Int32
    var steps: Int32
  }

  init(threads: Int) {
    width = State.componentCount(threads: threads)
    key = [UInt8](repeating: 0, count: width * 4 + 2)
  }

  /// Nodes stored.
  var count: Int { keys.count }

  /// Bytes held, by capacity: both stores and the per-node arrays.
  var bytes: Int {
    components.bytes + keys.bytes + parents.capacity * MemoryLayout<Int32>.stride
      + moves.capacity * MemoryLayout<Step>.stride + costs.capacity * MemoryLayout<Cost>.stride
  }

  /// The id of the node (`s`, `last`), inserting its key when new (the caller then appends its
  /// fields). A component `s` shares with `parent` (a state and its vector) is not re-encoded.
  ///
  /// - Complexity: O(size of the changed components), expected O(1) probes per lookup.
  mutating func insert(_ s: State, parent: (State, [UInt32])?, last: Int16) -> Int {
    precondition(s.threads.count + State.sharedComponents == width, "a state changed its thread count")
    for k in 0..<width {
      let id: UInt32
      if let parent, s.sameComponent(k, as: parent.0) {
        id = parent.1[k]
      } else {
        writer.reset()
        s.encodeComponent(k, into: &writer)
        id = UInt32(components.intern(writer.buffer, hash: StateHash.hash(writer.buffer)))
      }
      key.withUnsafeMutableBytes { $0.storeBytes(of: id.littleEndian, toByteOffset: k * 4, as: UInt32.self) }
    }
    key.withUnsafeMutableBytes { $0.storeBytes(of: last.littleEndian, toByteOffset: width * 4, as: Int16.self) }
    return key.withUnsafeBytes { keys.intern($0, hash: StateHash.hash($0)) }
  }

  /// Inserts a fresh goal key and returns its id.
  mutating func insertGoal() -> Int {
    let ordinal = goalCount
    goalCount += 1
    return withUnsafeBytes(of: ordinal.littleEndian) { keys.intern($0, hash: StateHash.hash($0)) }
  }

  /// Records the fields of the node just inserted.
  mutating func append(parent: Int32, via: Choice, cost: (Int32, Int32), goal: Bool) {
    precondition(parents.count == keys.count - 1, "append follows the insertion of a new node")
    parents.append(parent)
    moves.append(Self.step(via, goal: goal))
    costs.append(Cost(preemptions: cost.0, steps: cost.1))
  }

  /// Gives node `n` a cheaper path.
  mutating func relax(_ n: Int, parent: Int32, via: Choice, cost: (Int32, Int32)) {
    parents[n] = parent
    moves[n] = Self.step(via, goal: moves[n].goal)
    costs[n] = Cost(preemptions: cost.0, steps: cost.1)
  }

  private static func step(_ c: Choice, goal: Bool) -> Step {
    precondition(c.branch >= 0 && c.branch <= Int(UInt8.max), "a step has at most 256 branches")
    return Step(thread: Int16(c.thread), branch: UInt8(c.branch), goal: goal)
  }

  func cost(_ n: Int) -> (Int32, Int32) { (costs[n].preemptions, costs[n].steps) }

  func isGoal(_ n: Int) -> Bool { moves[n].goal }

  /// The component vector of (non-goal) node `n`.
  private func vector(_ n: Int) -> [UInt32] {
    keys.withReader { r in
      let bytes = r.encoding(of: n)
      return (0..<width).map { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }
  }

  /// The state, component vector and last thread of (non-goal) node `n`, decoded.
  ///
  /// - Complexity: O(encoded size of the state).
  func node(_ n: Int) -> (state: State, vector: [UInt32], last: Int) {
    let vector = self.vector(n)
    let s = vector.withUnsafeBufferPointer { v in components.withReader { State(vector: v, components: $0) } }
    let last = keys.withReader { r in
      Int16(littleEndian: r.encoding(of: n).loadUnaligned(fromByteOffset: width * 4, as: Int16.self))
    }
    return (s, vector, Int(last))
  }

  /// The choices from the root to node `n`.
  func schedule(to n: Int) -> [Choice] {
    var path: [Choice] = []
    var k = n
    while parents[k] >= 0 {
      path.append(Choice(thread: Int(moves[k].thread), branch: Int(moves[k].branch)))
      k = Int(parents[k])
    }
    return path.reversed()
  }
}

/// A binary min-heap.
struct BinaryHeap<Element: Comparable> {
  private var items: [Element] = []

  var isEmpty: Bool { items.isEmpty }

  /// Elements the heap can hold without growing.
  var capacity: Int { items.capacity }

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
