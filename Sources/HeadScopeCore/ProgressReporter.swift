import Foundation
import Synchronization

/// Progress of long work: items done / total, a smoothed rate, ETA and elapsed time.
///
/// Two ways to show it: on a terminal, one line on stderr redrawn in place with `\r`; in a log
/// (Slurm output, CI), a plain line every `interval` seconds, so logs stay readable. Both end
/// with a summary line from `finish()`. Safe to call from many threads (one `Mutex` guards the
/// state and the output, so lines never interleave). The clock and the output sink are
/// injectable so tests can drive time.
///
/// The rate is an exponential moving average of the rate between samples (taken at most every
/// `sampleInterval` seconds) with time constant `smoothing` seconds: each sample moves the
/// estimate by `1 - exp(-dt / smoothing)` of the way to the latest rate. Before the first
/// sample the average since the start is shown.
public final class ProgressReporter: Sendable {
    /// How progress is shown.
    public enum Mode: Sendable, Equatable {
        /// One line redrawn in place on a terminal, at most every `redrawInterval` seconds.
        case terminal
        /// A plain line every `interval` seconds, and at the end.
        case log(interval: Double)
        /// Only the final summary.
        case silent

        /// `HEADSCOPE_PROGRESS` (`terminal`, `log`, `log:<seconds>`, `off`) if set, else
        /// `.terminal` when stderr is a terminal and `.log(interval: 30)` otherwise.
        public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) -> Mode {
            switch environment["HEADSCOPE_PROGRESS"] {
            case "terminal"?: return .terminal
            case "off"?, "silent"?: return .silent
            case let value? where value == "log": return .log(interval: 30)
            case let value? where value.hasPrefix("log:"):
                if let seconds = Double(value.dropFirst(4)), seconds > 0 { return .log(interval: seconds) }
                return .log(interval: 30)
            default: return StandardError.isTerminal ? .terminal : .log(interval: 30)
            }
        }
    }

    /// The numbers behind one progress line.
    public struct Snapshot: Sendable, Equatable {
        public var done: Int
        public var total: Int?
        /// Seconds since the reporter was created.
        public var elapsed: Double
        /// Smoothed items per second, nil before anything can be said.
        public var rate: Double?
        /// Seconds left at the current rate, nil without a total or a rate.
        public var eta: Double?
    }

    private struct State {
        var done = 0
        var total: Int?
        var start: Double
        var lastSampleTime: Double
        var lastSampleDone = 0
        var smoothedRate: Double?
        var lastRender: Double
        var rendered = false
        var finished = false
    }

    public let label: String
    public let unit: String
    public let mode: Mode
    /// Minimum seconds between two rate samples.
    public let sampleInterval: Double
    /// Time constant of the rate smoothing, in seconds.
    public let smoothing: Double
    /// Minimum seconds between two terminal redraws.
    public let redrawInterval: Double
    private let clock: @Sendable () -> Double
    private let sink: @Sendable (String) -> Void
    private let state: Mutex<State>

    /// A reporter for `total` items (nil when unknown), starting now.
    public init(label: String, total: Int?, unit: String = "items", mode: Mode = .automatic(),
                sampleInterval: Double = 1, smoothing: Double = 10, redrawInterval: Double = 0.1,
                clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds,
                sink: @escaping @Sendable (String) -> Void = StandardError.write) {
        self.label = label
        self.unit = unit
        self.mode = mode
        self.sampleInterval = sampleInterval
        self.smoothing = smoothing
        self.redrawInterval = redrawInterval
        self.clock = clock
        self.sink = sink
        let now = clock()
        self.state = Mutex(State(total: total, start: now, lastSampleTime: now, lastRender: now))
    }

    /// Seconds on a monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// Records `count` more items done.
    public func advance(by count: Int = 1) {
        let now = clock()
        state.withLock { state in
            state.done += count
            update(&state, now: now)
        }
    }

    /// Records the absolute number of items done (for work that restarts from a checkpoint).
    public func set(done: Int) {
        let now = clock()
        state.withLock { state in
            state.done = done
            update(&state, now: now)
        }
    }

    /// Changes the total (when it becomes known part-way).
    public func set(total: Int?) {
        state.withLock { $0.total = total }
    }

    /// The current numbers.
    public var snapshot: Snapshot {
        let now = clock()
        return state.withLock { snapshot(of: $0, now: now) }
    }

    /// Ends the progress display and emits the summary line, which is also returned. Later
    /// calls return the summary without printing again.
    @discardableResult
    public func finish() -> String {
        let now = clock()
        return state.withLock { state in
            let current = snapshot(of: state, now: now)
            let summary = summaryLine(current)
            guard !state.finished else { return summary }
            state.finished = true
            switch mode {
            case .terminal:
                sink("\r" + statusLine(current) + "\u{1B}[K\n" + summary + "\n")
            case .log:
                sink(statusLine(current) + "\n" + summary + "\n")
            case .silent:
                sink(summary + "\n")
            }
            return summary
        }
    }

    // MARK: Lines

    /// `<label>: <done>/<total> <unit> (<pct>%), <rate> <unit>/s, elapsed <t>, ETA <t>`.
    public func statusLine(_ s: Snapshot) -> String {
        var line = "\(label): "
        if let total = s.total {
            let percent = total > 0 ? 100 * Double(s.done) / Double(total) : 100
            line += "\(s.done)/\(total) \(unit) (\(String(format: "%.1f", percent))%)"
        } else {
            line += "\(s.done) \(unit)"
        }
        line += ", " + (s.rate.map { "\(ProgressReporter.formatRate($0)) \(unit)/s" } ?? "-- \(unit)/s")
        line += ", elapsed \(ProgressReporter.formatDuration(s.elapsed))"
        if s.total != nil {
            line += ", ETA " + (s.eta.map(ProgressReporter.formatDuration) ?? "--")
        }
        return line
    }

    /// `<label>: finished <done>[/<total>] <unit> in <t> (<average rate> <unit>/s)`.
    public func summaryLine(_ s: Snapshot) -> String {
        let count = s.total.map { $0 == s.done ? "\(s.done)" : "\(s.done)/\($0)" } ?? "\(s.done)"
        let average = s.elapsed > 0 ? ProgressReporter.formatRate(Double(s.done) / s.elapsed) : "--"
        return "\(label): finished \(count) \(unit) in \(ProgressReporter.formatDuration(s.elapsed)) (\(average) \(unit)/s)"
    }

    /// A rate with three significant figures or so: `1234`, `56.7`, `8.90`.
    public static func formatRate(_ rate: Double) -> String {
        if !rate.isFinite { return "--" }
        if rate >= 100 { return String(format: "%.0f", rate) }
        if rate >= 10 { return String(format: "%.1f", rate) }
        return String(format: "%.2f", rate)
    }

    /// A duration as `42s`, `4m05s` or `1h02m03s` (whole seconds, rounded down).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return "--" }
        let total = max(0, Int(seconds))
        let h = total / 3600, m = total / 60 % 60, s = total % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if h > 0 { return "\(h)h\(two(m))m\(two(s))s" }
        if m > 0 { return "\(m)m\(two(s))s" }
        return "\(s)s"
    }

    // MARK: Internals

    private func update(_ state: inout State, now: Double) {
        guard !state.finished else { return }
        let dt = now - state.lastSampleTime
        if dt >= sampleInterval && dt > 0 {
            let instant = Double(state.done - state.lastSampleDone) / dt
            if let previous = state.smoothedRate {
                let alpha = 1 - exp(-dt / smoothing)
                state.smoothedRate = previous + alpha * (instant - previous)
            } else {
                state.smoothedRate = instant
            }
            state.lastSampleTime = now
            state.lastSampleDone = state.done
        }
        switch mode {
        case .terminal:
            if !state.rendered || now - state.lastRender >= redrawInterval {
                state.rendered = true
                state.lastRender = now
                sink("\r" + statusLine(snapshot(of: state, now: now)) + "\u{1B}[K")
            }
        case .log(let interval):
            if now - state.lastRender >= interval {
                state.rendered = true
                state.lastRender = now
                sink(statusLine(snapshot(of: state, now: now)) + "\n")
            }
        case .silent:
            break
        }
    }

    private func snapshot(of state: State, now: Double) -> Snapshot {
        let elapsed = now - state.start
        var rate = state.smoothedRate
        if rate == nil && elapsed > 0 && state.done > 0 { rate = Double(state.done) / elapsed }
        var eta: Double?
        if let total = state.total, let rate, rate > 0 {
            eta = Double(max(0, total - state.done)) / rate
        }
        return Snapshot(done: state.done, total: state.total, elapsed: elapsed, rate: rate, eta: eta)
    }
}
