import Foundation
import Testing

@testable import SPFCheck

/// The visited store's state encoding and hash table.
@Suite struct StateEncodingTests {
  /// Up to `limit` reachable states of a model, by a plain breadth-first search that does not
  /// use the encoding (so it can judge it).
  static func reachable(_ model: CompiledModel, limit: Int = 2_000) throws -> [State] {
    let executor = Executor(model: model)
    var seen: Set<State> = [model.initial]
    var states = [model.initial]
    var i = 0
    while i < states.count && states.count < limit {
      for (next, _, result) in try executor.successors(of: states[i]) where result.violation == nil {
        if seen.insert(next).inserted { states.append(next) }
      }
      i += 1
    }
    return states
  }

  /// Decoding an encoding gives the state back, and distinct states never share an encoding:
  /// a field missing from `encode` or `init(decoding:)` fails here on the first model that
  /// changes it.
  @Test(arguments: ModelCorpusTests.models)
  func encodingRoundTripsEveryReachableState(_ relative: String) throws {
    let model = try ModelLoader.load(path: RepoPaths.absolute(relative))
    let states = try Self.reachable(model)
    var encodings: Set<[UInt8]> = []
    for s in states {
      let bytes = s.encoded
      let back = bytes.withUnsafeBytes { raw in
        var reader = ByteReader(raw)
        return State(decoding: &reader)
      }
      #expect(back == s, "\(relative): a state does not survive encode/decode")
      encodings.insert(bytes)
    }
    #expect(encodings.count == states.count, "\(relative): two distinct states share an encoding")
  }

  @Test func varintsRoundTripExtremes() {
    var w = ByteWriter(capacity: 4)  // forces growth
    let signed: [Int64] = [0, -1, 1, 63, -64, 64, Int64(Int32.max), Int64(Int32.min), .max, .min]
    for v in signed { w.signed(v) }
    w.unsigned(UInt64.max)
    let bytes = w.bytes
    bytes.withUnsafeBytes { raw in
      var r = ByteReader(raw)
      for v in signed { #expect(r.signed() as Int64 == v) }
      #expect(r.unsigned() as UInt64 == .max)
      #expect(r.offset == bytes.count)
    }
  }

  @Test(arguments: [VisitedStore.Mode.exact, .fingerprint])
  func storeFindsEveryInsertedKeyAcrossGrowth(_ mode: VisitedStore.Mode) {
    var store = VisitedStore(mode: mode, capacity: 16)
    func key(_ i: Int) -> [UInt8] { Array("state-\(i)".utf8) }
    for i in 0..<50_000 {
      let k = key(i)
      let inserted = k.withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }
      #expect(inserted, "key \(i) reported as already present")
    }
    for i in stride(from: 0, to: 50_000, by: 7) {
      let k = key(i)
      #expect(!k.withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }, "key \(i) lost")
    }
    #expect(store.count == 50_000)
    if mode == .exact {
      let id = key(12_345).withUnsafeBytes { store.find($0, hash: StateHash.hash($0)) }
      #expect(id == 12_345)
      store.withReader { #expect(Array($0.encoding(of: 12_345)) == key(12_345)) }
      #expect(store.omissionProbability == 0)
    } else {
      // Hash compaction: 10–15 bytes of table per state, and the TLC-style estimate is tiny but not zero.
      #expect(store.bytes <= 16 * 50_000)
      #expect(store.omissionProbability > 0 && store.omissionProbability < 1e-9)
    }
  }

  /// Exact mode compares bytes: two keys forced onto one hash are still two states.
  @Test func exactStoreSeparatesHashCollisions() {
    var store = VisitedStore(mode: .exact)
    let a: [UInt8] = [1, 2, 3]
    let b: [UInt8] = [1, 2, 4]
    #expect(a.withUnsafeBytes { store.insert($0, hash: 42) })
    #expect(b.withUnsafeBytes { store.insert($0, hash: 42) })
    #expect(!a.withUnsafeBytes { store.insert($0, hash: 42) })
    #expect(store.count == 2)
  }

  @Test func hashIsFixedAcrossRuns() {
    // A fixed value: a per-process seed (like Swift's Hasher) would change it on every run,
    // and with it the store's layout (never the order) and the fingerprint-mode results.
    #expect(StateHash.hash(Array("spfcheck".utf8)) == 7_468_609_361_909_907_395)
    #expect(StateHash.hash(Array("spfcheck".utf8)) != StateHash.hash(Array("spfcheci".utf8)))
    #expect(StateHash.hash([UInt8]()) != 0)
  }
}

