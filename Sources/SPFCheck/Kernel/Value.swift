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

/// A thread-local copy of a VMA taken by `vma_copy` (Lespinasse's `pvma = *vma`).
struct Snapshot: Hashable, Sendable {
  var source: Int32
  var start: Int32
  var end: Int32
  var prot: Prot
  var anon: Bool
  var lineage: Int32
  var anonVma: Ref?
  var policy: Ref?
  var file: Ref?
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
