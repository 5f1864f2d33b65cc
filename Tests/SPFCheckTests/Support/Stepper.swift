import Testing

@testable import SPFCheck

/// Drives the `Executor` by hand: one chosen thread step at a time, as the explorer would.
struct Stepper {
  let model: CompiledModel
  let executor: Executor
  var state: State

  init(_ model: CompiledModel) {
    self.model = model
    self.executor = Executor(model: model, narrate: true)
    self.state = model.initial
  }

  init(json: String) throws {
    self.init(try InlineModel.load(json))
  }

  func index(_ thread: String) throws -> Int {
    try #require(model.threads.firstIndex { $0.name == thread }, "no thread \(thread)")
  }

  func isEnabled(_ thread: String) throws -> Bool { executor.isEnabled(state, try index(thread)) }

  func thread(_ name: String) throws -> ThreadState { state.threads[try index(name)] }

  /// The op the thread runs next.
  func nextOp(_ name: String) throws -> String {
    let t = try index(name)
    return model.threads[t].sites[Int(state.threads[t].pc)].op
  }

  /// Steps an enabled thread; the state advances unless the step reported a violation.
  @discardableResult
  mutating func step(_ name: String, branch: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> StepResult {
    let t = try index(name)
    let op = try nextOp(name)
    try #require(executor.isEnabled(state, t), "\(name) is not enabled at \(op)", sourceLocation: sourceLocation)
    var next = state
    let result = try executor.step(&next, thread: t, branch: branch)
    if result.violation == nil { state = next }
    return result
  }

  /// Steps `name` `count` times, requiring no violation.
  mutating func run(_ name: String, steps count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for _ in 0..<count {
      let r = try step(name, sourceLocation: sourceLocation)
      try #require(r.violation == nil, "\(r.violation!.message)", sourceLocation: sourceLocation)
    }
  }

  /// A register's value (top-level program registers have no prefix).
  func register(_ thread: String, _ reg: String) throws -> Value {
    let t = try index(thread)
    let r = try #require(model.threads[t].registerNames.firstIndex(of: reg), "no register \(reg)")
    return state.regs[t, r]
  }

  /// A register holding a symbol (`ok`, `locked`, `detached`), as text.
  func symbol(_ thread: String, _ reg: String) throws -> String? {
    guard case .sym(let i) = try register(thread, reg).payload else { return nil }
    return model.symbols[Int(i)]
  }

  func int(_ thread: String, _ reg: String) throws -> Int? {
    guard case .int(let v) = try register(thread, reg).payload else { return nil }
    return v
  }

  func bool(_ thread: String, _ reg: String) throws -> Bool? {
    guard case .bool(let v) = try register(thread, reg).payload else { return nil }
    return v
  }
}
