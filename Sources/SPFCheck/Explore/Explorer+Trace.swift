/// How each stored state was first reached: enough to rebuild a schedule.
///
/// Per state: its parent's id, the move from the parent, and the low 32 bits of its
/// canonical hash, 12 bytes in all. The hash lets a schedule be rebuilt on real states
/// even when symmetry stored a permuted representative (see `Explorer.reconstruct`).
///
/// One array of entries, not an array per field: the merge appends once per new state, and
/// each append checks the array's uniqueness and capacity, which three arrays did thrice.
struct TraceLog: Sendable {
  struct Entry: Sendable {
    var parent: Int32
    var move: Move
    var hash: UInt32
  }

  /// A ``GrowableBuffer``, which grows without copying the entries.
  private(set) var entries = GrowableBuffer<Entry>()

  mutating func append(parent p: Int32, move: Move, hash: UInt64) {
    entries.append(Entry(parent: p, move: move, hash: UInt32(truncatingIfNeeded: hash)))
  }

  /// Bytes the entries take (by count, not capacity, as ``VisitedStore/bytes``: the same on
  /// every run).
  var bytes: Int { entries.count * MemoryLayout<Entry>.stride }

  /// The ids from the initial state to `id`, in order.
  func path(to id: Int32) -> [Int32] {
    var ids: [Int32] = []
    var k = id
    while k >= 0 {
      ids.append(k)
      k = entries[Int(k)].parent
    }
    return ids.reversed()
  }
}

extension Explorer {
  /// Rebuilds the schedule that reaches stored state `id` (and then takes `last`, the
  /// violating move) as a step-by-step schedule of the unreduced model.
  ///
  /// Stored states are canonical representatives, so a move's thread index names a thread
  /// of the representative, not necessarily of the real state. Each move is therefore
  /// matched on the real state: the thread (of the same symmetry group) whose move leads to
  /// a state with the stored canonical hash. Without symmetry that is always the move's own
  /// thread. The violation is the one the real schedule commits, so its message names the
  /// real thread.
  func reconstruct(
    to id: Int32, last: Move?, invariant: Invariant, site: FindingSite, trace: TraceLog, components: LevelComponents
  ) throws -> Finding {
    var expander = Expander(
      model: model, por: options.partialOrder, privateObjects: options.privateObjects, symmetry: options.symmetry)
    let groups = expander.symmetry?.groups ?? []
    func candidates(_ t: Int16) -> [Int] {
      guard t >= 0 else { return [Int(t)] }
      let group = groups.first { $0.contains(Int(t)) } ?? [Int(t)]
      return [Int(t)] + group.filter { $0 != Int(t) }
    }
    var real = model.initial
    var schedule: [Choice] = []
    for child in trace.path(to: id).dropFirst() {
      let move = trace.entries[Int(child)].move
      var matched = false
      for t in candidates(move.thread) {
        var next = real
        guard case .stepped = try expander.apply(move, thread: t, to: &next).0,
          let vector = expander.canonicalVector(next, components: components),
          UInt32(truncatingIfNeeded: vector.withUnsafeBytes { StateHash.hash($0) }) == trace.entries[Int(child)].hash
        else { continue }
        real = next
        schedule += Move(thread: Int16(t), branch: move.branch, coalesced: move.coalesced).choices
        matched = true
        break
      }
      guard matched else {
        throw InternalError(message: "\(model.file): state \(child) found by the search does not rebuild on the unreduced model")
      }
    }
    let executor = expander.executor
    switch site {
    case .step:
      guard let last else { break }
      for t in candidates(last.thread) {
        var next = real
        let (applied, steps) = try expander.apply(last, thread: t, to: &next)
        if case .violated(let v) = applied, v.invariant == invariant {
          let move = Move(thread: Int16(t), branch: last.branch, coalesced: UInt8(steps - 1))
          return Finding(violation: v, schedule: schedule + move.choices, site: .step)
        }
      }
    case .deadlock:
      if let v = executor.deadlock(real), v.invariant == invariant {
        return Finding(violation: v, schedule: schedule, site: .deadlock)
      }
    case .quiescence:
      if let v = executor.quiescenceViolations(real).first(where: { $0.invariant == invariant }) {
        return Finding(violation: v, schedule: schedule, site: .quiescence)
      }
    }
    throw InternalError(message: "\(model.file): the \(invariant.rawValue) schedule found by the search does not rebuild on the unreduced model")
  }
}
