import Foundation
import HeadScopeHDF5
import Testing
import TestSupport

/// Deterministic test values with full mantissas (so truncation or wrong rounding shows).
func wave(_ count: Int, phase: Double = 0, scale: Double = 37.5) -> [Float] {
    (0..<count).map { Float(sin(Double($0) * 0.731 + phase) * scale) }
}

/// Parses the JSON object a Python snippet printed on its last line of output.
func jsonObject(_ output: String) throws -> [String: Any] {
    let line = output.split(separator: "\n").last.map(String.init) ?? ""
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw TestSupportError("expected a JSON object from Python, got: \(output)")
    }
    return object
}

/// Runs `body`, expecting an `HDF5Error` of `kind` whose description contains every fragment.
func expectHDF5Error(_ kind: HDF5Error.Kind, containing fragments: [String],
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an HDF5Error of kind \(kind), got success", sourceLocation: sourceLocation)
    } catch let error as HDF5Error {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.localizedCaseInsensitiveContains(fragment),
                    "'\(fragment)' missing from: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected an HDF5Error, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Numbers a Python script sent as `repr` strings (a string or a list of them), parsed exactly;
/// nil when anything is not a number. (Foundation's JSON parser rounds some doubles, so the
/// scripts never send floats as JSON numbers.)
func numbers(_ value: Any?) -> [Double]? {
    if let text = value as? String { return Double(text).map { [$0] } }
    guard let list = value as? [Any] else { return nil }
    let parsed = list.compactMap { ($0 as? String).flatMap(Double.init) }
    return parsed.count == list.count ? parsed : nil
}
