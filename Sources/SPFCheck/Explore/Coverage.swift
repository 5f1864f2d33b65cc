/// Ops of the model's source that no explored interleaving reached, like SPIN's
/// "unreached in proctype": an unreached op usually means a model bug.
struct Coverage: Sendable {
  /// Distinct source ops the threads run (an op inlined several times counts once).
  var total: Int
  /// Source ops never attempted by any thread, in file and program order.
  var unreached: [SourceSite]

  /// Folds per-thread reached flags into source ops.
  init(model: CompiledModel, reached: [[Bool]]) {
    var order: [String] = []
    var sites: [String: SourceSite] = [:]
    var hit: Set<String> = []
    for (t, thread) in model.threads.enumerated() {
      for (pc, site) in thread.sites.enumerated() {
        let key = site.file + "\u{0}" + site.path
        if sites[key] == nil {
          sites[key] = site
          order.append(key)
        }
        if reached[t][pc] { hit.insert(key) }
      }
    }
    total = order.count
    unreached = order.filter { !hit.contains($0) }.map { sites[$0]! }
  }
}
