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
    @inline(__always) get {
      guard raw != 0 else { return nil }
      let bits = raw - 1
      return Ref(kind: ObjKind(rawValue: UInt8(bits & 7))!, index: Int32(bits >> 3))
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
struct Value: Hashable, Sendable {
  var payload: Payload
  var torn: Bool = false
  var section: Int32 = 0

  static let none = Value(payload: .none)

  init(_ payload: Payload, torn: Bool = false, section: Int32 = 0) {
    self.payload = payload
    self.torn = torn
    self.section = section
  }

  init(payload: Payload) { self.payload = payload }

  var ref: Ref? {
    if case .ref(let r) = payload { return r }
    return nil
  }

  var isNone: Bool {
    if case .none = payload { return true }
    return false
  }
}
