/// Escaping for the XML-based renderings (SVG, XHTML).
enum Markup {
  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, safe in element content and
  /// in double- or single-quoted attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if c.value < 0x20 && c != "\t" && c != "\n" { out += " " } else { out.unicodeScalars.append(c) }
      }
    }
    return out
  }

  /// Serialized JSON made safe inside an HTML `<script>` element that is also parsed as XML:
  /// `<`, `>` and `&` (which JSON only allows inside strings) become `\u003c`, `\u003e`, `\u0026`.
  static func scriptSafeJSON(_ json: JSON) -> String {
    json.serialized().replacingOccurrences(of: "&", with: "\\u0026")
      .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
  }
}
