import Foundation

/// A source of model weights by normalised name (see `TensorStore.normalise`: `language_model.*`,
/// `lm_head.*`, `vision_tower.*`, `multi_modal_projector.*`), so a model can be assembled from
/// several files: a GGUF decoder, a vision tower read from another format, a connector in
/// safetensors.
public protocol WeightProvider: AnyObject {
    /// Where the weights come from, for error messages.
    var location: String { get }
    /// Where configuration problems found while building the model are reported.
    var configLocation: String { get }
    /// The stored shape of the tensor with this normalised name, nil when absent.
    func shape(of name: String) -> [Int]?
    /// The tensor as row-major fp32, after checking that its shape is `shape`.
    func load(_ name: String, shape: [Int]) throws -> Tensor
}

extension WeightProvider {
    public var configLocation: String { location }
    /// Whether a tensor with this normalised name exists.
    public func contains(_ name: String) -> Bool { shape(of: name) != nil }
}

extension TensorStore: WeightProvider {
    public var location: String { directory.path }
    public func shape(of name: String) -> [Int]? { aliases[name].flatMap { entries[$0]?.shape } }
}

/// Weights already in memory (e.g. converted from ONNX), keyed by checkpoint names; names are
/// normalised after `prefix` is prepended (`prefix: "vision_tower."` for a bare `Dinov2Model`).
public final class NamedTensors: WeightProvider, @unchecked Sendable {
    private var tensors: [String: (shape: [Int], values: [Float])] = [:]
    public let location: String

    public init(_ tensors: [String: (shape: [Int], values: [Float])], prefix: String = "", location: String = "memory") throws {
        for (name, t) in tensors {
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw EngineError(.shape, "tensor \(name) has \(t.values.count) values for shape \(t.shape)", location: location)
            }
            self.tensors[TensorStore.normalise(prefix + name)] = t
        }
        self.location = location
    }

    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    public func load(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[name] else {
            throw EngineError(.missingTensor, "missing tensor \(name) (expected shape \(shape))", location: location)
        }
        guard t.shape == shape else {
            throw EngineError(.shape, "tensor \(name) has shape \(t.shape), expected \(shape)", location: location)
        }
        return Tensor(shape: shape, values: t.values)
    }
}

/// Several providers searched in order; the first holding a name serves it.
public final class WeightCollection: WeightProvider, @unchecked Sendable {
    public let providers: [any WeightProvider]

    public init(_ providers: [any WeightProvider]) { self.providers = providers }

    public var location: String { providers.map(\.location).joined(separator: " + ") }

    public func shape(of name: String) -> [Int]? { providers.lazy.compactMap { $0.shape(of: name) }.first }

    public func load(_ name: String, shape: [Int]) throws -> Tensor {
        guard let provider = providers.first(where: { $0.contains(name) }) else {
            throw EngineError(.missingTensor, "missing tensor \(name) (expected shape \(shape)) in any of: \(location)")
        }
        return try provider.load(name, shape: shape)
    }
}
