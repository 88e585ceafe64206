import Foundation
import HeadScopePreprocess
import TestSupport

/// Tests/Fixtures/preprocess, written by scripts/fixtures/preprocess.py (transformers + Pillow).
enum Fixtures {
    private static let loaded = Result { try GoldenTensors("preprocess/preprocess.safetensors") }

    static var golden: GoldenTensors { get throws { try loaded.get() } }

    /// A U8 golden tensor's bytes and shape.
    static func bytes(_ name: String) throws -> (shape: [Int], bytes: [UInt8]) {
        guard let tensor = try golden[name] else { throw TestFailure("fixture tensor \(name) is missing") }
        return (tensor.shape, tensor.int64Values.map { UInt8(truncatingIfNeeded: $0) })
    }

    static func floats(_ name: String) throws -> (shape: [Int], values: [Float]) {
        guard let tensor = try golden[name] else { throw TestFailure("fixture tensor \(name) is missing") }
        return (tensor.shape, tensor.values)
    }

    private static let loadedMetadata = Result {
        let url = TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/preprocess/metadata.json")
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: String] else {
            throw TestFailure("\(url.path) is not a JSON object of strings")
        }
        return object
    }

    static func metadata(_ key: String) throws -> String {
        guard let value = try loadedMetadata.get()[key] else { throw TestFailure("fixture metadata \(key) is missing") }
        return value
    }

    static func configURL(_ name: String) -> URL {
        TestSupport.repositoryRoot.appendingPathComponent(
            "Tests/Fixtures/preprocess/configs/\(name)/preprocessor_config.json")
    }

    /// Position of the first differing byte and the two values, or nil when equal.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String? {
        guard a.count == b.count else { return "\(a.count) bytes, expected \(b.count)" }
        var count = 0, first = -1
        for i in a.indices where a[i] != b[i] { count += 1; if first < 0 { first = i } }
        return first < 0 ? nil : "\(count) bytes differ; first at \(first): \(a[first]) vs expected \(b[first])"
    }
}
