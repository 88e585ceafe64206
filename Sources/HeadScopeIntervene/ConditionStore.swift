import Foundation
import HeadScopeCore
import HeadScopeEngine

/// The files of conditions under `interventions/conditions/`: `<name>.plan.json` (the engine plan,
/// decodable as `InterpretabilityPlan`, so anyone can rerun one condition) and `<name>.jsonl` (one
/// `StepRecord` per line). A results file exists under its final name only once the condition is
/// complete, so a rerun skips it.
struct ConditionStore {
    let directory: URL

    init(output: URL) {
        directory = output.appendingPathComponent("conditions")
    }

    func resultsURL(_ name: String) -> URL { directory.appendingPathComponent("\(name).jsonl") }
    func planURL(_ name: String) -> URL { directory.appendingPathComponent("\(name).plan.json") }

    func isComplete(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: resultsURL(name).path)
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    func writePlan(_ condition: InterventionCondition) throws {
        let encoder = ConditionStore.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        try AtomicFile.write(try encoder.encode(condition.plan) + Data("\n".utf8), to: planURL(condition.name))
    }

    func write(_ records: [StepRecord], name: String) throws {
        let encoder = ConditionStore.encoder()
        try AtomicFile.write(to: resultsURL(name)) { writer in
            for record in records {
                try writer.write(try encoder.encode(record))
                try writer.write("\n")
            }
        }
    }

    func read(_ name: String) throws -> [StepRecord] {
        let url = resultsURL(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InterventionError(url.path, "cannot read the results of condition \(name)")
        }
        let decoder = JSONDecoder()
        var records: [StepRecord] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                records.append(try decoder.decode(StepRecord.self, from: Data(line)))
            } catch {
                throw InterventionError("\(url.path):\(number + 1)", "not a result record (\(error))",
                                        remedy: "delete the file to rerun condition \(name)")
            }
        }
        return records
    }
}
