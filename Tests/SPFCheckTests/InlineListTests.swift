import Testing

@testable import SPFCheck

/// The plain-data pieces of the state: `InlineList` and the structs built from it.
@Suite struct InlineListTests {
  @Test func appendRemoveAndEqualityIgnoreUnusedSlots() {
    var a = InlineList<4, Int32>()
    a.append(7)
    a.append(8)
    a.append(9)
    #expect(Array(a) == [7, 8, 9])
    #expect(a.remove(at: 0) == 7)
    #expect(Array(a) == [8, 9])
    var b: InlineList<4, Int32> = [8, 9, 10]
    b.removeAll { $0 == 10 }
    #expect(a == b, "equal lists compare equal whatever their history")
    #expect(a.hashValue == b.hashValue)
    b[1] = 5
    #expect(a != b)
    #expect(!a.isFull)
    a.append(1)
    a.append(2)
    #expect(a.isFull && a.count == 4 && InlineList<4, Int32>.maxCount == 4)
  }

  /// The hot state's leaves are plain data: copying them is a memcpy, no retain or release.
  @Test func stateLeavesArePlainData() {
    #expect(_isPOD(InlineList<8, Ref>.self))
    #expect(_isPOD(MMState.self))
    #expect(_isPOD(VMAState.self))
    #expect(_isPOD(PTE.self))
    #expect(_isPOD(TableState.self), "its entries and PTEs are slots of PageTables")
    #expect(_isPOD(Layout.self))
    #expect(_isPOD(PageState.self))
    #expect(_isPOD(ObjState.self))
    #expect(_isPOD(Value.self))
    #expect(_isPOD(ThreadState.self), "registers live in State.regs, so a thread is plain data")
    // Not yet: State itself is a struct of arrays (docs/performance.md, "What is not plain data yet").
    #expect(!_isPOD(State.self))
  }

  /// An instruction is plain data (an `assert` keeps its message in its source site), so
  /// fetching the next instruction copies it without a retain.
  @Test func instructionsArePlainData() {
    #expect(_isPOD(Instr.self))
  }

  /// A register is 32 bytes of plain data (56 when it held a `Payload` enum with a 44-byte
  /// snapshot): `State.regs` is copied on write, compared and encoded element by element.
  @Test func valueIsCompactPlainData() {
    #expect(_isPOD(Value.self))
    #expect(MemoryLayout<Value>.stride <= 32)
    #expect(MemoryLayout<Snapshot>.size <= 30, "three packed references, not three Ref?")
  }

  /// The compact value reads back the payload, `torn` and `section` it was given, and two
  /// values are equal exactly when all three are.
  @Test func valueKeepsItsPayloadTornAndSection() {
    let snap = Snapshot(
      source: 1, start: -4096, end: 8192, prot: Prot(bits: 5), anon: true, lineage: -1,
      anonVma: Ref(kind: .obj, index: 2), policy: nil, file: Ref(kind: .page, index: 0))
    var other = snap
    other.policy = Ref(kind: .vma, index: 0)
    let payloads: [Payload] = [
      .none, .int(0), .int(-1), .int(.max), .int(.min), .bool(false), .bool(true), .sym(3),
      .ref(Ref(kind: .table, index: 7)), .ref(Ref(kind: .vma, index: 7)), .prot(Prot(bits: 3)),
      .snapshot(snap), .snapshot(other),
    ]
    #expect(other.policy == Ref(kind: .vma, index: 0) && other.anonVma == snap.anonVma && other != snap)
    var values: [Value] = []
    for p in payloads {
      for (torn, section) in [(false, Int32(0)), (true, 0), (false, 2)] {
        let v = Value(p, torn: torn, section: section)
        #expect(v.payload == p && v.torn == torn && v.section == section)
        #expect(v.isNone == (p == .none))
        values.append(v)
      }
    }
    for (i, a) in values.enumerated() {
      for (j, b) in values.enumerated() { #expect((a == b) == (i == j)) }
    }
    var v = Value(.ref(Ref(kind: .obj, index: 1)))
    v.section = 4
    #expect(v == Value(.ref(Ref(kind: .obj, index: 1)), section: 4) && v.ref == Ref(kind: .obj, index: 1))
    #expect(Value.none == Value(payload: .none) && Value(.int(1)).ref == nil)
  }

  /// A thread that would hold more counted references than its state has room for stops
  /// the exploration with a runtime model error naming the op, not a crash.
  @Test func overflowingAThreadListIsAModelError() throws {
    let gets = Array(repeating: #"{ "op": "obj_get", "obj": "o" }"#, count: 9).joined(separator: ", ")
    let json = KernelTests.model(
      #""p": [\#(gets), { "op": "end" }]"#, threads: [("T", "p")],
      extra: #""objects": [{ "name": "o", "kind": "payload" }]"#)
    #expect {
      _ = try InlineModel.explore(json)
    } throws: { error in
      guard case .runtime(_, let path, let message)? = error as? ModelError else { return false }
      return path == "programs.p[8]" && message.contains("8 counted references")
    }
  }
}
