import Foundation
import Synchronization

/// Timestamped lines on stderr for what a stage is doing (`2026-11-22T01:38:00.123Z info: …`).
///
/// Kept apart from stdout so stage output can be piped. On a terminal a line first clears any
/// progress line being redrawn there; the progress line comes back at its next update.
public enum Log {
    /// Severity of a line.
    public enum Level: String, Sendable {
        case info, warning
    }

    private static let sink = Mutex<@Sendable (String) -> Void>({ StandardError.write($0) })

    /// Replaces the output (tests); returns the previous one so it can be restored.
    @discardableResult
    public static func setSink(_ newSink: @escaping @Sendable (String) -> Void) -> @Sendable (String) -> Void {
        sink.withLock { current in
            let previous = current
            current = newSink
            return previous
        }
    }

    /// Writes an informational line.
    public static func info(_ message: String) {
        emit(.info, message)
    }

    /// Writes a warning line.
    public static func warning(_ message: String) {
        emit(.warning, message)
    }

    /// The text of one log line, without the newline.
    public static func line(_ level: Level, _ message: String, at date: Date = Date()) -> String {
        "\(Manifest.timestamp(date)) \(level.rawValue): \(message)"
    }

    private static func emit(_ level: Level, _ message: String) {
        let clear = StandardError.isTerminal ? "\r\u{1B}[K" : ""
        let text = clear + line(level, message) + "\n"
        sink.withLock { $0(text) }
    }
}
