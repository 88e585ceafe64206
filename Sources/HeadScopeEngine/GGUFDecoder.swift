import Foundation
import HeadScopeWeights

/// The weights of a GGUF decoder (architectures llama, qwen2) as a `WeightProvider`.
///
/// `HeadScopeWeights.GGUFFile` reads the file and dequantizes every block type it knows (F32, F16,
/// BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K); this type adds what the engine needs on
/// top: llama.cpp tensor names mapped to the normalised Hugging Face ones, llama q/k rows put back
/// in Hugging Face order, and the decoder configuration read from the metadata.
public final class GGUFDecoder: WeightProvider, @unchecked Sendable {
    /// The parsed file (metadata and tensor infos over the mapped bytes).
    public let file: GGUFFile
    public let url: URL
    /// Normalised name -> GGUF tensor name.
    private var aliases: [String: String] = [:]
    /// GGUF tensor name -> head count, for llama q/k weights stored interleaved for llama.cpp's RoPE.
    private var interleavedHeads: [String: Int] = [:]

    /// Opens `url`; malformed or truncated files are refused with the reader's message.
    public init(_ url: URL) throws {
        self.url = url
        do {
            file = try GGUFFile(path: url.path)
        } catch let error as GGUFError {
            throw EngineError(.format, error.message, location: url.path)
        } catch let error as MappedFileError {
            throw EngineError(.io, error.message, location: url.path)
        }
        let arch = file.metadata["general.architecture"]?.stringValue
        for info in file.tensors {
            aliases[Self.huggingFaceName(info.name)] = info.name
            guard arch == "llama" else { continue }
            if info.name.hasSuffix("attn_q.weight") {
                interleavedHeads[info.name] = file.metadata["llama.attention.head_count"]?.intValue
            } else if info.name.hasSuffix("attn_k.weight") {
                interleavedHeads[info.name] = file.metadata["llama.attention.head_count_kv"]?.intValue
                    ?? file.metadata["llama.attention.head_count"]?.intValue
            }
        }
    }

    public var location: String { url.path }

    public func shape(of name: String) -> [Int]? {
        aliases[name].flatMap { file.tensor(named: $0)?.shape }
    }

    public func load(_ name: String, shape expected: [Int]) throws -> Tensor {
        guard let stored = aliases[name], let info = file.tensor(named: stored) else {
            throw EngineError(.missingTensor, "missing tensor \(name) (expected shape \(expected))", location: location)
        }
        guard info.shape == expected else {
            throw EngineError(.shape, "tensor \(stored) has shape \(info.shape), expected \(expected)", location: location)
        }
        let tensor = Tensor(shape: expected)
        GGUFDequantize.dequantize(file.rawBytes(of: info), type: info.type,
                                  into: UnsafeMutableBufferPointer(start: tensor.pointer, count: info.count))
        if let heads = interleavedHeads[stored] {
            guard heads > 0, expected[0] % heads == 0, (expected[0] / heads) % 2 == 0 else {
                throw EngineError(.shape, "tensor \(stored) has \(expected[0]) rows, not a whole number of even-sized heads for \(heads) heads", location: location)
            }
            Self.deinterleaveHeads(tensor, heads: heads)
        }
        return tensor
    }

    /// Puts llama.cpp's per-head row order `(i, half)` back to Hugging Face's `(half, i)`.
    static func deinterleaveHeads(_ tensor: Tensor, heads: Int) {
        let rows = tensor.shape[0], width = tensor.count / max(rows, 1)
        let headDim = rows / heads, half = headDim / 2
        let copy = Array(tensor.storage.prefix(tensor.count))
        for h in 0..<heads { for a in 0..<2 { for i in 0..<half {
            let to = (h * headDim + a * half + i) * width, from = (h * headDim + 2 * i + a) * width
            for j in 0..<width { tensor.pointer[to + j] = copy[from + j] }
        } } }
    }

    /// llama.cpp names -> normalised names (`language_model.layers.N...`, `lm_head.weight`).
    static func huggingFaceName(_ name: String) -> String {
        let fixed = ["token_embd.weight": "language_model.embed_tokens.weight",
                     "output_norm.weight": "language_model.norm.weight", "output.weight": "lm_head.weight"]
        if let n = fixed[name] { return n }
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "blk" else { return name }
        let map = ["attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                   "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                   "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                   "ffn_down": "mlp.down_proj"]
        let rest = parts[2].split(separator: ".", maxSplits: 1).map(String.init)
        guard rest.count == 2, let module = map[rest[0]] else { return name }
        return "language_model.layers.\(parts[1]).\(module).\(rest[1])"
    }

    /// The decoder configuration the metadata describes (architectures `llama`, `qwen2`).
    public func configuration() throws -> ModelConfiguration {
        let metadata = file.metadata
        guard let arch = metadata["general.architecture"]?.stringValue else {
            throw EngineError(.configuration, "missing metadata general.architecture", location: location)
        }
        guard arch == "llama" || arch == "qwen2" else {
            throw EngineError(.unsupported, "GGUF architecture \"\(arch)\" is not supported (llama, qwen2)", location: location)
        }
        func int(_ key: String) throws -> Int {
            guard let v = metadata["\(arch).\(key)"]?.intValue else {
                throw EngineError(.configuration, "missing metadata \(arch).\(key)", location: location)
            }
            return v
        }
        let vocab = metadata["\(arch).vocab_size"]?.intValue ?? metadata["tokenizer.ggml.tokens"]?.arrayValue?.count
        guard let vocabSize = vocab ?? file.tensor(named: "token_embd.weight")?.shape.first else {
            throw EngineError(.configuration, "cannot tell the vocabulary size (no \(arch).vocab_size, tokens or token_embd)", location: location)
        }
        let heads = try int("attention.head_count")
        let text = TextConfiguration(
            modelType: arch, vocabSize: vocabSize, hiddenSize: try int("embedding_length"),
            intermediateSize: try int("feed_forward_length"), numHiddenLayers: try int("block_count"),
            numAttentionHeads: heads, numKeyValueHeads: metadata["\(arch).attention.head_count_kv"]?.intValue ?? heads,
            headDim: metadata["\(arch).attention.key_length"]?.intValue ?? metadata["\(arch).rope.dimension_count"]?.intValue,
            rmsNormEps: metadata["\(arch).attention.layer_norm_rms_epsilon"]?.doubleValue,
            ropeTheta: metadata["\(arch).rope.freq_base"]?.doubleValue,
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
            eosTokenId: metadata["tokenizer.ggml.eos_token_id"]?.intValue.map(IntOrList.single),
            bosTokenId: metadata["tokenizer.ggml.bos_token_id"]?.intValue.map(IntOrList.single),
            maxPositionEmbeddings: metadata["\(arch).context_length"]?.intValue)
        if let scaling = metadata["\(arch).rope.scaling.type"]?.stringValue, scaling != "none" {
            throw EngineError(.unsupported, "GGUF rope scaling \"\(scaling)\" is not supported", location: location)
        }
        let config = ModelConfiguration(text: text)
        try config.validate(location)
        return config
    }
}
