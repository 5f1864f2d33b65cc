import Testing

@testable import SPFCheck

/// The successor the expander reuses from step to step (`State+Reuse.swift`): loaded from a
/// state, written in place by a step, restored from the written parts alone.
@Suite struct StateReuseTests {
  /// Over every reachable state of the corpus (up to a bound) and every step from it: the
  /// reused successor equals the successor of a fresh copy, `sameBytes` never calls a
  /// changed component unchanged, and restoring gives the state back, bytes and all. A write
  /// that bypasses `State.written` fails here on the first model whose step makes it.
  @Test(arguments: ModelCorpusTests.models)
  func reusedSuccessorMatchesAFreshCopyAndRestores(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let executor = Executor(model: model)
    var next = State()
    for s in try StateEncodingTests.reachable(model, limit: 300) {
      next.load(s)
      #expect(next == s && next.written.isEmpty)
      for t in s.threads.indices where executor.isEnabled(s, t) {
        var branch = 0
        var branches = 1
        while branch < branches {
          var fresh = s
          let expected = try executor.step(&fresh, thread: t, branch: branch)
          let result = try executor.step(&next, thread: t, branch: branch)
          branches = result.branches
          #expect(next == fresh, "\(relative): thread \(t) stepped differently on the reused successor")
          #expect(result.violation == expected.violation)
          for k in 0..<State.componentCount(threads: s.threads.count) where next.sameBytes(k, as: s) {
            #expect(next.sameComponent(k, as: s), "\(relative): component \(k) changed, yet called unchanged")
          }
          next.restore(s)
          #expect(next == s && next.encoded == s.encoded, "\(relative): restoring did not give the state back")
          #expect(next.written.isEmpty)
          branch += 1
        }
      }
      if executor.isGracePeriodEnabled(s) {
        _ = executor.gracePeriod(&next)
        next.restore(s)
        #expect(next == s, "\(relative): restoring after a grace period did not give the state back")
      }
    }
  }

  /// The explorer decodes consecutive frontier states into one state in place and loads the
  /// expander's successor with only the parts that decoding wrote (`State.written`). Over
  /// reachable states of the corpus taken in turn, twice (the second pass takes every
  /// component from the worker's ``ComponentMemo``), that successor must be each state, and
  /// so must the decoded state, bytes and all.
  @Test(arguments: ModelCorpusTests.models)
  func decodingInPlaceNotesEveryPartItChanges(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let states = try StateEncodingTests.reachable(model, limit: 200)
    var store = VisitedStore(mode: .exact)
    let vectors = states.map { s in
      (0..<State.componentCount(threads: s.threads.count)).map { k in
        var w = ByteWriter()
        s.encodeComponent(k, into: &w)
        return UInt32(store.intern(w.buffer, hash: StateHash.hash(w.buffer)))
      }
    }
    store.withReader { reader in
      vectors[0].withUnsafeBufferPointer { first in
        var decoded = State(vector: first, components: reader)
        var successor = State()
        successor.load(decoded)
        var memo = ComponentMemo()
        let order = Array(0..<vectors.count) + Array(0..<vectors.count)
        for (i, previous) in zip(order.dropFirst(), order) {
          decoded.written = State.Written()
          vectors[i].withUnsafeBufferPointer { vector in
            vectors[previous].withUnsafeBufferPointer { previous in
              decoded.replaceComponents(vector: vector, previousVector: previous, components: reader, memo: &memo)
            }
          }
          successor.load(decoded, parts: decoded.written)
          #expect(successor == states[i], "\(relative): state \(i) loaded from the parts decoding wrote")
          #expect(decoded == states[i] && decoded.encoded == states[i].encoded, "\(relative): state \(i) decoded")
        }
        if vectors.count > 2 { #expect(memo.hits > 0, "\(relative): the second pass found nothing decoded") }
      }
    }
  }

  /// Symmetry renames thread ids all over the shared state; every part it writes must be
  /// noted, or the renamed successor would keep its parent's component ids.
  @Test func renamingThreadsNotesEveryPartItChanges() throws {
    let model = try InlineModel.load(ReductionTests.twoFaults)
    var next = State()
    var renamedShared = 0
    for s in try StateEncodingTests.reachable(model, limit: 500) {
      next.load(s)
      next.renameThreads([1, 0, 2])
      if !next.sameComponent(0, as: s) || !next.sameComponent(2, as: s) { renamedShared += 1 }
      for k in 0..<State.componentCount(threads: s.threads.count) where next.sameBytes(k, as: s) {
        #expect(next.sameComponent(k, as: s), "component \(k) renamed, yet called unchanged")
      }
      next.restore(s)
      #expect(next == s)
    }
    #expect(renamedShared > 0, "no state had a thread id in the shared state to rename")
  }

  /// The record of writes is no part of a state's value, yet answers for each part.
  @Test func writtenPartsTakeNoPartInEquality() {
    var a = State()
    let b = State()
    a.tree.append(1)
    a.tree.removeAll()
    #expect(a.written.contains(.tree) && a.written.contains(.rest))
    #expect(!a.written.contains(.vmas) && !a.written.contains(.threads))
    #expect(!a.written.isEmpty && b.written.isEmpty)
    #expect(a == b && a.hashValue == b.hashValue)
  }
}
