/// A one-paragraph explanation of a counterexample in kernel terms: what the invariant
/// means, what went wrong, and the causal slice (the steps that touched the objects involved).
enum Explanation {
  /// What a violation of each invariant means, as one sentence.
  static func lead(_ invariant: Invariant) -> String {
    switch invariant {
    case .useAfterFree: return "An object was dereferenced after it had been freed (or queued for an RCU free that could already have completed)."
    case .doubleFree: return "An object was freed twice."
    case .pageTableLeak: return "A page table ended up where nothing will ever free it: unreachable, under a parent free_pgtables already unlinked, or covering no VMA."
    case .pteOutsideVMA: return "A PTE stayed present at an address no VMA covers: user memory remains mapped after munmap."
    case .staleCommit: return "A fault committed a PTE from a view of the VMA that a writer had already changed."
    case .tornRead: return "A fault committed a value it read while another thread was midway through an in-place update of the VMA."
    case .rcuEscape: return "A pointer found under RCU was used after its read-side section ended, with nothing else pinning the object."
    case .sleepInAtomic: return "An operation that may sleep ran in atomic context (RCU read-side section, spinlock or interrupts off)."
    case .emergencyReserve: return "A fast path with a fallback allocated inside an RCU read-side section with flags that may take the emergency reserve."
    case .lostMapping: return "A page table holding a present PTE was freed, or a PTE was written into an unlinked table: the page stays mapped (Bad rss-counter state)."
    case .deadlock: return "Every remaining thread waits for something no other thread will ever provide."
    case .lockMisuse: return "A lock rule was broken: an unlock not held, a write without its lock, or a thread ending while holding a lock."
    case .assertion: return "A model assertion failed."
    case .leak: return "An object was left allocated with nothing referring to it."
    }
  }

  /// The explanation paragraph for `cx`.
  static func text(_ cx: Counterexample) -> String {
    var out = lead(cx.invariant) + " " + cx.message.prefix(1).uppercased() + cx.message.dropFirst()
    if !out.hasSuffix(".") { out += "." }
    let slice = causalSlice(cx)
    if !slice.isEmpty {
      let parts = slice.map { "step \($0.index) \($0.thread) \($0.op) (\($0.effect))" }
      out += " Steps that touched \(cx.objects.joined(separator: " and ")): " + parts.joined(separator: "; ") + "."
    }
    switch cx.site {
    case .quiescence: out += " Found at quiescence, after every thread ended and every pending RCU callback ran."
    case .deadlock: out += " Found in a state where no thread and no grace period can step."
    case .step: if let last = cx.steps.last { out += " The violating step is step \(last.index), by \(last.thread)." }
    }
    return out
  }

  /// The causal slice of `cx`: every step whose effect names one of the violation's objects,
  /// in schedule order. The renderers mark these steps.
  static func causalSlice(_ cx: Counterexample) -> [ReplayStep] {
    cx.steps.filter { step in cx.objects.contains { mentions(step.effect, $0) } }
  }

  /// True when `text` names `object` (so `table#1` does not match `table#12`).
  static func mentions(_ text: String, _ object: String) -> Bool {
    var rest = Substring(text)
    while let range = rest.range(of: object) {
      let after = rest[range.upperBound...].first
      if after == nil || !(after!.isNumber) { return true }
      rest = rest[range.upperBound...]
    }
    return false
  }
}
