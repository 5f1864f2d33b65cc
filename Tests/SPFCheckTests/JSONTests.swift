import Testing

@testable import SPFCheck

/// The JSON parser and serializer: round-trips, number kinds, strictness, error positions, stable bytes.
@Suite struct JSONTests {
  static let roundTripDocuments: [String] = [
    "null", "true", "false", "0", "-17", "3.5", "\"\"", "[]", "{}",
    #"{"b": 1, "a": [1, 2.5, true, null, "x"], "c": {"z": {}, "y": []}}"#,
    #"["quote \" backslash \\ slash / newline \n tab \t cr \r", "\u0001\u001f", "é ü 漢字", "\ud83d\ude00"]"#,
    #"[[[[1]]], {"k": [{"k": [{}]}]}]"#,
  ]

  @Test(arguments: roundTripDocuments)
  func roundTripsThroughSerialization(_ text: String) throws {
    let value = try JSONParser.parse(text)
    // Source order survives an unsorted round trip exactly.
    #expect(try JSONParser.parse(value.serialized(sortKeys: false)) == value)
    // A sorted round trip is a fixed point after one pass.
    let sorted = value.serialized()
    #expect(try JSONParser.parse(sorted).serialized() == sorted)
  }

  @Test func numbersKeepTheirKind() throws {
    #expect(try JSONParser.parse("1") == .int(1))
    #expect(try JSONParser.parse("-0") == .int(0))
    #expect(try JSONParser.parse("1.0") == .double(1.0))
    #expect(try JSONParser.parse("1e2") == .double(100))
    #expect(try JSONParser.parse("2.5E-1") == .double(0.25))
    #expect(try JSONParser.parse("true") == .bool(true))
    #expect(try JSONParser.parse("1") != .bool(true))
    #expect(try JSONParser.parse("0") != .bool(false))
    #expect(try JSONParser.parse("1") != .double(1))
    // Too large for Int: still a number, as a double.
    #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    #expect(try JSONParser.parse("9223372036854775807") == .int(Int.max))
  }

  @Test func serializationKeepsIntsAndBoolsDistinct() throws {
    let value = JSON.array([.int(1), .bool(true), .double(1.5), .int(0), .bool(false), .null])
    #expect(value.serialized() == "[1, true, 1.5, 0, false, null]")
  }

  @Test func stringsDecodeEscapes() throws {
    #expect(try JSONParser.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\né😀"))
  }

  @Test func objectsKeepSourceOrder() throws {
    guard case .object(let members) = try JSONParser.parse(#"{"z": 1, "a": 2, "m": 3}"#) else {
      Issue.record("expected an object")
      return
    }
    #expect(members.map(\.key) == ["z", "a", "m"])
  }

  @Test func duplicateKeysAreRejected() {
    #expect {
      _ = try JSONParser.parse(#"{"a": 1, "b": 2, "a": 3}"#)
    } throws: { error in
      (error as? JSONSyntaxError)?.reason.contains("duplicate key \"a\"") == true
    }
    // Nested objects are checked too; the same key in sibling objects is fine.
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(#"{"x": {"k": 1, "k": 1}}"#) }
    #expect(throws: Never.self) { try JSONParser.parse(#"[{"k": 1}, {"k": 1}]"#) }
  }

  struct SyntaxCase: Sendable, CustomTestStringConvertible {
    var text: String
    var line: Int
    var column: Int
    var reason: String
    var testDescription: String { "\(reason) in \(text.debugDescription)" }
  }

  static let syntaxCases: [SyntaxCase] = [
    SyntaxCase(text: "{\n  \"a\": tru\n}", line: 2, column: 11, reason: "invalid literal"),
    SyntaxCase(text: "[1, 2,\n]", line: 2, column: 1, reason: "unexpected character ']'"),
    SyntaxCase(text: "{\"a\": 1}\n\n  x", line: 3, column: 3, reason: "unexpected text after the JSON value"),
    SyntaxCase(text: "{\n\"a\" 1}", line: 2, column: 5, reason: "expected ':' after key"),
    SyntaxCase(text: "[\n\n  1 2]", line: 3, column: 5, reason: "expected ',' or ']' in array"),
    SyntaxCase(text: "[1.]", line: 1, column: 4, reason: "invalid number"),
    SyntaxCase(text: "{\"a\": \"x", line: 1, column: 9, reason: "unterminated string"),
    SyntaxCase(text: "{\"a\": [1,]}", line: 1, column: 10, reason: "unexpected character ']'"),
    SyntaxCase(text: "", line: 1, column: 1, reason: "unexpected end of input"),
    SyntaxCase(text: "{'a': 1}", line: 1, column: 2, reason: "expected a string key"),
    SyntaxCase(text: "[1,\n 2,\n 3", line: 3, column: 3, reason: "unexpected end of input in array"),
  ]

  @Test(arguments: syntaxCases)
  func syntaxErrorsNameLineAndColumn(_ c: SyntaxCase) {
    do {
      let value = try JSONParser.parse(c.text)
      Issue.record("parsed \(value) but expected an error")
    } catch {
      #expect(error.line == c.line)
      #expect(error.column == c.column)
      #expect(error.reason.contains(c.reason), "\(error.reason)")
      #expect(error.description.hasPrefix("line \(c.line), column \(c.column): "))
    }
  }

  @Test func serializedIsByteStableWithSortedKeys() throws {
    let a = JSON.object([("b", .int(1)), ("a", .array([.int(1), .bool(true)])), ("c", .object([("y", .null), ("x", .string("s"))]))])
    let b = JSON.object([("c", .object([("x", .string("s")), ("y", .null)])), ("a", .array([.int(1), .bool(true)])), ("b", .int(1))])
    let expected = """
      {
        "a": [1, true],
        "b": 1,
        "c": {
          "x": "s",
          "y": null
        }
      }
      """
    #expect(a.serialized() == expected)
    #expect(b.serialized() == expected)
    #expect(a.serialized() == a.serialized())
    // Parsing the bytes back and serializing again gives the same bytes.
    #expect(try JSONParser.parse(expected).serialized() == expected)
  }

  @Test func serializedEscapesControlCharacters() {
    #expect(JSON.string("a\"\\\n\r\t\u{1}").serialized() == #""a\"\\\n\r\t\u0001""#)
  }

  @Test func longAndNestedArraysBreakLines() {
    let long = JSON.array((0..<17).map { .int($0) })
    #expect(long.serialized().hasPrefix("[\n  0,\n  1,"))
    let nested = JSON.array([.array([])])
    #expect(nested.serialized() == "[\n  []\n]")
  }

  /// RFC 8259 forbids leading zeros; the parser documents itself as strict.
  @Test
  func leadingZerosAreRejected() {
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse("01") }
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse("[-007]") }
  }

  /// A high surrogate followed by a \u escape that is not a low surrogate must be a syntax error.
  /// Checked through the binary: in-process the bug is an arithmetic-overflow trap that would kill the test runner.
  @Test
  func unpairedHighSurrogateIsASyntaxError() throws {
    let dir = try TempDir()
    try dir.write(#"{"name": "x\ud83d\u0041"}"#, to: "bad.json")
    let run = try Run.spfcheck(["explore", "bad.json", "--out", "out"], cwd: dir.url)
    #expect(run.status == 65, "\(run)")
    #expect(run.stderr.contains("bad.json: invalid JSON at line 1"), "\(run)")
  }
}
