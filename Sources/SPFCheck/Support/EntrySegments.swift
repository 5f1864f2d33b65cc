#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Entries of one fixed size, appended in order and never moved: the exact state store's
/// encodings (each state's vector of component ids), which are also the explorer's frontiers.
///
/// The entries live in segments of ``perSegment`` entries each, allocated as they fill, and a
/// table of the segments' addresses, allocated once for the most entries a store can number
/// (2³², the ids its slots keep). Entry `id` is at `table[id >> 16] + (id & 0xFFFF) × size`:
/// one more load than a contiguous arena, from a table small enough to stay cached.
///
/// Because an appended entry never moves, a ``View`` taken before an append still reads every
/// entry it could read before, while the store appends. The explorer reads a level's
/// frontier, the entries the previous level stored, through one while the merge stores the
/// next level, instead of copying the frontier out of a contiguous arena that moves when it
/// grows. That copy wrote the level's vectors a second time to fresh pages: 35 % of the page
/// faults of `spf-4` at 5 M states (performance.md, "Stop 22").
///
/// Held by reference: callers that share the segments copy them before appending (``copy()``,
/// with `isKnownUniquelyReferenced`); a ``View`` does not count as a reference.
final class EntrySegments: @unchecked Sendable {
  /// log₂ of ``perSegment``.
  static let segmentShift = 16
  /// Entries per segment.
  static let perSegment = 1 << segmentShift
  /// Segments the table has room for: with ``perSegment`` entries each, 2³² entries.
  static let maxSegments = 1 << 16

  /// Bytes per entry.
  let entryBytes: Int
  /// Entries held.
  private(set) var count = 0
  /// The segments' addresses; nil past the last allocated. From `calloc`: pages of the table
  /// no segment has reached are never touched.
  private let table: UnsafeMutablePointer<UnsafeMutableRawPointer?>

  init(entryBytes: Int) {
    precondition(entryBytes > 0, "entries of no size")
    self.entryBytes = entryBytes
    guard let raw = calloc(Self.maxSegments, MemoryLayout<UnsafeMutableRawPointer?>.stride) else {
      fatalError("out of memory: a table of \(Self.maxSegments) segments")
    }
    table = raw.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: Self.maxSegments)
  }

  deinit {
    for k in 0..<segments { free(table[k]) }
    free(table)
  }

  /// Segments allocated.
  private var segments: Int { (count + Self.perSegment - 1) >> Self.segmentShift }

  /// Appends an entry: the `entryBytes` bytes at `bytes`.
  @inline(__always)
  func append(_ bytes: UnsafeRawPointer) {
    if count & (Self.perSegment - 1) == 0 { addSegment() }
    (table[count >> Self.segmentShift].unsafelyUnwrapped + (count & (Self.perSegment - 1)) * entryBytes)
      .copyMemory(from: bytes, byteCount: entryBytes)
    count += 1
  }

  @inline(never)
  private func addSegment() {
    let k = count >> Self.segmentShift
    precondition(k < Self.maxSegments, "more than 2^32 entries")
    guard let segment = malloc(Self.perSegment * entryBytes) else {
      fatalError("out of memory: a segment of \(Self.perSegment * entryBytes) bytes")
    }
    table[k] = segment
  }

  /// Segments holding the same entries.
  func copy() -> EntrySegments {
    let copy = EntrySegments(entryBytes: entryBytes)
    for id in 0..<count { copy.append(view.entry(id)) }
    return copy
  }

  /// A view of the entries, valid while this object lives, whatever is appended meanwhile.
  var view: View { View(table: UnsafePointer(table), entryBytes: entryBytes) }

  /// Reads entries by id through the segment table, without holding the segments.
  struct View: @unchecked Sendable {
    /// nil only in ``empty``.
    fileprivate let table: UnsafePointer<UnsafeMutableRawPointer?>?
    let entryBytes: Int

    /// A view of no entry (for stores whose entries are kept elsewhere).
    static let empty = View(table: nil, entryBytes: 0)

    /// Where entry `id` begins (`id` must be held).
    @inline(__always)
    func entry(_ id: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(
        table.unsafelyUnwrapped[id >> EntrySegments.segmentShift].unsafelyUnwrapped + (id & (EntrySegments.perSegment - 1)) * entryBytes)
    }
  }
}
