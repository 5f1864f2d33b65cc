/// A JSON value together with its file and JSON path, for precise error messages.
struct JSONNode {
  let json: JSON
  let path: String
  let file: String

  /// A `ModelError.invalid` at this node.
  func error(_ message: String) -> ModelError {
    .invalid(file: file, path: path.isEmpty ? "(top level)" : path, message: message)
  }

  /// The child at `key` of an object node.
  func child(_ key: String) -> JSONNode? {
    guard let value = json[key] else { return nil }
    return JSONNode(json: value, path: path.isEmpty ? key : "\(path).\(key)", file: file)
  }

  /// The members of an object, checking that every key is allowed.
  ///
  /// `note` and keys starting with `x-` are always allowed and ignored.
  func members(allowed: [String], what: String) throws(ModelError) -> [(key: String, node: JSONNode)] {
    guard case .object(let members) = json else { throw error("expected \(what) (an object), found \(json.kindName)") }
    var out: [(key: String, node: JSONNode)] = []
    for m in members {
      if m.key == "note" || m.key.hasPrefix("x-") { continue }
      let childPath = path.isEmpty ? m.key : "\(path).\(m.key)"
      guard allowed.contains(m.key) else {
        throw ModelError.invalid(
          file: file, path: childPath,
          message: "unknown key \"\(m.key)\" in \(what); expected one of: \(allowed.joined(separator: ", "))")
      }
      out.append((m.key, JSONNode(json: m.value, path: childPath, file: file)))
    }
    return out
  }

  /// The elements of an array node.
  func elements(_ what: String) throws(ModelError) -> [JSONNode] {
    guard case .array(let items) = json else { throw error("expected \(what) (an array), found \(json.kindName)") }
    return items.enumerated().map { JSONNode(json: $1, path: "\(path)[\($0)]", file: file) }
  }

  func int(_ what: String = "an integer") throws(ModelError) -> Int {
    guard case .int(let v) = json else { throw error("expected \(what), found \(json.kindName)") }
    return v
  }

  func string(_ what: String = "a string") throws(ModelError) -> String {
    guard case .string(let v) = json else { throw error("expected \(what), found \(json.kindName)") }
    return v
  }

  func bool(_ what: String = "a boolean") throws(ModelError) -> Bool {
    guard case .bool(let v) = json else { throw error("expected \(what), found \(json.kindName)") }
    return v
  }
}
