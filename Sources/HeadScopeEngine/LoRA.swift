import HeadScopeBLAS

/// A low-rank adapter merged into the base weights as they load: `W + (alpha / rank) B A`, the
/// PEFT convention. The adapter file holds `<module>.lora_A.weight` ([rank, in]) and
/// `<module>.lora_B.weight` ([out, rank]) for some of the base's linear layers, under checkpoint
/// names (`model.layers.3.self_attn.q_proj...`) that normalise like any other tensor. Merging at
/// load keeps the engine's forward pass, captures and edits unchanged: an adapted model is just
/// a model with different weights.
public final class LoRAMergedWeights: WeightProvider, @unchecked Sendable {
    public let base: any WeightProvider
    public let adapter: TensorStore
    public let alpha: Float

    /// Checks that every adapter pair names a base matrix of matching shape, so a mismatched
    /// adapter fails at load rather than silently adapting nothing.
    public init(base: any WeightProvider, adapter: TensorStore, alpha: Float) throws {
        self.base = base
        self.adapter = adapter
        self.alpha = alpha
        let names = adapter.aliases.keys.filter { $0.hasSuffix(".lora_A.weight") }
        guard !names.isEmpty else {
            throw EngineError(.missingTensor, "no `*.lora_A.weight` tensors: not a LoRA adapter", location: adapter.location)
        }
        for aName in names {
            let module = String(aName.dropLast(".lora_A.weight".count))
            guard let a = adapter.shape(of: aName), let b = adapter.shape(of: module + ".lora_B.weight") else {
                throw EngineError(.missingTensor, "\(module) has lora_A but no lora_B", location: adapter.location)
            }
            guard let w = base.shape(of: module + ".weight") else {
                throw EngineError(.missingTensor, "the adapter adapts \(module), which the base model does not have", location: adapter.location)
            }
            guard a.count == 2, b.count == 2, w.count == 2, a[0] == b[1], a[1] == w[1], b[0] == w[0] else {
                throw EngineError(.shape, "\(module): lora_A \(a) and lora_B \(b) do not fit the base weight \(w)", location: adapter.location)
            }
        }
    }

    public var location: String { base.location + " + " + adapter.location }
    public var configLocation: String { base.configLocation }
    public func shape(of name: String) -> [Int]? { base.shape(of: name) }

    public func load(_ name: String, shape: [Int]) throws -> Tensor {
        let weight = try base.load(name, shape: shape)
        guard name.hasSuffix(".weight"), shape.count == 2 else { return weight }
        let module = String(name.dropLast(".weight".count))
        guard let aShape = adapter.shape(of: module + ".lora_A.weight") else { return weight }
        let rank = aShape[0]
        let a = try adapter.load(module + ".lora_A.weight", shape: [rank, shape[1]])
        let b = try adapter.load(module + ".lora_B.weight", shape: [shape[0], rank])
        // W[out, in] += scale * B[out, r] A[r, in]
        BLAS.sgemm(.none, .none, m: shape[0], n: shape[1], k: rank, alpha: alpha / Float(rank),
                   a: b.pointer, b: a.pointer, beta: 1, c: weight.pointer)
        return weight
    }
}
