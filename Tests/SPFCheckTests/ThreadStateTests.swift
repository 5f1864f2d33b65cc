import Testing

@testable import SPFCheck

/// `ThreadState`'s hand-written `==`.
@Suite struct ThreadStateTests {
  /// One thread per stored property, each differing from the default in that property only.
  static let variants: [(String, ThreadState)] = [
    ("pc", { var t = ThreadState(); t.pc = 1; return t }()),
    ("outcome", { var t = ThreadState(); t.outcome = .done; return t }()),
    ("wait", { var t = ThreadState(); t.wait = .rcu(1); return t }()),
    ("rcuDepth", { var t = ThreadState(); t.rcuDepth = 1; return t }()),
    ("section", { var t = ThreadState(); t.section = 1; return t }()),
    ("irqOff", { var t = ThreadState(); t.irqOff = 1; return t }()),
    ("spinHeld", { var t = ThreadState(); t.spinHeld = 1; return t }()),
    ("mmap", { var t = ThreadState(); t.mmap = .read; return t }()),
    ("vmaReadLocks", { var t = ThreadState(); t.vmaReadLocks.append(0); return t }()),
    ("pins", { var t = ThreadState(); t.pins.append(Ref(kind: .vma, index: 0)); return t }()),
    ("ptl", { var t = ThreadState(); t.ptl.append(PTLHold(addr: 0, table: 0)); return t }()),
    ("retries", { var t = ThreadState(); t.retries = 1; return t }()),
  ]

  @Test func everyStoredPropertyHasAVariant() {
    let stored = Mirror(reflecting: ThreadState()).children.compactMap(\.label)
    #expect(stored == Self.variants.map(\.0), "a stored property was added: compare it in ThreadState.==")
  }

  @Test func equalityComparesEveryStoredProperty() {
    for (name, variant) in Self.variants {
      #expect(variant != ThreadState(), "\(name)")
      #expect(variant == variant, "\(name)")
    }
  }
}
