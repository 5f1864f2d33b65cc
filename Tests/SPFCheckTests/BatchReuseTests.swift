import Testing

@testable import SPFCheck

/// The explorer reuses the batches of its chunks (the ring of ``LevelExpansion``): an emptied
/// batch must be indistinguishable from a new one to the expander and the merge, and keep its
/// storage, which is the point of reusing it.
@Suite struct BatchReuseTests {
  static let empty = Batch(reached: [[false, false], [false, false, false]])

  /// A batch with something in every field.
  static func filled() -> Batch {
    var batch = empty
    for i in 0..<100 {
      batch.append(
        .stepViolation, source: Int32(i), violation: Violation(invariant: .useAfterFree, message: "item \(i)", objects: []))
      batch.vectors.append(contentsOf: [UInt32(i), Expander.pending])
      batch.arena.append(contentsOf: [UInt8(i), 1, 2])
      batch.pending.append(PendingComponent(start: Int32(3 * i), end: Int32(3 * i + 3), hash: UInt64(i)))
    }
    batch.markReached(thread: 1, pc: 2)
    batch.markReached(thread: 0, pc: 0)
    batch.retryLimitHits = 3
    batch.error = .runtime(file: "f", path: "p", message: "m")
    batch.expanded = 64
    return batch
  }

  /// Where an array's elements are stored.
  static func storage<T>(_ array: [T]) -> UnsafeRawPointer? {
    array.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
  }

  /// Where a buffer's elements are stored.
  static func storage<T>(_ buffer: GrowableBuffer<T>) -> UnsafeRawPointer? {
    buffer.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
  }

  /// Emptying clears every field, the reached flags included, and keeps each array's
  /// storage (it is not copied: emptying a shared copy would allocate new storage).
  @Test func emptiedBatchIsEmptyAndKeepsItsStorage() {
    var batch = Self.filled()
    let before = (
      Self.storage(batch.items), Self.storage(batch.vectors), Self.storage(batch.arena), Self.storage(batch.pending)
    )
    let capacity = batch.items.capacity
    batch.removeAll()
    #expect(batch.items.isEmpty && batch.vectors.isEmpty && batch.arena.isEmpty && batch.pending.isEmpty)
    #expect(batch.violations.isEmpty)
    #expect(batch.reachedOrder.isEmpty && batch.reached == Self.empty.reached)
    #expect(batch.retryLimitHits == 0 && batch.error == nil && batch.expanded == 0)
    #expect(batch.items.capacity == capacity)
    #expect(Self.storage(batch.items) == before.0 && Self.storage(batch.vectors) == before.1)
    #expect(Self.storage(batch.arena) == before.2 && Self.storage(batch.pending) == before.3)
    // Flags set after emptying are recorded again, so the merge copies them.
    batch.markReached(thread: 1, pc: 2)
    #expect(batch.reachedOrder.map(\.thread) == [1] && batch.reachedOrder.map(\.pc) == [2])
  }

  /// An item is 32 bytes of plain data: its violation lives in the batch (one holding an
  /// optional `Violation` took 80 bytes and was copied through a value witness).
  @Test func itemsArePlainDataOf32Bytes() {
    #expect(MemoryLayout<BatchItem>.stride == 32)
    var batch = Self.filled()
    #expect(batch.violations.count == 100 && batch.items.allSatisfy { batch.violations[Int($0.violation)].message == "item \($0.source)" })
    let mark = batch.mark
    batch.append(.deadlock, source: 7, violation: Violation(invariant: .deadlock, message: "stuck", objects: []))
    batch.truncate(to: mark)
    #expect(batch.violations.count == 100 && batch.items.count == 100)
  }
}
