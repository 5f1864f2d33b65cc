import Testing

@testable import SPFCheck

/// The trace keeps, per state, its parent, its move and the low half of its hash in one
/// entry of 12 bytes, and rebuilds the path to a state from the parents.
@Suite struct TraceLogTests {
  @Test func entriesKeepParentMoveAndLowHashBits() {
    var trace = TraceLog()
    trace.append(parent: -1, move: .root, hash: 0xFFFF_FFFF_0000_0001)
    trace.append(parent: 0, move: Move(thread: 1, branch: 1, coalesced: 2), hash: 0x1234_5678_9ABC_DEF0)
    trace.append(parent: 0, move: Move(thread: -1, branch: 0, coalesced: 0), hash: 7)
    trace.append(parent: 1, move: Move(thread: 0, branch: 0, coalesced: 0), hash: 8)
    #expect(trace.entries.elements(from: 0).map(\.parent) == [-1, 0, 0, 1])
    #expect(trace.entries.elements(from: 0).map(\.hash) == [1, 0x9ABC_DEF0, 7, 8])
    #expect(trace.entries[1].move == Move(thread: 1, branch: 1, coalesced: 2))
    #expect(trace.path(to: 3) == [0, 1, 3])
    #expect(trace.path(to: 2) == [0, 2])
    #expect(MemoryLayout<TraceLog.Entry>.stride == 12)
    #expect(trace.bytes == 4 * 12)
  }
}
