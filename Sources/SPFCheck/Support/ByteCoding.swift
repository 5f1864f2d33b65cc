/// Appends LEB128 varints to a byte buffer: the state encoding's writer.
///
/// Unsigned values are written 7 bits a byte, low bits first; signed values are
/// zig-zagged first so small negative numbers (the -1 of "none") stay one byte.
/// The buffer is raw memory owned by one `WriterStorage`, reused across states, so
/// encoding a successor neither allocates nor pays Array's uniqueness checks.
struct ByteWriter {
  private let storage: WriterStorage
  private var base: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int = 1024) {
    storage = WriterStorage(capacity: capacity)
    base = storage.base
    self.capacity = capacity
  }

  /// Empties the buffer, keeping its storage.
  mutating func reset() { count = 0 }

  /// The bytes written so far (valid until the next write).
  var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// The bytes written so far, copied.
  var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

  private mutating func grow() {
    storage.grow(to: capacity * 2)
    base = storage.base
    capacity *= 2
  }

  @inline(__always)
  mutating func byte(_ b: UInt8) {
    if count == capacity { grow() }
    base[count] = b
    count += 1
  }

  @inline(__always)
  mutating func unsigned<T: UnsignedInteger & FixedWidthInteger>(_ value: T) {
    if count + 10 > capacity { grow() }
    var v = UInt64(value)
    while v >= 0x80 {
      base[count] = UInt8(truncatingIfNeeded: v) | 0x80
      count += 1
      v >>= 7
    }
    base[count] = UInt8(v)
    count += 1
  }

  @inline(__always)
  mutating func signed<T: SignedInteger & FixedWidthInteger>(_ value: T) {
    let v = Int64(value)
    unsigned(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
  }

  @inline(__always)
  mutating func count(_ n: Int) { unsigned(UInt64(n)) }

  /// Makes room for `maxBytes` more bytes once, then lets `body` append at most that many
  /// through a ``ByteCursor`` that checks no capacity (one check for a run of fields).
  ///
  /// - Precondition: `body` writes at most `maxBytes` bytes.
  @inline(__always)
  mutating func withCursor(reserving maxBytes: Int, _ body: (inout ByteCursor) -> Void) {
    while count + maxBytes > capacity { grow() }
    var cursor = ByteCursor(next: base + count)
    body(&cursor)
    let written = cursor.next - (base + count)
    precondition(written <= maxBytes, "ByteWriter.withCursor wrote past its reservation")
    count += written
  }
}

/// Writes varints into room a ``ByteWriter`` reserved (``ByteWriter/withCursor(reserving:_:)``),
/// the same bytes as the writer's own methods but with no capacity check per field.
struct ByteCursor {
  /// Where the next byte goes.
  fileprivate(set) var next: UnsafeMutablePointer<UInt8>

  @inline(__always)
  mutating func byte(_ b: UInt8) {
    next.pointee = b
    next += 1
  }

  @inline(__always)
  mutating func unsigned<T: UnsignedInteger & FixedWidthInteger>(_ value: T) {
    var v = UInt64(value)
    while v >= 0x80 {
      next.pointee = UInt8(truncatingIfNeeded: v) | 0x80
      next += 1
      v >>= 7
    }
    next.pointee = UInt8(v)
    next += 1
  }

  @inline(__always)
  mutating func signed<T: SignedInteger & FixedWidthInteger>(_ value: T) {
    let v = Int64(value)
    unsigned(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
  }

  @inline(__always)
  mutating func count(_ n: Int) { unsigned(UInt64(n)) }

  /// Appends eight bytes, low byte first, with one store.
  @inline(__always)
  mutating func word(_ bytes: UInt64) {
    UnsafeMutableRawPointer(next).storeBytes(of: bytes.littleEndian, as: UInt64.self)
    next += 8
  }

  /// Appends two bytes, `bytes & 0xff` then `bytes >> 8`, with one store.
  @inline(__always)
  mutating func pair(_ bytes: UInt16) {
    UnsafeMutableRawPointer(next).storeBytes(of: bytes.littleEndian, as: UInt16.self)
    next += 2
  }
}

/// The memory behind one ``ByteWriter``.
final class WriterStorage {
  private(set) var base: UnsafeMutablePointer<UInt8>
  private var capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
  }

  func grow(to newCapacity: Int) {
    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    bigger.update(from: base, count: capacity)
    base.deallocate()
    base = bigger
    capacity = newCapacity
  }

  deinit { base.deallocate() }
}

/// Reads what a ``ByteWriter`` wrote. The input is trusted (the explorer's own
/// encodings), so reading past the end is a programming error. The offset moves by
/// wrapping additions: it stays within the encoding, so it cannot overflow, and the
/// overflow checks were a compare and branch on every field of the decoder's loops.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  var offset = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  @inline(__always)
  mutating func byte() -> UInt8 {
    let b = bytes[offset]
    offset &+= 1
    return b
  }

  @inline(__always)
  mutating func unsigned<T: UnsignedInteger & FixedWidthInteger>() -> T {
    let first = bytes[offset]
    if first < 0x80 {  // most fields are one byte
      offset &+= 1
      return T(first)
    }
    var v: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = bytes[offset]
      offset &+= 1
      v |= UInt64(b & 0x7f) << shift
      if b < 0x80 { break }
      shift &+= 7
    }
    return T(truncatingIfNeeded: v)
  }

  @inline(__always)
  mutating func signed<T: SignedInteger & FixedWidthInteger>() -> T {
    let u: UInt64 = unsigned()
    return T(truncatingIfNeeded: Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))))
  }

  @inline(__always)
  mutating func count() -> Int { Int(unsigned() as UInt64) }

  /// The next two bytes as `first | second << 8`, without moving past them.
  ///
  /// - Precondition: two bytes remain.
  @inline(__always)
  func pair() -> UInt16 {
    UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
  }

  /// The next eight bytes, the first in the low byte, without moving past them.
  ///
  /// - Precondition: eight bytes remain.
  @inline(__always)
  func word() -> UInt64 {
    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }

  /// Moves past `n` bytes.
  @inline(__always)
  mutating func skip(_ n: Int) { offset &+= n }
}
