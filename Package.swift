// swift-tools-version: 6.0
import PackageDescription

/// spfcheck: a deterministic model checker for Linux page-fault vs munmap races.
///
/// One library target holds every hot path (`SPFCheck`); the `spfcheck`
/// executable is a thin command-line front end. No third-party packages.
let package = Package(
  name: "spfcheck",
  products: [
    .executable(name: "spfcheck", targets: ["spfcheck"]),
    .executable(name: "spfcheck-bench", targets: ["spfcheck-bench"]),
    .library(name: "SPFCheck", targets: ["SPFCheck"]),
  ],
  dependencies: [],
  targets: [
    // One C function: a cache prefetch hint for the visited store's probes, which Swift
    // cannot issue itself.
    .target(name: "CPrefetch"),
    .target(name: "SPFCheck", dependencies: ["CPrefetch"]),
    .executableTarget(name: "spfcheck", dependencies: ["SPFCheck"]),
    // The benchmark of issue 4 (docs/performance.md). It runs the spfcheck binary built next to
    // it as a child process; the case models and the Promela twin are data, not sources.
    .executableTarget(name: "spfcheck-bench", dependencies: ["spfcheck"], exclude: ["Cases", "spin"]),
    // Golden renderings are read by path (relative to the test sources), not bundled.
    // The benchmark is imported too, for its report's arithmetic (the median jobs speedup).
    .testTarget(name: "SPFCheckTests", dependencies: ["SPFCheck", "spfcheck", "spfcheck-bench"], exclude: ["Golden"]),
  ],
  swiftLanguageModes: [.v6]
)
