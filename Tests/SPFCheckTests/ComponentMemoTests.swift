import Testing

@testable import SPFCheck

/// The worker's memo of decoded components: a hit gives the component it was given, kind by
/// kind, and nothing else; ids that collide, or that two kinds share, never answer for
/// each other.
@Suite struct ComponentMemoTests {
  /// Two reachable states of a shipped model that differ in every shared component's
  /// arrays it can (the first state and a later one), and their thread count.
  static func states() throws -> (State, State) {
    let model = try ModelLoader.load(path: RepoPaths.absolute("models/rcu-walk-vs-munmap.json"))
    let states = try StateEncodingTests.reachable(model, limit: 400)
    let later = try #require(states.last { s in (0..<State.sharedComponents).contains { !s.sameComponent($0, as: states[0]) } })
    return (states[0], later)
  }

  /// Every component taken from the memo equals the one held, bytes and all, and is noted
  /// in `written` (the expander's successor loads only the parts written).
  @Test func aHitGivesTheComponentHeldAndNotesItWritten() throws {
    let (a, b) = try Self.states()
    var memo = ComponentMemo()
    let n = State.componentCount(threads: a.threads.count)
    for k in 0..<n { memo.insert(UInt32(100 + k), component: k, of: a) }
    for k in 0..<n {
      var s = b
      s.written = State.Written()
      #expect(memo.copy(UInt32(100 + k), component: k, into: &s))
      #expect(s.sameComponent(k, as: a), "component \(k) differs from the one held")
      var w = ByteWriter()
      s.encodeComponent(k, into: &w)
      var expected = ByteWriter()
      a.encodeComponent(k, into: &expected)
      #expect(w.bytes == expected.bytes)
      for other in 0..<n where other != k {
        #expect(s.sameComponent(other, as: b), "copying component \(k) changed component \(other)")
      }
      #expect(!s.written.isEmpty)
    }
    #expect(memo.hits == n && memo.misses == 0)
  }

  /// An id held as one kind misses as another, and an id whose entry a colliding id took
  /// misses: the caller then decodes.
  @Test func idsOfAnotherKindOrEvictedMiss() throws {
    let (a, b) = try Self.states()
    var memo = ComponentMemo()
    memo.insert(7, component: 1, of: a)
    var s = b
    #expect(!memo.copy(7, component: 0, into: &s))
    #expect(!memo.copy(7, component: State.sharedComponents, into: &s))
    #expect(s == b)
    memo.insert(UInt32(7 + ComponentMemo.capacity), component: 1, of: b)
    #expect(!memo.copy(7, component: 1, into: &s))
    #expect(memo.copy(UInt32(7 + ComponentMemo.capacity), component: 1, into: &s))
    #expect(memo.misses == 3 && memo.hits == 1)
  }
}
