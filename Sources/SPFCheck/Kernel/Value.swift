/// The kind of a kernel object a register can point to.
enum ObjKind: UInt8, Hashable, Sendable, CaseIterable {
  case vma, table, page, obj

  var name: String {
    switch self {
    case .vma: return "vma"
    case .table: return "table"
    case .page: return "page"
    case .obj: return "obj"
    }
  }
}

/// A reference to a kernel object: its kind and its slot in that kind's array.
///
/// Slots are handed out in allocation order, so the same schedule always
/// produces the same references.
struct Ref: InlineElement, Sendable {
  var kind: ObjKind
  var index: Int32

  static var filler: Ref { Ref(kind: .vma, index: -1) }
}

/// Protection bits of a VMA or PTE: read, write, execute.
struct Prot: Hashable, Sendable {
  var bits: UInt8
  static let r = Prot(bits: 1)
  static let w = Prot(bits: 2)
  static let x = Prot(bits: 4)
  static let none = Prot(bits: 0)

  /// Parses "r", "rw", "rwx", "x", "" or "none".
  init?(parsing text: String) {
    if text == "none" || text == "" { bits = 0; return }
    var b: UInt8 = 0
    for c in text {
      switch c {
      case "r": b |= 1
      case "w": b |= 2
      case "x": b |= 4
      default: return nil
      }
    }
    bits = b
  }

  init(bits: UInt8) { self.bits = bits }

  /// True when every permission in `other` is also in `self`.
  func contains(_ other: Prot) -> Bool { other.bits & ~bits == 0 }

  var text: String {
    if bits == 0 { return "none" }
    return (bits & 1 != 0 ? "r" : "") + (bits & 2 != 0 ? "w" : "") + (bits & 4 != 0 ? "x" : "")
  }
}

/// The VMA attributes that faults read and writers change.
enum VMAField: String, Hashable, Sendable, CaseIterable {
  case start, end, prot, anon, anonVma = "anon_vma", policy, file
}

/// An optional ``Ref`` packed in 32 bits, as the state encoding writes it: 0 for nil, else
/// `(index << 3 | kind) + 1`.
///
/// The packing is one-to-one, so comparing packed words compares the references.
struct PackedRef: Hashable, Sendable {
  /// The packed word, which is also the varint the state encoding writes for the reference.
  var raw: UInt32

  /// The largest index a packed reference holds: `(index << 3 | kind) + 1` must fit 32 bits.
  static let maxIndex: Int32 = 0x1FFF_FFFE

  /// Packs `ref`.
  ///
  /// - Precondition: `ref` is nil or its index is in `0...maxIndex`.
  @inline(__always)
  init(_ ref: Ref?) {
    guard let ref else {
      raw = 0
      return
    }
    precondition(ref.index >= 0 && ref.index <= Self.maxIndex, "object index out of range for a packed reference")
    raw = (UInt32(ref.index) << 3 | UInt32(ref.kind.rawValue)) + 1
  }

  /// The packed word as read back from an encoding (trusted: written by ``raw``).
  @inline(__always)
  init(raw: UInt32) { self.raw = raw }

  /// The reference, or nil.
  var ref: Ref? {
    @inline(__always) get { raw == 0 ? nil : nonNil }
  }

  /// The reference of a packed word that is not 0 (not nil).
  var nonNil: Ref {
    @inline(__always) get {
      let bits = raw &- 1
      let kind: ObjKind
      switch bits & 7 {
      case 0: kind = .vma
      case 1: kind = .table
      case 2: kind = .page
      default: kind = .obj
      }
      return Ref(kind: kind, index: Int32(bits >> 3))
    }
  }
}

/// A thread-local copy of a VMA taken by `vma_copy` (Lespinasse's `pvma = *vma`).
///
/// The three optional references are stored packed (``PackedRef``), so a snapshot takes 30
/// bytes instead of 44 and a ``Value`` holding one stays small; they read and write as
/// `Ref?` as before. Two snapshots are equal exactly when all their fields are.
struct Snapshot: Hashable, Sendable {
  var source: Int32
  var start: Int32
  var end: Int32
  var lineage: Int32
  /// ``anonVma``, packed.
  var packedAnonVma: PackedRef
  /// ``policy``, packed.
  var packedPolicy: PackedRef
  /// ``file``, packed.
  var packedFile: PackedRef
  var prot: Prot
  var anon: Bool

  /// A snapshot with these fields.
  ///
  /// - Precondition: the references' indices fit a ``PackedRef``.
  init(
    source: Int32, start: Int32, end: Int32, prot: Prot, anon: Bool, lineage: Int32, anonVma: Ref?, policy: Ref?,
    file: Ref?
  ) {
    self.init(
      source: source, start: start, end: end, prot: prot, anon: anon, lineage: lineage,
      packedAnonVma: PackedRef(anonVma), packedPolicy: PackedRef(policy), packedFile: PackedRef(file))
  }

  /// A snapshot whose references are already packed (the state decoder).
  @inline(__always)
  init(
    source: Int32, start: Int32, end: Int32, prot: Prot, anon: Bool, lineage: Int32, packedAnonVma: PackedRef,
    packedPolicy: PackedRef, packedFile: PackedRef
  ) {
    self.source = source
    self.start = start
    self.end = end
    self.lineage = lineage
    self.packedAnonVma = packedAnonVma
    self.packedPolicy = packedPolicy
    self.packedFile = packedFile
    self.prot = prot
    self.anon = anon
  }

  var anonVma: Ref? {
    get { packedAnonVma.ref }
    set { packedAnonVma = PackedRef(newValue) }
  }

  var policy: Ref? {
    get { packedPolicy.ref }
    set { packedPolicy = PackedRef(newValue) }
  }

  var file: Ref? {
    get { packedFile.ref }
    set { packedFile = PackedRef(newValue) }
  }
}

/// What a register holds.
enum Payload: Hashable, Sendable {
  case none
  case int(Int)
  case bool(Bool)
  /// An interned string constant such as `ok`, `locked`, `detached`.
  case sym(Int32)
  case ref(Ref)
  case prot(Prot)
  case snapshot(Snapshot)
}

/// A register value together with the provenance the invariants need.
///
/// `torn` marks a value read or copied from a VMA while another thread was
/// inside an in-place update bracket on it (`torn-read`). `section` is the RCU
/// read-side section a pointer was obtained in when nothing else pins it
/// (`rcu-escape`); zero when the pointer is not RCU-only.
///
/// Stored as 32 bytes of plain words rather than as a ``Payload`` enum (whose `Int` and
/// snapshot cases made it 8-aligned: 36 bytes, stride 40): the encoding's tag byte, one byte
/// of small fields, the section in 16 bits and seven 32-bit payload words, unused ones zero.
/// Every value has exactly one stored form, so the derived `==` compares the fields and
/// means what it meant for the enum. ``payload`` reads and writes the enum view.
struct Value: Hashable, Sendable {
  /// The payload kinds, numbered as the encoding's tag (a bool's value is its tag).
  fileprivate enum Tag {
    static let none: UInt8 = 0
    static let int: UInt8 = 1
    static let falseBool: UInt8 = 2
    static let trueBool: UInt8 = 3
    static let sym: UInt8 = 4
    static let ref: UInt8 = 5
    static let prot: UInt8 = 6
    static let snapshot: UInt8 = 7
    /// The bits of ``Value/head`` that hold the tag.
    static let mask: UInt8 = 7
    /// The bit of ``Value/head`` that holds ``Value/torn``.
    static let torn: UInt8 = 8
    /// A snapshot's `anon` in ``Value/small``, above its prot bits.
    static let anon: UInt8 = 0x10
    /// Bit `t` is set when tag `t` carries no payload (none and the two bools): such a value
    /// is its tag byte and its section, nothing else.
    static let payloadless: UInt8 = 1 << none | 1 << falseBool | 1 << trueBool
  }

  /// The encoding's tag byte: the payload's ``Tag`` in bits 0–2, ``torn`` in bit 3.
  fileprivate var head: UInt8
  /// A prot's bits, or a snapshot's `prot.bits | anon << 4` (the encoding's flags byte); else 0.
  fileprivate var small: UInt8 = 0
  /// ``section`` in 16 bits: a section id is at most one more than its thread's register
  /// count (``StepContext/rcuEnter()`` takes the smallest id no register carries), so it fits.
  fileprivate var narrowSection: Int16
  /// The payload: an int's low and high halves (`w0`, `w1`), a symbol, a packed reference
  /// (``PackedRef/raw``), or a snapshot's source, start, end, lineage and three packed
  /// references (`w0`…`w6`). Unused words are 0.
  fileprivate var w0: UInt32 = 0
  fileprivate var w1: UInt32 = 0
  fileprivate var w2: UInt32 = 0
  fileprivate var w3: UInt32 = 0
  fileprivate var w4: UInt32 = 0
  fileprivate var w5: UInt32 = 0
  fileprivate var w6: UInt32 = 0

  /// The empty register.
  static var none: Value { Value(head: Tag.none, section: 0) }

  /// Whether the value uses only what a ``Constant`` keeps: no snapshot payload, no RCU section.
  var fitsConstant: Bool { head & Tag.mask != Tag.snapshot && narrowSection == 0 }

  /// A value with tag byte `head`, no payload words yet, and section `section`.
  @inline(__always)
  fileprivate init(head: UInt8, section: Int16) {
    self.head = head
    narrowSection = section
  }

  /// A value holding `payload`.
  ///
  /// - Precondition: `section` fits 16 bits; references fit a ``PackedRef``; a snapshot's
  ///   prot has only r/w/x bits.
  @inline(__always)
  init(_ payload: Payload, torn: Bool = false, section: Int32 = 0) {
    precondition(Int16(exactly: section) != nil, "RCU section id out of range")
    self.init(head: torn ? Tag.torn : 0, section: Int16(truncatingIfNeeded: section))
    switch payload {
    case .none: break
    case .int(let i):
      head |= Tag.int
      w0 = UInt32(truncatingIfNeeded: i)
      w1 = UInt32(truncatingIfNeeded: i >> 32)
    case .bool(let b): head |= b ? Tag.trueBool : Tag.falseBool
    case .sym(let s):
      head |= Tag.sym
      w0 = UInt32(bitPattern: s)
    case .ref(let r):
      head |= Tag.ref
      w0 = PackedRef(r).raw
    case .prot(let p):
      head |= Tag.prot
      small = p.bits
    case .snapshot(let snap):
      precondition(snap.prot.bits & ~7 == 0, "a snapshot's prot holds r/w/x bits only")
      head |= Tag.snapshot
      small = snap.prot.bits | (snap.anon ? Tag.anon : 0)
      w0 = UInt32(bitPattern: snap.source)
      w1 = UInt32(bitPattern: snap.start)
      w2 = UInt32(bitPattern: snap.end)
      w3 = UInt32(bitPattern: snap.lineage)
      w4 = snap.packedAnonVma.raw
      w5 = snap.packedPolicy.raw
      w6 = snap.packedFile.raw
    }
  }

  init(payload: Payload) { self.init(payload) }

  /// What the register holds.
  var payload: Payload {
    @inline(__always) get {
      switch head & Tag.mask {
      case Tag.none: return .none
      case Tag.int: return .int(Int(truncatingIfNeeded: Int64(bitPattern: UInt64(w1) << 32 | UInt64(w0))))
      case Tag.falseBool: return .bool(false)
      case Tag.trueBool: return .bool(true)
      case Tag.sym: return .sym(Int32(bitPattern: w0))
      case Tag.ref: return .ref(refPayload)
      case Tag.prot: return .prot(Prot(bits: small))
      default:
        return .snapshot(
          Snapshot(
            source: Int32(bitPattern: w0), start: Int32(bitPattern: w1), end: Int32(bitPattern: w2),
            prot: Prot(bits: small & 7), anon: small & Tag.anon != 0, lineage: Int32(bitPattern: w3),
            packedAnonVma: PackedRef(raw: w4), packedPolicy: PackedRef(raw: w5), packedFile: PackedRef(raw: w6)))
      }
    }
    set { self = Value(newValue, torn: torn, section: section) }
  }

  var torn: Bool {
    get { head & Tag.torn != 0 }
    set { head = newValue ? head | Tag.torn : head & ~Tag.torn }
  }

  var section: Int32 {
    get { Int32(narrowSection) }
    set {
      precondition(Int16(exactly: newValue) != nil, "RCU section id out of range")
      narrowSection = Int16(truncatingIfNeeded: newValue)
    }
  }

  /// The reference a `.ref` payload holds (its packed word is never 0).
  private var refPayload: Ref {
    @inline(__always) get { PackedRef(raw: w0).nonNil }
  }

  var ref: Ref? {
    if head & Tag.mask == Tag.ref { return refPayload }
    return nil
  }

  var isNone: Bool { head & Tag.mask == Tag.none }

  /// Equal when every stored field is (a value has one stored form), compared without a
  /// branch per field as the derived `==` does.
  static func == (a: Value, b: Value) -> Bool {
    let small = UInt32(a.head ^ b.head) | UInt32(a.small ^ b.small) | UInt32(UInt16(bitPattern: a.narrowSection ^ b.narrowSection))
    let words = (a.w0 ^ b.w0) | (a.w1 ^ b.w1) | (a.w2 ^ b.w2) | (a.w3 ^ b.w3) | (a.w4 ^ b.w4) | (a.w5 ^ b.w5) | (a.w6 ^ b.w6)
    return small | words == 0
  }
}

extension Value: CustomStringConvertible {
  /// The enum view, for test failures and debugging (the stored words mean little).
  var description: String { "Value(\(payload), torn: \(torn), section: \(section))" }
}

extension Value {
  /// The most bytes ``ByteWriter/value(_:)`` writes for one value: a snapshot's tag and
  /// flags bytes, a 16-bit section (3 bytes) and seven 32-bit fields (5 bytes each).
  static let maxEncodedCount = 2 + 3 + 7 * 5
}

extension ByteWriter {
  /// Appends `v`: its tag byte, its section, then its payload's fields.
  @inline(__always)
  mutating func value(_ v: Value) {
    withCursor(reserving: Value.maxEncodedCount) { $0.value(v) }
  }
}

extension ByteCursor {
  /// Appends each of `values` as ``value(_:)`` does, in at most ``Value/maxEncodedCount``
  /// bytes each.
  ///
  /// Most registers are empty (or a bool) with a section in -64..<64, which encode as their
  /// tag byte and one byte of zig-zagged section: those are written by one store from the
  /// two fields read in place. Copying each value out first (`for v in values`) loads all
  /// its 32 bytes before the first store, since the compiler cannot tell the bytes written
  /// from the values read.
  @inline(__always)
  mutating func values(_ values: UnsafeBufferPointer<Value>) {
    for i in values.indices {
      let head = values[i].head
      let section = values[i].narrowSection
      let zigzag = UInt16(bitPattern: (section << 1) ^ (section >> 15))
      if Value.Tag.payloadless & (1 << (head & Value.Tag.mask)) != 0 && zigzag < 0x80 {
        pair(UInt16(head) | zigzag << 8)
      } else {
        value(values[i])
      }
    }
  }

  /// Appends `v` as ``ByteWriter/value(_:)`` does, in at most ``Value/maxEncodedCount`` bytes.
  @inline(__always)
  mutating func value(_ v: Value) {
    byte(v.head)
    signed(v.narrowSection)
    switch v.head & Value.Tag.mask {
    case Value.Tag.int: signed(Int64(bitPattern: UInt64(v.w1) << 32 | UInt64(v.w0)))
    case Value.Tag.sym: signed(Int32(bitPattern: v.w0))
    case Value.Tag.ref: unsigned(v.w0)
    case Value.Tag.prot: byte(v.small)
    case Value.Tag.snapshot:
      signed(Int32(bitPattern: v.w0))
      signed(Int32(bitPattern: v.w1))
      signed(Int32(bitPattern: v.w2))
      byte(v.small)
      signed(Int32(bitPattern: v.w3))
      unsigned(v.w4)
      unsigned(v.w5)
      unsigned(v.w6)
    default: break
    }
  }
}

extension ByteReader {
  /// Reads a value written by ``ByteWriter/value(_:)``.
  @inline(__always)
  mutating func value() -> Value {
    // The common two-byte value (no payload, a one-byte section) from one load; every value
    // takes at least two bytes, so the load stays inside the encoding.
    if let v = Self.shortValue(pair()) {
      skip(2)
      return v
    }
    return valueWithPayload()
  }

  /// The value whose encoding starts with the two bytes `first` (the first in the low byte)
  /// when those two bytes are all of it: no payload, and a section of one varint byte.
  @inline(__always)
  private static func shortValue(_ first: UInt16) -> Value? {
    let head = UInt8(truncatingIfNeeded: first) & (Value.Tag.mask | Value.Tag.torn)
    guard Value.Tag.payloadless & (1 << (head & Value.Tag.mask)) != 0 && first < 0x8000 else { return nil }
    let zigzag = Int16(first >> 8)
    return Value(head: head, section: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
  }

  /// Reads `buffer.count` values written by ``ByteWriter/value(_:)`` (or
  /// ``ByteCursor/values(_:)``) over the values `buffer` holds.
  ///
  /// ``value()`` in a loop, but with the offset in a local (the reader is `inout`, so each
  /// value would load and store it) and each path storing its own value, where one returned
  /// value had to be assembled from either path's registers first.
  @inline(__always)
  mutating func values(into buffer: UnsafeMutableBufferPointer<Value>) {
    var local = self
    for i in buffer.indices {
      if let v = Self.shortValue(local.pair()) {
        local.skip(2)
        buffer[i] = v
      } else {
        buffer[i] = local.valueWithPayload()
      }
    }
    self = local
  }

  /// ``value()`` for the values that carry a payload or a section of two bytes or more.
  private mutating func valueWithPayload() -> Value {
    let head = byte() & (Value.Tag.mask | Value.Tag.torn)
    var v = Value(head: head, section: signed())
    switch head & Value.Tag.mask {
    case Value.Tag.int:
      let i: Int64 = signed()
      v.w0 = UInt32(truncatingIfNeeded: i)
      v.w1 = UInt32(truncatingIfNeeded: i >> 32)
    case Value.Tag.sym: v.w0 = UInt32(bitPattern: signed())
    case Value.Tag.ref: v.w0 = unsigned()
    case Value.Tag.prot: v.small = byte()
    case Value.Tag.snapshot:
      v.w0 = UInt32(bitPattern: signed())
      v.w1 = UInt32(bitPattern: signed())
      v.w2 = UInt32(bitPattern: signed())
      v.small = byte() & (7 | Value.Tag.anon)
      v.w3 = UInt32(bitPattern: signed())
      v.w4 = unsigned()
      v.w5 = unsigned()
      v.w6 = unsigned()
    default: break
    }
    return v
  }
}

/// A program constant: a ``Value`` without the snapshot payload and RCU section, which no
/// constant has, in 12 bytes instead of 32. An ``Operand`` holds one, so an ``Instr`` (up to
/// four operands) stays small: the executor copies the next op out of the program on every
/// step, and at 160 bytes that copy was a `memcpy` call.
struct Constant: Hashable, Sendable {
  private var head: UInt8
  private var small: UInt8
  private var w0: UInt32
  private var w1: UInt32

  /// - Precondition: `v` ``Value/fitsConstant``.
  init(_ v: Value) {
    precondition(v.fitsConstant, "a program constant is never a snapshot and has no RCU section")
    (head, small, w0, w1) = (v.head, v.small, v.w0, v.w1)
  }

  /// The value this constant stands for.
  @inline(__always)
  var value: Value {
    var v = Value(head: head, section: 0)
    v.small = small
    v.w0 = w0
    v.w1 = w1
    return v
  }
}
