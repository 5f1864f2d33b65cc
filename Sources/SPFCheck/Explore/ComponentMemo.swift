/// A worker's decoded components, by id: the frontier states it decodes take each component
/// from here when it was decoded before, instead of decoding its bytes again.
///
/// Consecutive frontier states differ in about two thread components and one shared
/// component (spf-4: 1.87 thread decodes and 1.5 shared ones per expanded state), yet a whole
/// search meets few distinct components (568 in all at 5,000,000 states of spf-4): decoding
/// them took 16 % of one worker's instructions (callgrind, spf-4 1M states, stop 20), the
/// thread decoder alone 8.5 %. A hit copies a thread and its registers (plain data) pointer
/// to pointer, or shares a shared component's arrays, which the state then holds by
/// reference (copy on write: the expander's successor copies from them into its own storage,
/// and the frontier state is written only by its next decode).
///
/// Ids keep their meaning for the whole search (the component store only grows and never
/// renumbers), so an entry never goes stale. Each kind of component has ``capacity``
/// entries, direct-mapped on the id: a model with more components decodes those that
/// collide, as before. The kinds are apart because the store interns bytes: two kinds of
/// component that encode alike share an id.
///
/// Entries are typed arrays, not one enum of payloads: copying such an enum out of its array
/// and then into the state cost more (two `memcpy`s and a value-witness copy per hit) than
/// the decoding it replaced.
struct ComponentMemo {
  /// Entries per kind: a power of two, more than any shipped model's component count.
  static let capacity = 1024
  private static let mask = capacity - 1

  /// Per entry of each kind (shared components 0..<4, then threads), the id it holds plus
  /// one (0: empty).
  private var ids = [UInt32](repeating: 0, count: capacity * (State.sharedComponents + 1))
  private var mms = [MMState](repeating: MMState(), count: capacity)
  private var vmas = [[VMAState]](repeating: [], count: capacity)
  private var tables = [PageTables](repeating: PageTables(), count: capacity)
  private var rests = [Rest](repeating: Rest(), count: capacity)
  private var threads = [ThreadState](repeating: ThreadState(), count: capacity)
  /// Entry `i`'s registers: `registerCounts[i]` of them from `i × registerWidth`, the width
  /// being the most registers any thread has (set by the first thread held).
  private var registers: [Value] = []
  private var registerCounts = [Int32](repeating: 0, count: capacity)
  private var registerWidth = 0
  /// Replacements answered here, and those that decoded.
  private(set) var hits = 0
  private(set) var misses = 0

  /// Component 3's parts.
  struct Rest {
    var pages: [PageState] = []
    var objs: [ObjState] = []
    var callbacks: [Callback] = []
    var globals: [Value] = []
    var cells: [Value] = []
    var tree: [Int32] = []
  }

  @inline(__always)
  private static func slot(_ id: UInt32, kind k: Int) -> Int {
    min(k, State.sharedComponents) * capacity + Int(id) & mask
  }

  /// Makes component `k` of `s` component `id`, when held: true then.
  @inline(__always)
  mutating func copy(_ id: UInt32, component k: Int, into s: inout State) -> Bool {
    guard ids[Self.slot(id, kind: k)] == id &+ 1 else {
      misses += 1
      return false
    }
    hits += 1
    let i = Int(id) & Self.mask
    switch k {
    case 0: s.mm = mms[i]
    case 1: s.vmas = vmas[i]
    case 2: s.tables = tables[i]
    case 3:
      let r = rests[i]
      (s.pages, s.objs, s.callbacks, s.globals, s.cells, s.tree) = (r.pages, r.objs, r.callbacks, r.globals, r.cells, r.tree)
    default:
      let t = k - State.sharedComponents
      threads.withUnsafeBufferPointer { src in
        s.threads.withUnsafeMutableBufferPointer { dst in (dst.baseAddress! + t).update(from: src.baseAddress! + i, count: 1) }
      }
      let n = Int(registerCounts[i])
      let start = i * registerWidth
      registers.withUnsafeBufferPointer { src in
        s.regs.withMutableRegisters(of: t) { dst in
          precondition(dst.count == n, "a thread component held with another register count")
          if n > 0 { dst.baseAddress!.update(from: src.baseAddress! + start, count: n) }
        }
      }
    }
    return true
  }

  /// Holds component `k` of `s` as id `id`, in place of whatever its entry held.
  mutating func insert(_ id: UInt32, component k: Int, of s: State) {
    let i = Int(id) & Self.mask
    switch k {
    case 0: mms[i] = s.mm
    case 1: vmas[i] = s.vmas
    case 2: tables[i] = s.tables
    case 3:
      rests[i] = Rest(
        pages: s.pages, objs: s.objs, callbacks: s.callbacks, globals: s.globals, cells: s.cells, tree: s.tree)
    default:
      let t = k - State.sharedComponents
      if registerWidth == 0 {
        registerWidth = max(1, s.threads.indices.map { s.regs.range(of: $0).count }.max() ?? 0)
        registers = [Value](repeating: .none, count: Self.capacity * registerWidth)
      }
      let n = s.regs.range(of: t).count
      guard n <= registerWidth else { return }
      threads[i] = s.threads[t]
      registerCounts[i] = Int32(n)
      let start = i * registerWidth
      s.regs.withRegisters(of: t) { src in
        registers.withUnsafeMutableBufferPointer { dst in
          if n > 0 { (dst.baseAddress! + start).update(from: src.baseAddress!, count: n) }
        }
      }
    }
    ids[Self.slot(id, kind: k)] = id &+ 1
  }
}

extension State {
  /// Replaces component `k` with component `id` of `components`, from `memo` when it holds
  /// it, else decoded in place (and then added to `memo`).
  @inline(__always)
  mutating func replaceComponent(
    _ k: Int, id: UInt32, components: VisitedStore.Reader, memo: inout ComponentMemo
  ) {
    if memo.copy(id, component: k, into: &self) { return }
    var r = ByteReader(components.encoding(of: Int(id)))
    replaceComponent(k, from: &r)
    memo.insert(id, component: k, of: self)
  }
}
