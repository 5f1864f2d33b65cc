/// A checker bug: something that must not happen did (exit status 70).
struct InternalError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
