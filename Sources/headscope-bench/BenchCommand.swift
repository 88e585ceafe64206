import ArgumentParser
import Foundation
import HeadScopeCore

/// `headscope-bench`: timings of the engine and of the sgemm roof it is measured against
/// (`make bench` runs both next to the transformers reference; see docs/benchmarks.md).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-bench",
        abstract: "Engine benchmarks: the sgemm roof, prefill/decode timings and attribution runs/s, one JSON line each.",
        subcommands: [SgemmCommand.self, EngineCommand.self, AttributionCommand.self])
}

/// Medians and best-of for repeated timings.
enum Statistics {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// One line of JSON with keys in the given order (the run script reads it with Python's json).
func printJSON(_ fields: [(String, Any)]) {
    func number(_ d: Double) -> String { d.isFinite ? String(d) : "null" }
    let body = fields.map { key, value -> String in
        switch value {
        case let s as String: return "\"\(key)\": \(JSONText.quoted(s))"
        case let d as Double: return "\"\(key)\": \(number(d))"
        case let a as [Double]: return "\"\(key)\": [\(a.map(number).joined(separator: ", "))]"
        default: return "\"\(key)\": \(value)"
        }
    }
    print("{" + body.joined(separator: ", ") + "}")
}
