import Foundation
import Testing

@testable import SPFCheck

/// Malformed models: every load error names the file and the JSON path of the offending value.
@Suite struct ModelErrorTests {
  /// A model with one thread `T` running program `p`, plus optional extra top-level members.
  static func model(program: String, extra: String = "", threads: String = #"[{ "name": "T", "program": "p" }]"#) -> String {
    """
    {
      "format": "spfcheck-model/1",
      "name": "bad",
      "layout": { "fanout": [2, 2, 2] },
      "vmas": [{ "name": "A", "start": 0, "end": 4 }],
      \(extra)
      "programs": { "p": \(program) },
      "threads": \(threads)
    }
    """
  }

  /// Writes `json` to a fresh temp file and returns the load error, recording an issue when it loads.
  static func loadError(_ json: String, file: String = "bad.json", in dir: TempDir? = nil) throws -> (path: String, error: ModelError)? {
    let folder = try dir ?? TempDir()
    let url = try folder.write(json, to: file)
    do {
      _ = try ModelLoader.load(path: url.path)
      Issue.record("the model loaded but an error was expected")
      return nil
    } catch {
      return (url.path, error)
    }
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var json: String
    var path: String
    var message: String
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "unknown op", json: model(program: #"[{ "op": "nop" }, { "op": "frobnicate" }, { "op": "end" }]"#),
         path: "programs.p[1].op", message: "unknown op \"frobnicate\""),
    Case(name: "field of another op", json: model(program: #"[{ "op": "nop", "addr": 1 }, { "op": "end" }]"#),
         path: "programs.p[0].addr", message: "op \"nop\" takes no \"addr\""),
    Case(name: "unknown field", json: model(program: #"[{ "op": "end", "colour": "red" }]"#),
         path: "programs.p[0].colour", message: "unknown key \"colour\" in an op"),
    Case(name: "missing op", json: model(program: #"[{ "label": "x" }, { "op": "end" }]"#),
         path: "programs.p[0]", message: "missing \"op\""),
    Case(name: "missing field", json: model(program: #"[{ "op": "vma_lookup", "into": "v" }, { "op": "end" }]"#),
         path: "programs.p[0]", message: "op \"vma_lookup\" needs \"addr\""),
    Case(name: "missing label", json: model(program: #"[{ "op": "nop" }, { "op": "goto", "goto": "nowhere" }]"#),
         path: "programs.p[1].goto", message: "no label \"nowhere\" in program \"p\""),
    Case(name: "duplicate label", json: model(program: #"[{ "label": "a", "op": "nop" }, { "label": "a", "op": "end" }]"#),
         path: "programs.p[1].label", message: "duplicate label \"a\""),
    Case(name: "address out of range in an op",
         json: model(program: #"[{ "op": "rcu_read_lock" }, { "op": "pt_walk", "addr": 8, "level": 1, "into": "t" }, { "op": "rcu_read_unlock" }, { "op": "end" }]"#),
         path: "programs.p[1].addr", message: "address 8 is outside the layout (addresses are 0..<8)"),
    Case(name: "negative address", json: model(program: #"[{ "op": "zap", "start": -1, "end": 2 }, { "op": "end" }]"#),
         path: "programs.p[0].start", message: "address -1 is outside the layout"),
    Case(name: "level out of range", json: model(program: #"[{ "op": "pt_walk", "addr": 0, "level": 3, "into": "t" }, { "op": "end" }]"#),
         path: "programs.p[0].level", message: "expected a level from 1 to 2"),
    Case(name: "VMA end out of range",
         json: #"{ "name": "bad", "layout": { "fanout": [2, 2, 2] }, "vmas": [{ "name": "A", "start": 0, "end": 9 }], "programs": { "p": [{ "op": "end" }] }, "threads": [{ "name": "T", "program": "p" }] }"#,
         path: "vmas[0].end", message: "address 9 is outside the layout"),
    Case(name: "register read but never written",
         json: model(program: #"[{ "op": "if_none", "reg": "ghost", "goto": "out" }, { "label": "out", "op": "end" }]"#),
         path: "programs.p[0].reg", message: "register \"ghost\" is read but never assigned"),
    Case(name: "falls off its end", json: model(program: #"[{ "op": "nop" }, { "op": "nop" }]"#),
         path: "programs.p[1]", message: "program \"p\" can fall off its end"),
    Case(name: "empty program", json: model(program: "[]"), path: "programs.p", message: "a program needs at least one op"),
    Case(name: "unknown program in a thread",
         json: model(program: #"[{ "op": "end" }]"#, threads: #"[{ "name": "T", "program": "nope" }]"#),
         path: "threads[0].program", message: "unknown program \"nope\"; defined: p"),
    Case(name: "unknown program in a call", json: model(program: #"[{ "op": "call", "program": "nope" }]"#),
         path: "programs.p[0].program", message: "unknown program \"nope\""),
    Case(name: "recursive call",
         json: #"{ "name": "bad", "programs": { "p": [{ "op": "call", "program": "q" }], "q": [{ "op": "nop" }, { "op": "call", "program": "p" }] }, "threads": [{ "name": "T", "program": "p" }] }"#,
         path: "programs.q[1].program", message: "recursive call: p -> q -> p"),
    Case(name: "missing argument", json: model(program: #"[{ "op": "zap", "start": "@start", "end": 2 }, { "op": "end" }]"#),
         path: "programs.p[0].start", message: "no argument \"@start\""),
    Case(name: "unknown VMA", json: model(program: #"[{ "op": "vma_start_read", "vma": "B" }, { "op": "end" }]"#),
         path: "programs.p[0].vma", message: "unknown VMA \"B\"; declared VMAs: A"),
    Case(name: "unknown invariant in expect",
         json: model(program: #"[{ "op": "end" }]"#, extra: #""expect": { "verdict": "violation", "violations": ["use-after-frees"] },"#),
         path: "expect.violations[0]", message: "unknown invariant \"use-after-frees\""),
    Case(name: "unknown allowed invariant",
         json: model(program: #"[{ "op": "end" }]"#, extra: #""expect": { "verdict": "verified", "allowed": ["leak", "oops"] },"#),
         path: "expect.allowed[1]", message: "unknown invariant \"oops\""),
    Case(name: "violation verdict without violations",
         json: model(program: #"[{ "op": "end" }]"#, extra: #""expect": { "verdict": "violation" },"#),
         path: "expect", message: "lists the invariants that must be violated"),
    Case(name: "bad verdict",
         json: model(program: #"[{ "op": "end" }]"#, extra: #""expect": { "verdict": "fine" },"#),
         path: "expect.verdict", message: "expected \"verified\" or \"violation\", found \"fine\""),
    Case(name: "missing threads",
         json: #"{ "name": "bad", "programs": { "p": [{ "op": "end" }] } }"#,
         path: "(top level)", message: "missing \"threads\""),
    Case(name: "empty threads", json: model(program: #"[{ "op": "end" }]"#, threads: "[]"),
         path: "threads", message: "expected at least one thread"),
    Case(name: "duplicate thread name",
         json: model(program: #"[{ "op": "end" }]"#, threads: #"[{ "name": "T", "program": "p" }, { "name": "T", "program": "p" }]"#),
         path: "threads[1].name", message: "duplicate thread name \"T\""),
    Case(name: "missing name", json: #"{ "programs": { "p": [{ "op": "end" }] }, "threads": [{ "name": "T", "program": "p" }] }"#,
         path: "(top level)", message: "missing \"name\""),
    Case(name: "unknown top-level key",
         json: #"{ "name": "bad", "thread": [], "programs": { "p": [{ "op": "end" }] }, "threads": [{ "name": "T", "program": "p" }] }"#,
         path: "thread", message: "unknown key \"thread\" in a model"),
    Case(name: "wrong format", json: #"{ "format": "spfcheck-model/2", "name": "bad", "threads": [] }"#,
         path: "format", message: "expected \"spfcheck-model/1\""),
    Case(name: "bad allocation class",
         json: model(program: #"[{ "op": "end" }]"#, extra: #""faults": { "allocFailure": ["kernel", "highmem"] },"#),
         path: "faults.allocFailure[1]", message: "expected an allocation class"),
    Case(name: "retry limit out of range",
         json: model(program: #"[{ "op": "end" }]"#, extra: #""options": { "retryLimit": 17 },"#),
         path: "options.retryLimit", message: "expected a retry limit from 0 to 16, found 17"),
    Case(name: "wrong operand type", json: model(program: #"[{ "op": "zap", "start": "zero", "end": 2 }, { "op": "end" }]"#),
         path: "programs.p[0].start", message: "expected an address"),
  ]

  @Test(arguments: cases)
  func errorNamesFileAndJSONPath(_ c: Case) throws {
    guard let (file, error) = try Self.loadError(c.json) else { return }
    guard case let .invalid(errorFile, path, message) = error else {
      Issue.record("expected an invalid-model error, got \(error)")
      return
    }
    #expect(errorFile == file)
    #expect(path == c.path, "\(error)")
    #expect(message.contains(c.message), "\(error)")
    #expect(error.description == "\(file): \(c.path): \(message)")
  }

  @Test func badJSONNamesLineAndColumn() throws {
    let json = "{\n  \"name\": \"bad\",\n  \"threads\": [,]\n}\n"
    guard let (file, error) = try Self.loadError(json) else { return }
    guard case let .syntax(errorFile, syntax) = error else {
      Issue.record("expected a syntax error, got \(error)")
      return
    }
    #expect(errorFile == file)
    #expect(syntax.line == 3)
    #expect(syntax.column == 15)
    #expect(error.description.hasPrefix("\(file): invalid JSON at line 3, column 15: "), "\(error)")
  }

  @Test func unreadableFileIsNamed() {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("spfcheck-missing-\(UUID().uuidString).json").path
    do {
      _ = try ModelLoader.load(path: path)
      Issue.record("a missing file loaded")
    } catch {
      guard case .unreadable(let file, _) = error else {
        Issue.record("expected unreadable, got \(error)")
        return
      }
      #expect(file == path)
      #expect(error.description.hasPrefix(path))
    }
  }

  /// An error inside an included protocol file names that file, not the model.
  @Test func errorInIncludedFileNamesTheIncludedFile() throws {
    let dir = try TempDir()
    try dir.write(#"{ "name": "lib", "programs": { "p": [{ "op": "nop" }, { "op": "frobnicate" }, { "op": "end" }] } }"#, to: "protocols/lib.json")
    let json = #"{ "name": "bad", "include": ["protocols/lib.json"], "threads": [{ "name": "T", "program": "p" }] }"#
    guard let (_, error) = try Self.loadError(json, in: dir) else { return }
    guard case let .invalid(file, path, message) = error else {
      Issue.record("expected an invalid-model error, got \(error)")
      return
    }
    #expect(file.hasSuffix("protocols/lib.json"), "\(error)")
    #expect(path == "programs.p[1].op")
    #expect(message.contains("unknown op \"frobnicate\""))
  }

  @Test func missingIncludeIsNamed() throws {
    let json = #"{ "name": "bad", "include": ["protocols/none.json"], "threads": [{ "name": "T", "program": "p" }] }"#
    guard let (file, error) = try Self.loadError(json) else { return }
    guard case let .invalid(errorFile, path, message) = error else {
      Issue.record("expected an invalid-model error, got \(error)")
      return
    }
    #expect(errorFile == file)
    #expect(path == "include[0]")
    #expect(message.contains("cannot read included file \"protocols/none.json\""))
  }

  @Test func programDefinedTwiceIsRejected() throws {
    let dir = try TempDir()
    try dir.write(#"{ "name": "lib", "programs": { "p": [{ "op": "end" }] } }"#, to: "lib.json")
    let json = #"{ "name": "bad", "include": ["lib.json"], "programs": { "p": [{ "op": "end" }] }, "threads": [{ "name": "T", "program": "p" }] }"#
    guard let (_, error) = try Self.loadError(json, in: dir) else { return }
    guard case let .invalid(_, path, message) = error else {
      Issue.record("expected an invalid-model error, got \(error)")
      return
    }
    #expect(path == "programs.p")
    #expect(message.contains("program \"p\" is already defined in"))
  }

  // MARK: End to end

  static let endToEndCases: [Case] = cases.filter {
    ["unknown op", "missing label", "register read but never written", "recursive call", "missing threads"].contains($0.name)
  }

  /// `spfcheck explore bad.json --out TMP` exits 65, names the JSON path on stderr, and writes nothing.
  @Test(arguments: endToEndCases)
  func exploreOfBadModelExits65AndWritesNothing(_ c: Case) throws {
    let dir = try TempDir()
    try dir.write(c.json, to: "bad.json")
    let out = try TempDir()
    let cx = out.url.appendingPathComponent("cx").path
    let run = try Run.spfcheck(["explore", "bad.json", "--out", cx], cwd: dir.url)
    #expect(run.status == 65, "\(run)")
    #expect(run.stdout.isEmpty, "\(run)")
    #expect(run.stderr.hasPrefix("spfcheck: bad.json: \(c.path): "), "\(run)")
    #expect(run.stderr.contains(c.message), "\(run)")
    #expect(out.files().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: cx))
    #expect(dir.files() == ["bad.json"])
  }

  @Test func exploreOfBadJSONExits65() throws {
    let dir = try TempDir()
    try dir.write("{\n  \"name\": \"bad\",\n  \"threads\": [,]\n}\n", to: "bad.json")
    let run = try Run.spfcheck(["explore", "bad.json", "--out", "out"], cwd: dir.url)
    #expect(run.status == 65, "\(run)")
    #expect(run.stderr.contains("bad.json: invalid JSON at line 3, column 15"), "\(run)")
    #expect(dir.files() == ["bad.json"])
  }
}
