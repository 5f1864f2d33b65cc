import SPFCheck

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Parse, run, print, exit with the documented status (see README.md).
let result: RunResult
do {
  result = Driver.run(try CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst())))
} catch {
  result = RunResult(status: .usage, stderr: "spfcheck: \(error)\n\(CommandLineOptions.usage)\n")
}
result.emit()
exit(result.status.rawValue)
