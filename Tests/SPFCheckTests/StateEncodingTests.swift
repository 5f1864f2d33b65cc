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

  /// The table grows at 80% load exactly as before its bound became an integer: a table of
  /// 1,024 slots takes 819 entries (0.8 × 1,024 = 819.2) and grows by half on the 820th; the
  /// 1,536-slot table takes 1,228 (0.8 × 1,536 = 1,228.8), the 2,304-slot one 1,843
  /// (1,843.2). (Fingerprint mode: the store's bytes are its slots.)
  @Test func storeGrowsAtEightyPercentLoad() {
    var store = VisitedStore(mode: .fingerprint, capacity: 16)
    var growths: [Int] = []
    var bytes = store.bytes
    #expect(bytes == 1_024 * 8)
    for i in 0..<2_000 {
      let k = Array("state-\(i)".utf8)
      _ = k.withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }
      if store.bytes != bytes { growths.append(store.count) }
      bytes = store.bytes
    }
    #expect(growths == [820, 1_229, 1_844])
    #expect(bytes == 3_456 * 8)
  }

  /// An exact store's bytes are its slots plus what its arena and offsets hold, not their
  /// capacities, which follow the allocator and varied from run to run with two threads.
  @Test func exactStoreBytesCountWhatItHolds() {
    var store = VisitedStore(mode: .exact, capacity: 16)
    var held = 0
    for i in 0..<1_000 {
      let k = Array("state-\(i)".utf8)
      held += k.count
      _ = k.withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }
    }
    #expect(store.bytes == 1_536 * 8 + held + 1_001 * 8)
  }

  /// Folding a level's fresh components into the store numbers them after the stored ones,
  /// in their order, across the growth the fold needs; a fresh component is found through
  /// ``LevelComponents`` before the fold and through the store after it, under one id.
  @Test func absorbNumbersFreshEntriesAfterTheStoredOnes() {
    func key(_ i: Int) -> [UInt8] { Array("component-\(i)".utf8) }
    func hash(_ i: Int) -> UInt64 { key(i).withUnsafeBytes { StateHash.hash($0) } }
    var store = VisitedStore(mode: .exact, capacity: 16)
    for i in 0..<100 { _ = key(i).withUnsafeBytes { store.intern($0, hash: hash(i)) } }
    let fresh = store.withReader { reader in
      var level = LevelComponents(stored: reader)
      for i in 100..<5_000 {
        let id = key(i).withUnsafeBytes { level.intern(fresh: $0, hash: hash(i)) }
        #expect(id == i)
      }
      #expect(key(7).withUnsafeBytes { level.find($0, hash: hash(7)) } == 7)
      #expect(key(4_321).withUnsafeBytes { level.find($0, hash: hash(4_321)) } == 4_321)
      #expect(key(5_000).withUnsafeBytes { level.find($0, hash: hash(5_000)) } == nil)
      return level.fresh
    }
    store.absorb(fresh)
    #expect(store.count == 5_000)
    for i in stride(from: 0, to: 5_000, by: 13) {
      #expect(key(i).withUnsafeBytes { store.find($0, hash: hash(i)) } == i, "component \(i)")
    }
    store.withReader { #expect(Array($0.encoding(of: 4_999)) == key(4_999)) }
    #expect(key(5_000).withUnsafeBytes { store.intern($0, hash: hash(5_000)) } == 5_000)
  }

  /// Each entry reads back as itself, and duplicates are not stored again, whether entries are
  /// placed by a table of starts or, all of one size, in segments (the explorer's state store).
  @Test(arguments: [0, 12])
  func entriesReadBackAsStored(entryBytes: Int) {
    var store = VisitedStore(mode: .exact, capacity: 16, entryBytes: entryBytes)
    func vector(_ i: Int) -> [UInt32] { [UInt32(i), UInt32(i) &* 7, 0xFFFF_FFFF] }
    for i in 0..<3_000 {
      _ = vector(i).withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }
      _ = vector(i / 2).withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }  // already there
    }
    #expect(store.count == 3_000)
    store.withReader { reader in
      #expect(reader.count == 3_000)
      for i in stride(from: 0, to: 3_000, by: 7) {
        #expect(Array(reader.encoding(of: i)) == vector(i).withUnsafeBytes { Array($0) })
        #expect(vector(i).withUnsafeBytes { reader.find($0, hash: StateHash.hash($0)) } == i)
      }
    }
  }

  /// The explorer reads a level's frontier through a view of the store's entries taken when
  /// the level was stored, while the merge stores the next level: the view must still read
  /// every entry it could, across new segments (65,536 entries each) and the growth of the
  /// slots, and a copy of the store appends to entries of its own.
  @Test func aViewOfTheEntriesReadsThemWhileTheStoreGrows() {
    var store = VisitedStore(mode: .exact, capacity: 16, entryBytes: 8)
    func vector(_ i: Int) -> [UInt32] { [UInt32(i), ~UInt32(i)] }
    func insert(_ i: Int, into store: inout VisitedStore) -> Bool {
      vector(i).withUnsafeBytes { store.insert($0, hash: StateHash.hash($0)) }
    }
    for i in 0..<70_000 { #expect(insert(i, into: &store)) }
    let view = store.entries
    var copy = store
    for i in 70_000..<200_000 { #expect(insert(i, into: &store)) }
    for i in [0, 1, 65_535, 65_536, 69_999] {
      let words = UnsafeBufferPointer(start: view.entry(i).assumingMemoryBound(to: UInt32.self), count: 2)
      #expect(Array(words) == vector(i), "entry \(i)")
    }
    #expect(Array(UnsafeRawBufferPointer(start: store.entries.entry(199_999), count: 8)) == vector(199_999).withUnsafeBytes { Array($0) })
    #expect(insert(200_000, into: &copy))
    #expect(copy.count == 70_001 && store.count == 200_000)
    copy.withReader { #expect(Array($0.encoding(of: 70_000)) == vector(200_000).withUnsafeBytes { Array($0) }) }
    store.withReader { #expect(Array($0.encoding(of: 70_000)) == vector(70_000).withUnsafeBytes { Array($0) }) }
  }

  /// Exact mode compares bytes: two keys forced onto one hash are still two states.
  @Test(arguments: [0, 3])
  func exactStoreSeparatesHashCollisions(entryBytes: Int) {
    var store = VisitedStore(mode: .exact, entryBytes: entryBytes)
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
    // (The value changed once, when the hash became wyhash: see StateHashTests.)
    #expect(StateHash.hash(Array("spfcheck".utf8)) == 1_093_933_301_973_422_982)
    #expect(StateHash.hash(Array("spfcheck".utf8)) != StateHash.hash(Array("spfcheci".utf8)))
    #expect(StateHash.hash([UInt8]()) != 0)
  }
}


extension StateEncodingTests {
  /// The bytes of one value of every payload kind, with and without `torn` and `section`,
  /// as the visited store has always interned them: a faster or more compact `Value` must
  /// keep them exactly (counterexample files and state counts depend on them).
  @Test func valueEncodingIsPinned() {
    let pinned: [(Value, [UInt8])] = [
      (.none, [0, 0]),
      (Value(.none, torn: true, section: 3), [8, 6]),
      (Value(.int(0)), [1, 0, 0]),
      (Value(.int(-1)), [1, 0, 1]),
      (Value(.int(300)), [1, 0, 216, 4]),
      (Value(.int(.max)), [1, 0, 254, 255, 255, 255, 255, 255, 255, 255, 255, 1]),
      (Value(.int(.min), torn: true), [9, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]),
      (Value(.bool(false)), [2, 0]),
      (Value(.bool(true), section: -2), [3, 3]),
      (Value(.sym(5)), [4, 0, 10]),
      (Value(.ref(Ref(kind: .vma, index: 0))), [5, 0, 1]),
      (Value(.ref(Ref(kind: .obj, index: 1_000)), section: 70), [5, 140, 1, 196, 62]),
      (Value(.ref(Ref(kind: .table, index: 0x1FFF_FFFE))), [5, 0, 242, 255, 255, 255, 15]),
      (Value(.prot(Prot(bits: 5))), [6, 0, 5]),
      (
        Value(
          .snapshot(
            Snapshot(
              source: 2, start: -4096, end: 8192, prot: Prot(bits: 3), anon: true, lineage: 7,
              anonVma: Ref(kind: .obj, index: 3), policy: nil, file: Ref(kind: .page, index: 200))),
          torn: true, section: 1),
        [15, 2, 4, 255, 63, 128, 128, 1, 19, 14, 28, 0, 195, 12]
      ),
      (
        Value(
          .snapshot(
            Snapshot(
              source: 0, start: 0, end: 0, prot: .none, anon: false, lineage: -1, anonVma: nil,
              policy: Ref(kind: .vma, index: 0), file: nil))),
        [7, 0, 0, 0, 0, 0, 1, 0, 1, 0]
      ),
    ]
    for (value, bytes) in pinned {
      var w = ByteWriter(capacity: 4)  // forces growth mid-value
      w.value(value)
      #expect(w.bytes == bytes, "encoding of \(value)")
      w.bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw)
        #expect(r.value() == value, "decoding of \(bytes)")
        #expect(r.offset == bytes.count)
      }
    }
  }
}

extension StateEncodingTests {
  /// A thread's registers go through ``ByteCursor/values(_:)``, whose two-byte fast path
  /// (no payload, section in -64..<64) must write what ``ByteWriter/value(_:)`` writes, and
  /// the matching fast paths of ``ByteReader/value()`` and ``ByteReader/values(into:)``
  /// must read it back, on both sides of every boundary of that path.
  @Test func registerRunsEncodeAsSingleValues() {
    var values: [Value] = []
    for section: Int32 in [0, 1, -1, 63, -64, 64, -65, 8_191, -8_192, 32_767, -32_768] {
      for torn in [false, true] {
        for payload: Payload in [.none, .bool(false), .bool(true), .int(section == 0 ? 5 : -7), .sym(3), .prot(Prot(bits: 6))] {
          values.append(Value(payload, torn: torn, section: section))
        }
      }
    }
    var one = ByteWriter(capacity: 4)
    for v in values { one.value(v) }
    var run = ByteWriter(capacity: 4)
    values.withUnsafeBufferPointer { buffer in
      run.withCursor(reserving: buffer.count * Value.maxEncodedCount) { $0.values(buffer) }
    }
    #expect(run.bytes == one.bytes)
    let bytes = one.bytes
    bytes.withUnsafeBytes { raw in
      var r = ByteReader(raw)
      for v in values { #expect(r.value() == v, "decoding of \(v)") }
      #expect(r.offset == bytes.count)
      var run = ByteReader(raw)
      var decoded = [Value](repeating: Value(.int(1)), count: values.count)
      decoded.withUnsafeMutableBufferPointer { run.values(into: $0) }
      #expect(decoded == values)
      #expect(run.offset == bytes.count)
    }
  }
}

extension StateEncodingTests {
  /// A thread's encoding field by field, as it has always been written, through the writer's
  /// one-field methods: the reference for ``ThreadState/encode(into:registers:)``'s fast paths.
  static func referenceEncoding(of t: ThreadState, registers: [Value]) -> [UInt8] {
    var w = ByteWriter(capacity: 4)
    w.signed(t.pc)
    w.byte(t.outcome.rawValue | (t.mmap.rawValue << 4))
    w.count(registers.count)
    for v in registers { w.value(v) }
    switch t.wait {
    case .none: w.byte(0)
    case .rcu(let mask): w.byte(1); w.unsigned(mask)
    case .mmapWrite: w.byte(2)
    case .vmaDrain(let v): w.byte(3); w.signed(v)
    }
    w.signed(t.rcuDepth)
    w.signed(t.section)
    w.signed(t.irqOff)
    w.unsigned(t.spinHeld)
    w.count(t.vmaReadLocks.count)
    for v in t.vmaReadLocks { w.signed(v) }
    w.count(t.pins.count)
    for p in t.pins { w.unsigned(p.encoded) }
    w.count(t.ptl.count)
    for h in t.ptl {
      w.signed(h.addr)
      w.signed(h.table)
    }
    w.signed(t.retries)
    return w.bytes
  }

  /// The eight-byte tail written and read in one go for a thread outside any lock (section
  /// in 0..<64 when written, any one-byte section when read) gives the bytes of the
  /// field-by-field encoding and decodes back, on both sides of each condition of that path.
  @Test func threadTailFastPathKeepsTheBytes() {
    var threads: [ThreadState] = []
    for section: Int32 in [0, 1, 63, 64, -1, -64, 300] {
      var t = ThreadState()
      t.pc = 7
      t.section = section
      threads.append(t)
    }
    let idle = threads[1]
    threads.append({ var t = idle; t.rcuDepth = 1; return t }())
    threads.append({ var t = idle; t.irqOff = 1; return t }())
    threads.append({ var t = idle; t.spinHeld = 4; return t }())
    threads.append({ var t = idle; t.retries = 2; return t }())
    threads.append({ var t = idle; t.vmaReadLocks.append(3); return t }())
    threads.append({ var t = idle; t.pins.append(Ref(kind: .obj, index: 2)); return t }())
    threads.append({ var t = idle; t.ptl.append(PTLHold(addr: 5, table: 1)); return t }())
    threads.append({ var t = idle; t.wait = .vmaDrain(2); t.mmap = .read; return t }())
    let registers = [Value.none, Value(.int(70)), Value(.bool(true), section: 2)]
    for t in threads {
      for regs in [[], registers] {
        var w = ByteWriter(capacity: 4)
        regs.withUnsafeBufferPointer { t.encode(into: &w, registers: $0) }
        let bytes = w.bytes
        #expect(bytes == Self.referenceEncoding(of: t, registers: regs), "\(t)")
        bytes.withUnsafeBytes { raw in
          var r = ByteReader(raw)
          var decodedRegisters: [Value] = []
          let fresh = ThreadState(decoding: &r, registers: &decodedRegisters)
          #expect(fresh == t && decodedRegisters == regs, "\(t)")
          #expect(r.offset == bytes.count)
          // Over a thread holding locks and over its old registers, in place, as a frontier
          // state's thread is overwritten (``State/replaceComponent(_:from:)``).
          var busy = ThreadState()
          busy.vmaReadLocks.append(9)
          busy.pins.append(Ref(kind: .vma, index: 1))
          busy.ptl.append(PTLHold(addr: 1, table: 1))
          busy.rcuDepth = 2
          busy.retries = 1
          var oldRegisters = regs.map { _ in Value(.int(-5)) }
          var again = ByteReader(raw)
          oldRegisters.withUnsafeMutableBufferPointer { buffer in
            var buffer = buffer
            busy.decode(from: &again, registers: &buffer)
          }
          #expect(busy == t && oldRegisters == regs, "\(t) over a busy thread")
          #expect(again.offset == bytes.count)
        }
      }
    }
  }
}
