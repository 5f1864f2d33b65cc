import Foundation
import Testing

@testable import SPFCheck

/// The expander coalesces and stores each successor right after its step, yet reports what
/// running every step of a state first would: a step's model error undoes the state's items
/// and comes before a coalesced step's error.
@Suite struct ExpanderTests {
  /// In the state where A is at `mmap_read_lock` and B at `obj_get`, A's step succeeds but
  /// the `if` coalesced after it fails (x holds an integer), and B's step fails (y is no
  /// object). B's step runs before any successor is coalesced, so its error is reported.
  @Test func aStepsModelErrorComesBeforeAnEarlierSuccessorsCoalescedError() throws {
    let json = KernelTests.model(
      Self.programA + """
      ,
      "b": [
        { "op": "mov", "value": 1, "into": "y" },
        { "op": "obj_get", "obj": { "reg": "y" } },
        { "op": "end" }
      ]
      """, threads: [("A", "a"), ("B", "b")])
    #expect {
      _ = try InlineModel.explore(json)
    } throws: { error in
      guard case .runtime(_, let path, let message)? = error as? ModelError else { return false }
      return path == "programs.b[1]" && message.contains("expected an object")
    }
    // Alone, A's coalesced `if` is what fails.
    let alone = KernelTests.model(Self.programA, threads: [("A", "a")])
    #expect {
      _ = try InlineModel.explore(alone)
    } throws: { error in
      guard case .runtime(_, let path, _)? = error as? ModelError else { return false }
      return path == "programs.a[2]"
    }
  }

  /// Program A: takes mmap_read_lock, then an `if` on a register that holds an integer,
  /// which is a model error (coalesced after the lock by the partial-order reduction).
  static let programA = """
      "a": [
        { "op": "mov", "value": 1, "into": "x" },
        { "op": "mmap_read_lock" },
        { "op": "if", "reg": "x", "goto": "out" },
        { "label": "out", "op": "end" }
      ]
    """

  /// `truncate(to:)` removes the items, vectors, pending components and arena bytes
  /// appended since the mark, and clears the reached flags set since, keeping earlier ones.
  @Test func truncateUndoesEverythingSinceTheMark() {
    var batch = Batch(reached: [[false, false], [false]])
    batch.items.append(BatchItem(kind: .deadlock, source: 0))
    batch.vectors.append(1)
    batch.arena.append(7)
    batch.pending.append(PendingComponent(start: 0, end: 1, hash: 9))
    batch.markReached(thread: 0, pc: 1)
    let mark = batch.mark
    batch.items.append(BatchItem(kind: .depthBound, source: 1))
    batch.vectors.append(contentsOf: [2, Expander.pending])
    batch.arena.append(contentsOf: [8, 9])
    batch.pending.append(PendingComponent(start: 1, end: 3, hash: 10))
    batch.markReached(thread: 0, pc: 1)
    batch.markReached(thread: 1, pc: 0)
    batch.truncate(to: mark)
    #expect(batch.items.map(\.kind) == [.deadlock] && batch.vectors.elements(from: 0) == [1] && batch.arena == [7])
    #expect(batch.pending.map(\.hash) == [9])
    #expect(batch.reached == [[false, true], [false]])
  }
}
