/// The fields each op accepts (besides `op`, `label`, `note` and `x-*`).
///
/// This table is the single list of op names; docs/model-language.md and
/// docs/model.schema.json document the same set.
enum OpTable {
  static let fields: [String: [String]] = [
    // Control.
    "goto": ["goto"],
    "if": ["reg", "goto"], "if_not": ["reg", "goto"],
    "if_none": ["reg", "goto"], "if_some": ["reg", "goto"],
    "if_odd": ["reg", "goto"], "if_even": ["reg", "goto"],
    "if_eq": ["reg", "reg2", "value", "goto"], "if_ne": ["reg", "reg2", "value", "goto"],
    "if_lt": ["reg", "reg2", "value", "goto"], "if_ge": ["reg", "reg2", "value", "goto"],
    "if_allows": ["reg", "access", "goto"],
    "choose": ["goto"],
    "assert": ["check", "reg", "reg2", "value", "access", "message"],
    "mov": ["value", "into"],
    "end": ["outcome"],
    "return": ["value"],
    "nop": [],
    "call": ["program", "args", "into"],
    // mmap_lock and sequence counts.
    "mmap_read_lock": [], "mmap_read_trylock": ["into"], "mmap_read_unlock": [],
    "mmap_write_lock": [], "mmap_write_unlock": [], "mmap_write_downgrade": [],
    "mmap_seq_read": ["into"], "mmap_seq_check": ["seq", "into"],
    "vma_seq_read": ["vma", "into"], "vma_seq_check": ["vma", "seq", "into"],
    // Per-VMA lock.
    "vma_start_read": ["vma", "into"], "vma_end_read": ["vma"], "vma_start_write": ["vma"],
    "vma_mark_detached": ["vma"], "vma_mark_attached": ["vma"],
    "vma_lock_seq_read": ["vma", "into"], "vma_read_trylock": ["vma", "into"], "vma_is_attached": ["vma", "into"],
    // VMA tree and VMA objects.
    "vma_lookup": ["addr", "into"],
    "vma_alloc": ["gfp", "start", "end", "prot", "anon", "into"],
    "vma_clone": ["vma", "gfp", "into"],
    "vma_set": ["vma", "field", "value"],
    "vma_write_begin": ["vma"], "vma_write_end": ["vma"],
    "vma_read": ["vma", "field", "into"], "vma_copy": ["vma", "into"],
    "vma_insert": ["vma"], "vma_remove": ["vma"], "vma_replace": ["old", "new", "into"],
    "vma_free": ["vma"], "vma_free_rcu": ["vma"], "vma_get": ["vma"], "vma_put": ["vma"],
    "vma_wait_unused": ["vma"],
    // Page tables and PTEs.
    "pt_walk": ["addr", "level", "parent", "into"],
    "pt_alloc": ["gfp", "into"],
    "pt_install": ["addr", "level", "table", "parent", "into"],
    "pt_free": ["table"], "pt_free_rcu": ["table"],
    "pte_lock": ["addr", "into"], "pte_trylock": ["addr", "into"], "pte_unlock": ["addr"],
    "pte_lock_table": ["addr", "table"],
    "pmd_clear": ["addr", "into"], "pmd_populate": ["addr", "table", "into"],
    "pte_read": ["addr", "into"], "pte_set": ["addr", "prot", "page", "vma"], "pte_clear": ["addr"],
    "pte_protect": ["start", "end", "prot"],
    "zap": ["start", "end"],
    "free_pgtables": ["start", "end", "floor", "ceiling", "mode"],
    // Pages and page cache.
    "page_alloc": ["gfp", "into"], "page_free": ["page"],
    "filemap_lookup": ["addr", "into"], "filemap_read": ["addr", "into"],
    // RCU.
    "rcu_read_lock": [], "rcu_read_unlock": [], "synchronize_rcu": [], "call_rcu": ["obj"],
    // Generic objects, cells, globals.
    "obj_alloc": ["kind", "gfp", "into"], "obj_get": ["obj"], "obj_put": ["obj", "rcu"],
    "obj_free": ["obj"], "obj_free_rcu": ["obj"], "obj_use": ["obj"],
    "cell_store": ["cell", "obj"], "cell_load": ["cell", "into"],
    "load": ["global", "into"], "store": ["global", "value"],
    // Spinlocks and interrupt state.
    "spin_lock": ["lock"], "spin_trylock": ["lock", "into"], "spin_unlock": ["lock"],
    "irq_disable": [], "irq_enable": [], "might_sleep": [],
    "tlb_flush_ipi": [],
  ]

  /// Every key any op may carry, for the first strictness check.
  static let allKeys: [String] = {
    var keys = Set(["op", "label"])
    for f in fields.values { keys.formUnion(f) }
    return keys.sorted()
  }()
}

/// Reads the fields of one op.
struct OpReader {
  let node: JSONNode
  let name: String
  let members: [(key: String, node: JSONNode)]
  /// Operand text for narration, built as fields are read.
  var summary = ""

  init(node: JSONNode, name: String, members: [(key: String, node: JSONNode)]) {
    self.node = node
    self.name = name
    self.members = members
  }

  func optional(_ key: String) -> JSONNode? { members.first(where: { $0.key == key })?.node }

  func required(_ key: String) throws(ModelError) -> JSONNode {
    guard let n = optional(key) else {
      throw node.error("op \"\(name)\" needs \"\(key)\"")
    }
    return n
  }

  mutating func note(_ key: String, _ node: JSONNode) {
    let text: String
    switch node.json {
    case .int(let v): text = String(v)
    case .bool(let b): text = b ? "true" : "false"
    case .null: text = "none"
    case .string(let s): text = s
    default: text = "..."
    }
    note(key, text)
  }

  mutating func note(_ key: String, _ text: String) {
    summary += (summary.isEmpty ? "" : " ") + "\(key)=\(text)"
  }
}
