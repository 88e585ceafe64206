import Foundation
import Synchronization
import Testing
@testable import HeadScopeCore

/// A clock and an output sink the test controls.
private final class Harness: Sendable {
    let time = Mutex<Double>(100)
    let lines = Mutex<[String]>([])
    var clock: @Sendable () -> Double { { [self] in time.withLock { $0 } } }
    var sink: @Sendable (String) -> Void { { [self] text in lines.withLock { $0.append(text) } } }
    func set(_ t: Double) { time.withLock { $0 = t } }
    var output: [String] { lines.withLock { $0 } }
}

@Suite struct ProgressReporterTests {
    @Test func durationsAndRates() {
        #expect(ProgressReporter.formatDuration(0) == "0s")
        #expect(ProgressReporter.formatDuration(59.9) == "59s")
        #expect(ProgressReporter.formatDuration(65) == "1m05s")
        #expect(ProgressReporter.formatDuration(3723) == "1h02m03s")
        #expect(ProgressReporter.formatRate(1234.4) == "1234")
        #expect(ProgressReporter.formatRate(56.78) == "56.8")
        #expect(ProgressReporter.formatRate(8.9) == "8.90")
    }

    /// Log mode with a fake clock: a constant rate is reported exactly, a rate step moves the
    /// estimate by the documented exponential smoothing, and ETA follows from it.
    @Test func logModeRateAndETA() {
        let h = Harness()
        let progress = ProgressReporter(label: "extract", total: 200, unit: "items", mode: .log(interval: 10),
                                        sampleInterval: 1, smoothing: 10, clock: h.clock, sink: h.sink)
        for second in 1...10 {
            h.set(100 + Double(second))
            progress.advance(by: 5)
        }
        #expect(h.output == ["extract: 50/200 items (25.0%), 5.00 items/s, elapsed 10s, ETA 30s\n"])

        for second in 11...20 {
            h.set(100 + Double(second))
            progress.advance(by: 10)
        }
        // Ten samples of 10/s after a steady 5/s: 10 - 5 * exp(-10 * 1 / 10).
        let expectedRate = 10 - 5 * exp(-1.0)
        let snapshot = progress.snapshot
        #expect(abs((snapshot.rate ?? 0) - expectedRate) < 1e-9)
        #expect(abs((snapshot.eta ?? 0) - 50 / expectedRate) < 1e-9)
        #expect(snapshot.done == 150 && snapshot.elapsed == 20)
        #expect(h.output.count == 2)
        #expect(h.output.last == "extract: 150/200 items (75.0%), \(String(format: "%.2f", expectedRate)) items/s, elapsed 20s, ETA 6s\n")
        #expect(h.output.last?.contains("8.16 items/s") == true)

        h.set(125)
        progress.advance(by: 50)
        let summary = progress.finish()
        #expect(summary == "extract: finished 200 items in 25s (8.00 items/s)")
        #expect(h.output.last?.hasSuffix("ETA 0s\n" + summary + "\n") == true)
        // Finishing twice prints nothing more.
        #expect(progress.finish() == summary)
        #expect(h.output.count == 3)
    }

    @Test func terminalModeRedrawsOneLineAndThrottles() {
        let h = Harness()
        let progress = ProgressReporter(label: "probe", total: 10, unit: "heads", mode: .terminal,
                                        sampleInterval: 1, redrawInterval: 0.5, clock: h.clock, sink: h.sink)
        h.set(102)
        progress.advance(by: 4)
        h.set(102.1)
        progress.advance()  // within the redraw interval: not drawn
        #expect(h.output == ["\rprobe: 4/10 heads (40.0%), 2.00 heads/s, elapsed 2s, ETA 3s\u{1B}[K"])
        h.set(103)
        progress.advance()
        #expect(h.output.count == 2)
        #expect(h.output[1].hasPrefix("\rprobe: 6/10 heads (60.0%)"))
        #expect(!h.output.joined().contains("\n"))
        h.set(104)
        progress.set(done: 10)
        progress.finish()
        #expect(h.output.last?.hasSuffix("\u{1B}[K\nprobe: finished 10 heads in 4s (2.50 heads/s)\n") == true)
    }

    @Test func unknownTotalAndPartialSummary() {
        let h = Harness()
        let progress = ProgressReporter(label: "scan", total: nil, unit: "files", mode: .silent,
                                        clock: h.clock, sink: h.sink)
        h.set(104)
        progress.advance(by: 8)
        #expect(progress.statusLine(progress.snapshot) == "scan: 8 files, 2.00 files/s, elapsed 4s")
        #expect(h.output.isEmpty)
        progress.set(total: 20)
        #expect(progress.finish() == "scan: finished 8/20 files in 4s (2.00 files/s)")
        #expect(h.output == ["scan: finished 8/20 files in 4s (2.00 files/s)\n"])
    }

    @Test func concurrentUpdatesAreCounted() {
        let h = Harness()
        let progress = ProgressReporter(label: "x", total: 8000, mode: .log(interval: 0.0),
                                        clock: h.clock, sink: h.sink)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 { progress.advance() }
        }
        #expect(progress.snapshot.done == 8000)
        #expect(h.output.count == 8000)
        #expect(h.output.allSatisfy { $0.hasPrefix("x: ") && $0.hasSuffix("\n") })
    }

    @Test func automaticModeFromEnvironment() {
        #expect(ProgressReporter.Mode.automatic(environment: ["HEADSCOPE_PROGRESS": "log:5"]) == .log(interval: 5))
        #expect(ProgressReporter.Mode.automatic(environment: ["HEADSCOPE_PROGRESS": "off"]) == .silent)
        #expect(ProgressReporter.Mode.automatic(environment: ["HEADSCOPE_PROGRESS": "terminal"]) == .terminal)
    }

    @Test func logLinesAndErrorMessages() {
        let line = Log.line(.info, "wrote 3 shards", at: Date(timeIntervalSince1970: 1_700_000_000.5))
        #expect(line == "2023-11-14T22:13:20.500Z info: wrote 3 shards")
        let collected = Mutex<[String]>([])
        let previous = Log.setSink { text in collected.withLock { $0.append(text) } }
        Log.warning("low disk")
        Log.setSink(previous)
        let captured = collected.withLock { $0 }
        #expect(captured.count == 1)
        #expect(captured.first?.hasSuffix(" warning: low disk\n") == true)

        let error = StageError("runs/demo/prepared: no items", remedy: "check the archive")
        #expect(StageMain.message(for: error) == "error: runs/demo/prepared: no items; check the archive")
        #expect(StageMain.exitCode(for: StageError("x", exitCode: 3)) == 3)
        #expect(StageMain.exitCode(for: CocoaError(.fileNoSuchFile)) == 1)
    }
}
