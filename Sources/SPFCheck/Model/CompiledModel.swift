/// The address-space geometry: entries per table from the root down.
///
/// Plain data: the fanouts and the spans derived from them are stored inline and computed
/// once, so `slot(_:level:)`, called at every step of every walk, is two loads and two
/// divisions, and copying a layout out of the compiled model retains nothing.
struct Layout: Hashable, Sendable {
  /// The most levels a layout has (the loader accepts 2 to 5, pgd to pte).
  static let maxLevels = 5

  /// Entries per table at each level; the last level holds PTEs.
  let fanout: InlineList<5, Int>
  /// Number of addresses one entry of a table at each level covers: the product of the
  /// fanouts below that level.
  private let entrySpans: InlineList<5, Int>
  /// Number of page-granular addresses.
  let size: Int

  /// The layout with `fanout[k]` entries per level-`k` table.
  ///
  /// - Precondition: 1 to ``maxLevels`` levels (the loader checks the model's list first).
  init(fanout: [Int]) {
    precondition((1...Self.maxLevels).contains(fanout.count), "a layout has 1 to \(Self.maxLevels) levels")
    self.fanout = InlineList(fanout)
    var spans = [Int](repeating: 1, count: fanout.count)
    for level in fanout.indices.dropLast().reversed() { spans[level] = spans[level + 1] * fanout[level + 1] }
    entrySpans = InlineList(spans)
    size = spans[0] * fanout[0]
  }

  /// Number of levels including the root (level 0) and the leaf level.
  var levels: Int { fanout.count }
  /// The leaf (PTE table) level.
  var leafLevel: Int { fanout.count - 1 }

  /// Number of addresses one entry of a level-`level` table covers.
  func span(ofEntryAt level: Int) -> Int { entrySpans[level] }
  /// Number of addresses a whole table at `level` covers.
  func span(ofTableAt level: Int) -> Int { entrySpans[level] * fanout[level] }
  /// Index of the entry for `addr` in a table at `level`.
  func slot(_ addr: Int, level: Int) -> Int { (addr / entrySpans[level]) % fanout[level] }
  /// First address covered by the table at `level` that covers `addr`.
  func base(_ addr: Int, level: Int) -> Int { addr - addr % span(ofTableAt: level) }
}

/// What a model expects `explore` to find.
struct Expectation: Hashable, Sendable {
  enum Verdict: String, Hashable, Sendable {
    case verified, violation
  }
  var verdict: Verdict
  /// Kinds that must be found.
  var violations: [String]
  /// Extra kinds tolerated.
  var allowed: [String]
}

/// Model-wide options.
struct ModelOptions: Hashable, Sendable {
  var pageTableFree = FreeMode.immediate
  /// How many times `end restart` may re-run a thread's program.
  var retryLimit = 2
  /// Writer-preferring rwsem (a reader blocks behind a waiting writer), as Linux.
  var writerPreferring = true
  /// Allocation classes whose allocations may fail (each failure is an explored branch).
  var allocFailure: Set<GFP.Base> = []
}

/// One thread of the compiled model.
struct ThreadProgram: Sendable {
  var name: String
  /// The program the thread runs (its entry point name).
  var program: String
  let code: [Instr]
  /// Per pc, ``Instr/mayBlock`` of `code[pc]`, so that ``Executor/isEnabled(_:_:)`` skips
  /// reading (and copying) the instruction of the many ops that never block.
  let mayBlock: [Bool]
  var sites: [SourceSite]
  var registerNames: [String]
  /// Threads declared together with `count: N` share a group; -1 when alone.
  var symmetryGroup: Int

  init(name: String, program: String, code: [Instr], sites: [SourceSite], registerNames: [String], symmetryGroup: Int) {
    self.name = name
    self.program = program
    self.code = code
    mayBlock = code.map(\.mayBlock)
    self.sites = sites
    self.registerNames = registerNames
    self.symmetryGroup = symmetryGroup
  }
}

/// An immutable compiled model: initial state, thread programs, options.
///
/// Shared read-only by the explorer and by replay.
public final class CompiledModel: Sendable {
  let name: String
  let description: String
  let file: String
  /// SHA-256 of the model file and every included file, in include order.
  let contentHash: String
  let layout: Layout
  let options: ModelOptions
  let threads: [ThreadProgram]
  let initial: State
  let expect: Expectation?
  let symbols: [String]
  let objectKinds: [String]
  let cellNames: [String]
  let cellProtection: [Int]
  let globalNames: [String]
  let spinlockNames: [String]
  let vmaNames: [String]
  let objectNames: [String]

  init(
    name: String, description: String, file: String, contentHash: String, layout: Layout,
    options: ModelOptions, threads: [ThreadProgram], initial: State, expect: Expectation?,
    symbols: [String], objectKinds: [String], cellNames: [String], cellProtection: [Int],
    globalNames: [String], spinlockNames: [String], vmaNames: [String], objectNames: [String]
  ) {
    self.name = name
    self.description = description
    self.file = file
    self.contentHash = contentHash
    self.layout = layout
    self.options = options
    self.threads = threads
    self.initial = initial
    self.expect = expect
    self.symbols = symbols
    self.objectKinds = objectKinds
    self.cellNames = cellNames
    self.cellProtection = cellProtection
    self.globalNames = globalNames
    self.spinlockNames = spinlockNames
    self.vmaNames = vmaNames
    self.objectNames = objectNames
  }

  /// Index of the built-in `page_table_lock` spinlock.
  static let pageTableLock = 0
  /// Cell protection value meaning "RCU".
  static let protectedByRCU = -1
  /// Cell protection value meaning "the mmap_lock".
  static let protectedByMmap = -2
}

extension CompiledModel {
  /// A copy that shares no array or set storage with `self`.
  ///
  /// Each `--jobs` worker steps through its own replica: reading shared storage from two
  /// cores makes both bounce the storage's reference count between their caches.
  func replica() -> CompiledModel {
    func fresh<T>(_ a: [T]) -> [T] { a.map { $0 } }
    let threads = self.threads.map {
      ThreadProgram(
        name: $0.name, program: $0.program, code: fresh($0.code), sites: fresh($0.sites),
        registerNames: fresh($0.registerNames), symmetryGroup: $0.symmetryGroup)
    }
    var options = self.options
    options.allocFailure = Set(fresh(Array(self.options.allocFailure)))
    return CompiledModel(
      name: name, description: description, file: file, contentHash: contentHash,
      layout: layout, options: options, threads: threads, initial: initial,
      expect: expect, symbols: fresh(symbols), objectKinds: fresh(objectKinds), cellNames: fresh(cellNames),
      cellProtection: fresh(cellProtection), globalNames: fresh(globalNames), spinlockNames: fresh(spinlockNames),
      vmaNames: fresh(vmaNames), objectNames: fresh(objectNames))
  }
}
