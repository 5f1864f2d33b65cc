import Testing

@testable import SPFCheck

/// Program constants are stored compactly (``Constant``) and read back as the values the
/// compiler made.
@Suite struct ConstantTests {
  static let values: [Value] = [
    .none, Value(.int(0)), Value(.int(-1)), Value(.int(Int.min)), Value(.int(Int.max)), Value(.int(1 << 40)),
    Value(.bool(false)), Value(.bool(true)), Value(.sym(0)), Value(.sym(41)), Value(.prot(.none)),
    Value(.prot(Prot(bits: 7))), Value(.ref(Ref(kind: .vma, index: 3))), Value(.ref(Ref(kind: .obj, index: 0))),
  ]

  @Test(arguments: values)
  func aConstantReadsBackAsItsValue(_ v: Value) {
    #expect(Constant(v).value == v)
    #expect(StepContext.value(.constant(v), State(), thread: 0) == v)
  }

  /// The executor copies an op out of its program on every step. With each constant held as
  /// a full 32-byte value, an op with four operands took 155 bytes, and the copy was a
  /// `memcpy` call; a new operand kind or op payload that brings that back fails here.
  @Test func opsStaySmall() {
    #expect(MemoryLayout<Operand>.size <= 16)
    #expect(MemoryLayout<Instr>.size <= 80)
  }
}
