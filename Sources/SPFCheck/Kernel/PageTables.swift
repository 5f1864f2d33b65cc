/// The page tables of a state in one plain-data buffer: every table's header
/// (``TableState``), then every table's slots, table by table in index order.
///
/// A table's slots are its child entries (upper levels: the `pgd_t`/`p4d_t`/`pud_t`/`pmd_t`
/// array of the page), then its PTEs (leaf level); an installed table has one kind, a table
/// only allocated (`pte_alloc_one()`) has none. Each table's `slotBase` is the number of
/// slots of the tables before it, a function of the counts, so equal page tables are equal
/// item by item.
///
/// One array for the whole component keeps copying and destroying a ``State`` at one retain
/// and one release for its page tables, as when they were an array of tables, while a write
/// copies plain data (one memcpy, no per-table arrays to retain) and a walk reads headers and
/// entries without copying any array. Separate arrays for headers, entries and PTEs measured
/// slower: every extra array field of `State` adds a retain and a release to each of the
/// many state copies (docs/performance.md, "Stop 9").
struct PageTables: RandomAccessCollection, Hashable, Sendable {
  /// One element of the buffer.
  private enum Item: Hashable, Sendable {
    case table(TableState)
    case entry(Int32)
    case pte(PTE)
  }

  /// The `count` table headers, then the slots.
  private var items: [Item] = []
  /// Number of tables.
  private(set) var count = 0

  init() {}

  var startIndex: Int { 0 }
  var endIndex: Int { count }

  /// The header of table `index`.
  subscript(index: Int) -> TableState {
    get {
      guard case .table(let t) = items[index] else { preconditionFailure("no table#\(index)") }
      return t
    }
    set {
      precondition(index >= 0 && index < count, "no table#\(index)")
      items[index] = .table(newValue)
    }
  }

  /// Number of slots of all tables.
  var slotCount: Int { items.count - count }

  // MARK: Entries and PTEs

  /// The child in entry `slot` of the table whose header is `t`, or -1.
  func entry(in t: TableState, _ slot: Int) -> Int32 {
    precondition(slot >= 0 && slot < Int(t.entryCount), "entry \(slot) outside a table of \(t.entryCount) entries")
    guard case .entry(let child) = items[count + Int(t.slotBase) + slot] else { preconditionFailure("slot is not an entry") }
    return child
  }

  /// The child in entry `slot` of table `table`, or -1.
  func entry(_ table: Int32, _ slot: Int) -> Int32 { entry(in: self[Int(table)], slot) }

  /// Sets entry `slot` of table `table` to `child` (a table index, or -1).
  mutating func setEntry(_ table: Int32, _ slot: Int, _ child: Int32) {
    let t = self[Int(table)]
    precondition(slot >= 0 && slot < Int(t.entryCount), "entry \(slot) outside a table of \(t.entryCount) entries")
    items[count + Int(t.slotBase) + slot] = .entry(child)
  }

  /// Table `table`'s entries in slot order (a copy: for the rare whole-table visits).
  func entries(of table: Int32) -> [Int32] {
    let t = self[Int(table)]
    return (0..<Int(t.entryCount)).map { entry(in: t, $0) }
  }

  /// PTE `slot` of the leaf table whose header is `t`.
  func pte(in t: TableState, _ slot: Int) -> PTE {
    precondition(slot >= 0 && slot < Int(t.pteCount), "PTE \(slot) outside a table of \(t.pteCount) PTEs")
    guard case .pte(let p) = items[count + Int(t.slotBase) + Int(t.entryCount) + slot] else {
      preconditionFailure("slot is not a PTE")
    }
    return p
  }

  /// PTE `slot` of leaf table `table`.
  func pte(_ table: Int32, _ slot: Int) -> PTE { pte(in: self[Int(table)], slot) }

  /// Sets PTE `slot` of leaf table `table`.
  mutating func setPTE(_ table: Int32, _ slot: Int, _ pte: PTE) {
    let t = self[Int(table)]
    precondition(slot >= 0 && slot < Int(t.pteCount), "PTE \(slot) outside a table of \(t.pteCount) PTEs")
    items[count + Int(t.slotBase) + Int(t.entryCount) + slot] = .pte(pte)
  }

  /// Table `table`'s PTEs in slot order (a copy: for the rare whole-table visits).
  func ptes(of table: Int32) -> [PTE] {
    let t = self[Int(table)]
    return (0..<Int(t.pteCount)).map { pte(in: t, $0) }
  }

  /// Replaces the committing thread of every PTE that has one (symmetry's renaming).
  mutating func renameCommitters(_ transform: (Int16) -> Int16) {
    // Written only when some committer changes, so that the items otherwise keep sharing
    // the parent's storage (see ``State/renameThreads(_:)``).
    let renamed = items[count...].contains { item in
      guard case .pte(let p) = item, p.committer >= 0 else { return false }
      return transform(p.committer) != p.committer
    }
    guard renamed else { return }
    for i in count..<items.count {
      if case .pte(var p) = items[i], p.committer >= 0 {
        p.committer = transform(p.committer)
        items[i] = .pte(p)
      }
    }
  }

  // MARK: Allocation and installation

  /// Appends a table as `pte_alloc_one()`/`pmd_alloc_one()` return it: no level and no
  /// slots until it is installed. Returns its index.
  mutating func appendTable() -> Int32 {
    items.insert(.table(TableState(slotBase: Int32(slotCount))), at: count)
    count += 1
    return Int32(count - 1)
  }

  /// Makes table `index` an empty level-`level` table under entry `parentSlot` of `parent`
  /// (the root: -1, -1), as `pmd_install()` finds a freshly allocated page: every entry or
  /// PTE empty, the ptl free, live. The caller links it into the parent's entry.
  ///
  /// Its slots replace the ones it had (none when it was only allocated); when their number
  /// changes, the bases of the later tables move with them.
  mutating func installTable(_ index: Int32, level: Int, parent: Int32, parentSlot: Int, layout: Layout) {
    let i = Int(index)
    let old = self[i]
    let leaf = level == layout.leafLevel
    let n = layout.fanout[level]
    let start = count + Int(old.slotBase)
    let slots = start..<(start + Int(old.entryCount) + Int(old.pteCount))
    if leaf {
      items.replaceSubrange(slots, with: repeatElement(.pte(PTE()), count: n))
    } else {
      items.replaceSubrange(slots, with: repeatElement(.entry(-1), count: n))
    }
    self[i] = TableState(
      level: Int8(level), parent: parent, parentSlot: Int16(parentSlot), entryCount: leaf ? 0 : UInt8(n),
      pteCount: leaf ? UInt8(n) : 0, slotBase: old.slotBase)
    let shift = Int32(n - slots.count)
    guard shift != 0 else { return }
    for j in (i + 1)..<count { self[j].slotBase += shift }
  }

  // MARK: Reuse

  /// Makes `self` equal to `other` in `self`'s own storage (see ``State/load(_:parts:)``).
  mutating func overwrite(with other: PageTables) {
    items.overwrite(with: other.items)
    count = other.count
  }

  /// True when both hold the same bytes (see ``State/sameBytes(_:as:)``).
  func sameBytes(as other: PageTables) -> Bool { count == other.count && items.sameBytes(as: other.items) }

  // MARK: Decoding

  /// Empties the tables and makes room for `count` headers, which the decoder then sets in
  /// index order, appending each table's slots (``appendDecoded(entry:)``,
  /// ``appendDecoded(pte:)``) before setting its header.
  mutating func startDecoding(count: Int) {
    items.removeAll(keepingCapacity: true)
    items.append(contentsOf: repeatElement(.table(TableState()), count: count))
    self.count = count
  }

  /// Appends an entry slot after every other (decoding).
  mutating func appendDecoded(entry child: Int32) { items.append(.entry(child)) }

  /// Appends a PTE slot after every other (decoding).
  mutating func appendDecoded(pte: PTE) { items.append(.pte(pte)) }
}
