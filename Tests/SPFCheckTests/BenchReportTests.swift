import Testing

@testable import spfcheck_bench

/// The benchmark decides the `--jobs 2` target from alternated `--jobs 1` / `--jobs 2` pairs
/// (`--jobs-pairs`): the speedup is the median of the pairs' ratios, and the table shows each
/// variant's run of median seconds.
@Suite struct BenchReportTests {
  /// A measured run that took `seconds`.
  static func run(_ seconds: Double) -> RunOutcome {
    var m = Measurement()
    m.seconds = seconds
    m.states = 1000
    return .measured(m)
  }

  /// A case result with these (`--jobs 1`, `--jobs 2`) seconds, pair by pair.
  static func result(_ pairs: [(Double, Double)]) -> CaseResult {
    var r = CaseResult(bench: BenchCase(name: "spf-4", spinThreads: 4))
    r.jobsPairs = pairs.map { (run($0.0), run($0.1)) }
    return r
  }

  static func seconds(_ outcome: RunOutcome) -> Double? {
    guard case .measured(let m) = outcome else { return nil }
    return m.seconds
  }

  @Test func speedupIsTheMedianOfThePairsRatios() {
    let r = Self.result([(10, 5), (12, 5), (9, 5)])  // 2.0x, 2.4x, 1.8x
    #expect(r.jobsSpeedup == "2.00x")
    #expect(r.jobsRatioList == "2.00x, 2.40x, 1.80x")
  }

  @Test func anEvenNumberOfPairsTakesTheMeanOfTheMiddleTwo() {
    let r = Self.result([(3, 2), (4, 2)])  // 1.5x, 2.0x
    #expect(r.jobsSpeedup == "1.75x")
  }

  @Test func onePairIsItsOwnRatioWithNoList() {
    let r = Self.result([(7, 4)])
    #expect(r.jobsSpeedup == "1.75x")
    #expect(r.jobsRatioList == nil)
  }

  @Test func aPairWithAnUnmeasuredRunIsLeftOut() {
    var r = Self.result([(10, 5), (8, 5)])
    r.jobsPairs.insert((.unsupported, Self.run(5)), at: 1)
    #expect(r.jobsRatios == [2.0, 1.6])
    #expect(r.jobsSpeedup == "1.80x")
  }

  @Test func noPairNoSpeedupAndNoRows() {
    let r = Self.result([])
    #expect(r.jobsSpeedup == nil)
    #expect(r.medianJobsRuns.isEmpty)
  }

  /// Each row is the variant's run of median seconds (the lower middle one for an even
  /// count), taken from its own side of the pairs.
  @Test func rowsShowEachVariantsRunOfMedianSeconds() {
    let odd = Self.result([(10, 6), (12, 4), (9, 5)]).medianJobsRuns
    #expect(odd.map(\.variant.name) == ["jobs 1", "jobs 2"])
    #expect(odd.map { Self.seconds($0.outcome) } == [10, 5])
    let even = Self.result([(10, 6), (12, 4)]).medianJobsRuns
    #expect(even.map { Self.seconds($0.outcome) } == [10, 4])
  }

  @Test func bothReportsNameThePairs() {
    var r = Self.result([(10, 5), (12, 5), (9, 5)])
    r.runs = r.medianJobsRuns
    let options = BenchOptions()
    #expect(Report.text([r], options).contains("2.00x (median of 3 alternated pairs: 2.00x, 2.40x, 1.80x)"))
    #expect(Report.markdown([r], options).contains("| spf-4 | n/a | 2.00x (median of 3 pairs: 2.00x, 2.40x, 1.80x) |"))
  }

  @Test func jobsPairsIsParsedAndMustBePositive() throws {
    #expect(try BenchOptions.parse([]).jobsPairs == 3)
    #expect(try BenchOptions.parse(["--jobs-pairs", "5"]).jobsPairs == 5)
    #expect(throws: BenchOptions.UsageError.self) { try BenchOptions.parse(["--jobs-pairs", "0"]) }
  }
}
