/// The compact byte encoding of a ``State`` kept by the visited store.
///
/// Every field is written as a LEB128 varint (signed fields zig-zagged), arrays with their
/// length first, so a state of the shipped models takes 100–300 bytes instead of the
/// several kilobytes of nested Swift arrays. The encoding is canonical: two states are equal
/// exactly when their encodings are byte-for-byte equal, which is what lets the store
/// compare with `memcmp` and hash the bytes (see `StateHash`).
///
/// Adding a stored field to any state struct means adding it to both `encode` and
/// `init(decoding:)`; `StateEncodingTests` round-trips every reachable state of the
/// corpus, so a field forgotten on one side fails there.
extension State {
  /// Components stored separately (SPIN's COLLAPSE compression): the mm, the VMAs, the page
  /// tables, the rest of the shared state, then one component per thread. A successor
  /// usually changes two or three of them; the others keep the parent's component ids.
  static let sharedComponents = 4

  /// Number of components of a state with `threads` threads.
  static func componentCount(threads: Int) -> Int { sharedComponents + threads }

  /// Appends the encoding of component `k` to `w`.
  func encodeComponent(_ k: Int, into w: inout ByteWriter) {
    switch k {
    case 0: encodeMM(into: &w)
    case 1: encodeVMAs(into: &w)
    case 2: encodeTables(into: &w)
    case 3: encodeRest(into: &w)
    default: encodeThread(k - Self.sharedComponents, into: &w)
    }
  }

  /// Replaces component `k` with the one `r` holds (threads are decoded in order).
  mutating func decodeComponent(_ k: Int, from r: inout ByteReader) {
    switch k {
    case 0: decodeMM(from: &r)
    case 1: decodeVMAs(from: &r)
    case 2: decodeTables(from: &r)
    case 3: decodeRest(from: &r)
    default:
      var registers: [Value] = []
      threads.append(ThreadState(decoding: &r, registers: &registers))
      regs.append(thread: registers)
    }
  }

  /// Replaces component `k`, which `self` already has, with the one `r` holds.
  mutating func replaceComponent(_ k: Int, from r: inout ByteReader) {
    if k < Self.sharedComponents {
      decodeComponent(k, from: &r)
    } else {
      let t = k - Self.sharedComponents
      // The registers are moved out and back (not copied, so they stay unshared): the two
      // arrays are observed properties (``written``), so one call may not write both.
      var registers = Registers()
      swap(&registers, &regs)
      registers.withMutableRegisters(of: t) { buffer in
        var buffer = buffer
        threads[t].decode(from: &r, registers: &buffer)
      }
      swap(&registers, &regs)
    }
  }

  /// True when component `k` of `self` equals that of `other`. Cheap for untouched
  /// components: equal arrays that share storage compare in O(1) (a thread's registers,
  /// a slice of ``State/regs``, compare one by one).
  func sameComponent(_ k: Int, as other: State) -> Bool {
    switch k {
    case 0: return mm == other.mm
    case 1: return vmas == other.vmas
    case 2: return tables == other.tables
    case 3:
      return pages == other.pages && objs == other.objs && callbacks == other.callbacks && globals == other.globals
        && cells == other.cells && tree == other.tree
    default:
      let t = k - Self.sharedComponents
      return threads[t] == other.threads[t] && regs.of(t) == other.regs.of(t)
    }
  }

  /// Appends the encoding of `self` to `w`: the thread count, then every component.
  func encode(into w: inout ByteWriter) {
    w.count(threads.count)
    for k in 0..<Self.componentCount(threads: threads.count) { encodeComponent(k, into: &w) }
  }

  /// Decodes a state written by ``encode(into:)``.
  init(decoding r: inout ByteReader) {
    self.init()
    let n = r.count()
    for k in 0..<Self.componentCount(threads: n) { decodeComponent(k, from: &r) }
  }

  // The shared components are written through one ``ByteCursor`` each: one capacity check
  // for the component instead of one per field (and the writer's count loaded and stored per
  // field). Each reservation counts ten bytes, the longest varint, for every varint field.

  /// The most bytes a varint takes (a 64-bit value, seven bits a byte).
  private static let maxVarint = 10

  private func encodeMM(into w: inout ByteWriter) {
    w.withCursor(reserving: (8 + mm.spinOwner.count) * Self.maxVarint) { c in
      c.unsigned(mm.mmapReaders)
      c.signed(mm.mmapWriter)
      c.unsigned(mm.writersWaiting)
      c.signed(mm.seq)
      c.count(mm.spinOwner.count)
      for i in mm.spinOwner.indices { c.signed(mm.spinOwner[i]) }
      c.signed(mm.freePages)
      c.signed(mm.reservePages)
    }
  }

  private func encodeVMAs(into w: inout ByteWriter) {
    // Per VMA: twelve varint fields (three of them references) and two bytes.
    w.withCursor(reserving: Self.maxVarint + vmas.count * (12 * Self.maxVarint + 2)) { c in
      c.count(vmas.count)
      for i in vmas.indices {
        let v = vmas[i]
        c.signed(v.start)
        c.signed(v.end)
        c.byte(v.prot.bits | (v.anon ? 0x10 : 0) | (v.attached ? 0x20 : 0) | (v.inTree ? 0x40 : 0)
          | (v.excluding ? 0x80 : 0))
        c.signed(v.lineage)
        c.ref(v.anonVma)
        c.ref(v.policy)
        c.ref(v.file)
        c.byte(v.life.rawValue)
        c.signed(v.lockSeq)
        c.signed(v.readers)
        c.signed(v.seq)
        c.signed(v.bracketOwner)
        c.signed(v.refcount)
        c.unsigned(v.rcuReaders)
      }
    }
  }

  private func encodeTables(into w: inout ByteWriter) {
    // Per table: seven varint fields and a byte; per slot at most a flags byte and four
    // varints (a PTE; an entry is one varint).
    let bound = Self.maxVarint + tables.count * (7 * Self.maxVarint + 1) + tables.slotCount * (4 * Self.maxVarint + 1)
    w.withCursor(reserving: bound) { c in
      c.count(tables.count)
      for i in tables.indices {
        let t = tables[i]
        c.signed(t.level)
        c.signed(t.parent)
        c.signed(t.parentSlot)
        c.count(Int(t.entryCount))
        for slot in 0..<Int(t.entryCount) { c.signed(tables.entry(in: t, slot)) }
        c.count(Int(t.pteCount))
        for slot in 0..<Int(t.pteCount) {
          let p = tables.pte(in: t, slot)
          c.byte(p.prot.bits | (p.present ? 0x80 : 0))
          c.signed(p.page)
          c.signed(p.lineage)
          c.signed(p.committer)
          c.signed(p.commitPC)
        }
        c.byte(t.life.rawValue)
        c.signed(t.ptlOwner)
        c.unsigned(t.rcuReaders)
      }
    }
  }

  private func encodeRest(into w: inout ByteWriter) {
    // Six counts; per page and per object three varints and a byte; one varint per callback
    // and tree node; a value per global and cell.
    let bound =
      6 * Self.maxVarint + (pages.count + objs.count) * (3 * Self.maxVarint + 1)
      + (callbacks.count + tree.count) * Self.maxVarint + (globals.count + cells.count) * Value.maxEncodedCount
    w.withCursor(reserving: bound) { c in
      c.count(pages.count)
      for i in pages.indices {
        let p = pages[i]
        c.byte(p.life.rawValue)
        c.signed(p.mapcount)
        c.signed(p.cachedAt)
        c.unsigned(p.rcuReaders)
      }

      c.count(objs.count)
      for i in objs.indices {
        let o = objs[i]
        c.signed(o.kind)
        c.byte(o.life.rawValue | (o.isStatic ? 0x80 : 0))
        c.signed(o.refcount)
        c.unsigned(o.rcuReaders)
      }

      c.count(callbacks.count)
      for i in callbacks.indices { c.ref(callbacks[i].ref) }
      c.count(globals.count)
      for i in globals.indices { c.value(globals[i]) }
      c.count(cells.count)
      for i in cells.indices { c.value(cells[i]) }
      c.count(tree.count)
      for i in tree.indices { c.signed(tree[i]) }
    }
  }

  private mutating func decodeMM(from r: inout ByteReader) {
    mm.mmapReaders = r.unsigned()
    mm.mmapWriter = r.signed()
    mm.writersWaiting = r.unsigned()
    mm.seq = r.signed()
    mm.spinOwner.removeAll()
    for _ in 0..<r.count() { mm.spinOwner.append(r.signed()) }
    mm.freePages = r.signed()
    mm.reservePages = r.signed()
  }

  private mutating func decodeVMAs(from r: inout ByteReader) {
    vmas.overwrite(count: r.count()) {
      let start: Int32 = r.signed()
      let end: Int32 = r.signed()
      let flags = r.byte()
      var v = VMAState(
        start: start, end: end, prot: Prot(bits: flags & 7), anon: flags & 0x10 != 0, lineage: r.signed(),
        anonVma: r.ref(), policy: r.ref(), file: r.ref())
      v.attached = flags & 0x20 != 0
      v.inTree = flags & 0x40 != 0
      v.excluding = flags & 0x80 != 0
      v.life = Life(rawValue: r.byte())!
      v.lockSeq = r.signed()
      v.readers = r.signed()
      v.seq = r.signed()
      v.bracketOwner = r.signed()
      v.refcount = r.signed()
      v.rcuReaders = r.unsigned()
      return v
    }
  }

  /// Decodes the tables, laying their slots out table by table (``PageTables``).
  private mutating func decodeTables(from r: inout ByteReader) {
    let n = r.count()
    tables.startDecoding(count: n)
    for i in 0..<n {
      var t = TableState()
      t.level = r.signed()
      t.parent = r.signed()
      t.parentSlot = r.signed()
      t.slotBase = Int32(tables.slotCount)
      t.entryCount = UInt8(r.count())
      for _ in 0..<t.entryCount { tables.appendDecoded(entry: r.signed()) }
      t.pteCount = UInt8(r.count())
      for _ in 0..<t.pteCount {
        let flags = r.byte()
        tables.appendDecoded(
          pte: PTE(
            present: flags & 0x80 != 0, prot: Prot(bits: flags & 0x7f), page: r.signed(), lineage: r.signed(),
            committer: r.signed(), commitPC: r.signed()))
      }
      t.life = Life(rawValue: r.byte())!
      t.ptlOwner = r.signed()
      t.rcuReaders = r.unsigned()
      tables[i] = t
    }
  }

  private mutating func decodeRest(from r: inout ByteReader) {
    pages.overwrite(count: r.count()) {
      PageState(life: Life(rawValue: r.byte())!, mapcount: r.signed(), cachedAt: r.signed(), rcuReaders: r.unsigned())
    }

    objs.overwrite(count: r.count()) {
      let kind: Int32 = r.signed()
      let flags = r.byte()
      return ObjState(
        kind: kind, life: Life(rawValue: flags & 0x7f)!, refcount: r.signed(), isStatic: flags & 0x80 != 0,
        rcuReaders: r.unsigned())
    }

    callbacks.overwrite(count: r.count()) { Callback(ref: r.ref()!) }
    globals.overwrite(count: r.count()) { r.value() }
    cells.overwrite(count: r.count()) { r.value() }
    tree.overwrite(count: r.count()) { r.signed() }
  }

  /// The encoding of `self` as a fresh array (tests and one-off uses; the explorer
  /// reuses one writer).
  var encoded: [UInt8] {
    var w = ByteWriter()
    encode(into: &w)
    return w.bytes
  }
}

extension State {
  /// Appends the encoding of thread `t` with its registers (also used to order symmetric
  /// threads).
  func encodeThread(_ t: Int, into w: inout ByteWriter) {
    regs.withRegisters(of: t) { threads[t].encode(into: &w, registers: $0) }
  }
}

extension ThreadState {
  /// The most bytes ``encode(into:registers:)`` writes besides the registers themselves: the
  /// pc (5), flags (1), register count (10), wait (1 + 5), RCU depth (2), section (5), irq
  /// depth (2), held spinlocks (5), each list's count (1) and at most 8 VMA read locks (5
  /// each), 8 pins (5 each: a 31-bit index and a 3-bit kind) and 4 ptl holds (10 each), and the
  /// retry count (2).
  static let maxEncodedCountWithoutRegisters = 5 + 1 + 10 + 6 + 2 + 5 + 2 + 5 + (1 + 8 * 5) + (1 + 8 * 5) + (1 + 4 * 10) + 2

  /// Appends the encoding of one thread whose registers are `values`, through one
  /// ``ByteCursor`` (one capacity check for the whole thread instead of one per field).
  func encode(into w: inout ByteWriter, registers values: UnsafeBufferPointer<Value>) {
    w.withCursor(reserving: Self.maxEncodedCountWithoutRegisters + values.count * Value.maxEncodedCount) { c in
      c.signed(pc)
      c.byte(outcome.rawValue | (mmap.rawValue << 4))
      c.count(values.count)
      c.values(values)
      switch wait {
      case .none: c.byte(0)
      case .rcu(let mask): c.byte(1); c.unsigned(mask)
      case .mmapWrite: c.byte(2)
      case .vmaDrain(let v): c.byte(3); c.signed(v)
      }
      // A thread outside any lock, irq-off region and retry, with a section below 64 (most
      // threads encoded), ends in these eight bytes: 0, the section zig-zagged, six zeros.
      if rcuDepth == 0 && irqOff == 0 && spinHeld == 0 && retries == 0 && vmaReadLocks.isEmpty && pins.isEmpty
        && ptl.isEmpty && section >= 0 && section < 64
      {
        c.word(UInt64(section) << 9)
      } else {
        c.signed(rcuDepth)
        c.signed(section)
        c.signed(irqOff)
        c.unsigned(spinHeld)
        // Iterating a list copies it out first (up to 65 bytes); almost every thread holds
        // none of these locks, and an empty list is just its zero count.
        c.count(vmaReadLocks.count)
        if !vmaReadLocks.isEmpty {
          for v in vmaReadLocks { c.signed(v) }
        }
        c.count(pins.count)
        if !pins.isEmpty {
          for p in pins { c.unsigned(p.encoded) }
        }
        c.count(ptl.count)
        if !ptl.isEmpty {
          for h in ptl {
            c.signed(h.addr)
            c.signed(h.table)
          }
        }
        c.signed(retries)
      }
    }
  }

  /// Decodes one thread, and its registers into `registers` (empty).
  init(decoding r: inout ByteReader, registers: inout [Value]) {
    self.init()
    decode(from: &r, registers: &registers)
  }

  /// Replaces `self` and `registers` with the thread `reader` holds, in place: the frontier
  /// state's thread is overwritten where it lies in its array (no 170-byte temporary copied
  /// in), and a lock list that is empty and stays empty, as almost all are, is not touched.
  mutating func decode<Sink: RegisterSink>(from reader: inout ByteReader, registers: inout Sink) {
    // A local reader keeps the offset in a register instead of storing it after every field.
    var r = reader
    defer { reader = r }
    pc = r.signed()
    let flags = r.byte()
    outcome = Outcome(rawValue: flags & 0xf)!
    mmap = MmapHold(rawValue: flags >> 4)!
    registers.take(r.count(), from: &r)
    switch r.byte() {
    case 0: wait = .none
    case 1: wait = .rcu(r.unsigned())
    case 2: wait = .mmapWrite
    default: wait = .vmaDrain(r.signed())
    }
    // The eight-byte tail of a thread outside any lock (see ``encode(into:registers:)``), from
    // one load: the tail takes at least eight bytes, one per field, so the load stays inside.
    let tail = r.word()
    if tail & ~0x7f00 == 0 {
      r.skip(8)
      let zigzag = Int32(truncatingIfNeeded: tail >> 8)
      rcuDepth = 0
      section = (zigzag >> 1) ^ (0 &- (zigzag & 1))
      irqOff = 0
      spinHeld = 0
      vmaReadLocks.removeAll()
      pins.removeAll()
      ptl.removeAll()
      retries = 0
      return
    }
    rcuDepth = r.signed()
    section = r.signed()
    irqOff = r.signed()
    spinHeld = r.unsigned()
    vmaReadLocks.overwrite(count: r.count()) { r.signed() }
    pins.overwrite(count: r.count()) { r.ref()! }
    ptl.overwrite(count: r.count()) { PTLHold(addr: r.signed(), table: r.signed()) }
    retries = r.signed()
  }
}

/// Where ``ThreadState/decode(from:registers:)`` puts a thread's registers.
protocol RegisterSink {
  /// Takes the `n` registers `r` holds next.
  mutating func take(_ n: Int, from r: inout ByteReader)
}

extension Array: RegisterSink where Element == Value {
  /// Appends them to an empty array (a thread decoded afresh; ``State/regs`` then takes them).
  mutating func take(_ n: Int, from r: inout ByteReader) {
    precondition(isEmpty, "a thread's registers are decoded into an empty array")
    for _ in 0..<n { append(r.value()) }
  }
}

extension UnsafeMutableBufferPointer: RegisterSink where Element == Value {
  /// Overwrites them in place, without comparing first: the frontier state decoded into
  /// owns its registers (``Registers/withMutableRegisters(of:_:)``), so writing neither copies
  /// nor changes storage its successors share.
  @inline(__always)
  func take(_ n: Int, from r: inout ByteReader) {
    precondition(count == n, "a thread's register count is fixed")
    r.values(into: self)
  }
}

extension InlineList {
  /// Replaces the elements with `n` made by `element`, in order; nothing to do for a list
  /// that is empty and stays so. Removing restores the fillers of the freed slots, so the
  /// result is the list decoded into a fresh one.
  @inline(__always)
  fileprivate mutating func overwrite(count n: Int, with element: () -> Element) {
    guard n > 0 || !isEmpty else { return }
    removeAll()
    for _ in 0..<n { append(element()) }
  }
}

extension Array {
  /// Replaces the elements with `n` made by `element`, in order: over the existing storage
  /// when the array already holds `n` elements, else in a new array.
  ///
  /// A frontier state is decoded over its predecessor, whose arrays it owns and which mostly
  /// have the same lengths, so this saves an allocation and a free per decoded array (or
  /// copies, as any write would, when the storage is shared). Not `removeAll(keepingCapacity:)`
  /// and `append`, which go through a slower generic path.
  @inline(__always)
  fileprivate mutating func overwrite(count n: Int, with element: () -> Element) {
    guard count == n else {
      self = (0..<n).map { _ in element() }
      return
    }
    guard n > 0 else { return }
    withUnsafeMutableBufferPointer { buffer in
      for i in 0..<n { buffer[i] = element() }
    }
  }
}

extension Ref {
  /// The varint written for this reference: kind and index packed, plus one (0 is nil).
  var encoded: UInt64 {
    @inline(__always) get { UInt64(PackedRef(self).raw) }
  }
}

extension ByteCursor {
  /// An optional object reference: 0 for nil, else ``Ref/encoded``.
  @inline(__always)
  mutating func ref(_ r: Ref?) {
    guard let r else { return byte(0) }
    unsigned(r.encoded)
  }
}

extension ByteReader {
  mutating func ref() -> Ref? {
    let raw: UInt64 = unsigned()
    guard raw != 0 else { return nil }
    return Ref(kind: ObjKind(rawValue: UInt8((raw - 1) & 7))!, index: Int32(truncatingIfNeeded: (raw - 1) >> 3))
  }
}
