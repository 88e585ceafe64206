import Foundation

/// A value from a GGUF file's metadata.
enum GGUFValue {
    case int(Int), float(Double), bool(Bool), string(String)
    /// Arrays keep their length (tokenizer vocabularies are long; only the count is needed here).
    case array(count: Int)

    var int: Int? { if case .int(let v) = self { return v }; return nil }
    var double: Double? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    var string: String? { if case .string(let v) = self { return v }; return nil }
}

/// GGML tensor types this engine dequantizes (block types hold 32 values with fp16 scales).
enum GGMLType: UInt32 {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, bf16 = 30

    /// Bytes for `count` values.
    func bytes(_ count: Int) -> Int {
        switch self {
        case .f32: return 4 * count
        case .f16, .bf16: return 2 * count
        case .q4_0: return count / 32 * 18
        case .q4_1: return count / 32 * 20
        case .q8_0: return count / 32 * 34
        }
    }

    static func decode(_ entry: TensorEntry, count: Int, into out: UnsafeMutablePointer<Float>, name: String) throws {
        let location = entry.file.url.path
        guard let raw = UInt32(entry.dtype.dropFirst(5)), let type = GGMLType(rawValue: raw) else {
            throw EngineError(.dtype, "tensor \(name) has GGML type \(entry.dtype.dropFirst(5)); supported: F32, F16, BF16, Q4_0, Q4_1, Q8_0", location: location)
        }
        if [.q4_0, .q4_1, .q8_0].contains(type), count % 32 != 0 {
            throw EngineError(.format, "tensor \(name) has \(count) values, not a whole number of 32-value blocks", location: location)
        }
        guard entry.end - entry.start == type.bytes(count) else {
            throw EngineError(.format, "tensor \(name) holds \(entry.end - entry.start) bytes, expected \(type.bytes(count))", location: location)
        }
        let p = entry.file.base + entry.start
        func half(_ offset: Int) -> Float { Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) }
        switch type {
        case .f32: memcpy(out, p, 4 * count)
        case .f16: for i in 0..<count { out[i] = half(2 * i) }
        case .bf16: for i in 0..<count { out[i] = Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        case .q8_0:
            for b in 0..<(count / 32) {
                let block = 34 * b, d = half(block)
                for j in 0..<32 { out[32 * b + j] = d * Float(p.load(fromByteOffset: block + 2 + j, as: Int8.self)) }
            }
        case .q4_0, .q4_1:
            // Byte j of a block holds value j (low nibble) and value j + 16 (high nibble).
            let size = type == .q4_0 ? 18 : 20, data = type == .q4_0 ? 2 : 4
            for b in 0..<(count / 32) {
                let block = size * b, d = half(block)
                let m: Float = type == .q4_1 ? half(block + 2) : 0
                let offset: Float = type == .q4_0 ? -8 : 0
                for j in 0..<16 {
                    let byte = p.load(fromByteOffset: block + data + j, as: UInt8.self)
                    out[32 * b + j] = d * (Float(byte & 0x0F) + offset) + m
                    out[32 * b + j + 16] = d * (Float(byte >> 4) + offset) + m
                }
            }
        }
    }
}

/// Reads a GGUF file (v2/v3): metadata, tensor infos, and a `TensorStore` over the mapped data
/// with llama.cpp tensor names mapped to the normalised Hugging Face ones.
struct GGUFFile {
    let metadata: [String: GGUFValue]
    let store: TensorStore

    init(_ url: URL) throws {
        let file = try MappedFile(url)
        var reader = Reader(file: file)
        guard try reader.bytes(4) == Array("GGUF".utf8) else {
            throw EngineError(.format, "not a GGUF file (bad magic)", location: url.path)
        }
        let version = try reader.u32()
        guard version == 2 || version == 3 else {
            throw EngineError(.unsupported, "GGUF version \(version) is not supported (2, 3)", location: url.path)
        }
        let tensorCount = try reader.u64(), kvCount = try reader.u64()
        guard tensorCount < 1 << 24, kvCount < 1 << 24 else { throw EngineError(.format, "implausible GGUF counts", location: url.path) }
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<kvCount {
            let key = try reader.string()
            metadata[key] = try reader.value(type: try reader.u32())
        }
        var infos: [(name: String, shape: [Int], type: UInt32, offset: Int)] = []
        for _ in 0..<tensorCount {
            let name = try reader.string()
            let dims = Int(try reader.u32())
            guard dims <= 8 else { throw EngineError(.format, "tensor \(name) has \(dims) dimensions", location: url.path) }
            var shape: [Int] = []
            for _ in 0..<dims { shape.append(Int(truncatingIfNeeded: try reader.u64())) }
            var total = 1
            for n in shape {
                let (product, overflow) = total.multipliedReportingOverflow(by: n)
                guard !overflow, n >= 0, product < 1 << 40 else {
                    throw EngineError(.format, "tensor \(name) has an implausible shape \(shape)", location: url.path)
                }
                total = product
            }
            let type = try reader.u32(), offset = try reader.u64()
            guard offset < UInt64(file.size) else {
                throw EngineError(.format, "truncated: tensor \(name) starts past the end of the file", location: url.path)
            }
            infos.append((name, Array(shape.reversed()), type, Int(offset)))
        }
        let alignment = metadata["general.alignment"]?.int ?? 32
        guard alignment > 0 && alignment <= 1 << 16 else {
            throw EngineError(.format, "implausible general.alignment \(alignment)", location: url.path)
        }
        let dataStart = (reader.position + alignment - 1) / alignment * alignment
        let arch = metadata["general.architecture"]?.string ?? "?"
        let store = TensorStore(location: url)
        for (i, info) in infos.enumerated() {
            let count = info.shape.reduce(1, *)
            let start = dataStart + info.offset
            let end = i + 1 < infos.count ? dataStart + infos[i + 1].offset : file.size
            let size = GGMLType(rawValue: info.type)?.bytes(count) ?? (end - start)
            guard start >= dataStart, start + size <= file.size else {
                throw EngineError(.format, "truncated: tensor \(info.name) ends at byte \(start + size) but the file has \(file.size) bytes", location: url.path)
            }
            var entry = TensorEntry(file: file, dtype: "ggml:\(info.type)", shape: info.shape, start: start, end: start + size)
            if arch == "llama" {
                if info.name.hasSuffix("attn_q.weight") { entry.interleavedHeads = metadata["llama.attention.head_count"]?.int }
                if info.name.hasSuffix("attn_k.weight") {
                    entry.interleavedHeads = metadata["llama.attention.head_count_kv"]?.int ?? metadata["llama.attention.head_count"]?.int
                }
            }
            store.entries[info.name] = entry
            store.aliases[Self.huggingFaceName(info.name)] = info.name
        }
        self.metadata = metadata
        self.store = store
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
    func configuration() throws -> ModelConfiguration {
        let location = store.directory.path
        guard let arch = metadata["general.architecture"]?.string else {
            throw EngineError(.configuration, "missing metadata general.architecture", location: location)
        }
        guard arch == "llama" || arch == "qwen2" else {
            throw EngineError(.unsupported, "GGUF architecture \"\(arch)\" is not supported (llama, qwen2)", location: location)
        }
        func int(_ key: String) throws -> Int {
            guard let v = metadata["\(arch).\(key)"]?.int else {
                throw EngineError(.configuration, "missing metadata \(arch).\(key)", location: location)
            }
            return v
        }
        let embedShape = store.entries["token_embd.weight"]?.shape
        var vocab = metadata["\(arch).vocab_size"]?.int
        if vocab == nil, case .array(let n)? = metadata["tokenizer.ggml.tokens"] { vocab = n }
        guard let vocabSize = vocab ?? embedShape?.first else {
            throw EngineError(.configuration, "cannot tell the vocabulary size (no \(arch).vocab_size, tokens or token_embd)", location: location)
        }
        let heads = try int("attention.head_count")
        let text = TextConfiguration(
            modelType: arch, vocabSize: vocabSize, hiddenSize: try int("embedding_length"),
            intermediateSize: try int("feed_forward_length"), numHiddenLayers: try int("block_count"),
            numAttentionHeads: heads, numKeyValueHeads: metadata["\(arch).attention.head_count_kv"]?.int ?? heads,
            headDim: metadata["\(arch).attention.key_length"]?.int ?? metadata["\(arch).rope.dimension_count"]?.int,
            rmsNormEps: metadata["\(arch).attention.layer_norm_rms_epsilon"]?.double,
            ropeTheta: metadata["\(arch).rope.freq_base"]?.double,
            tieWordEmbeddings: store.entries["output.weight"] == nil,
            eosTokenId: metadata["tokenizer.ggml.eos_token_id"]?.int.map(IntOrList.single),
            bosTokenId: metadata["tokenizer.ggml.bos_token_id"]?.int.map(IntOrList.single),
            maxPositionEmbeddings: metadata["\(arch).context_length"]?.int)
        if let scaling = metadata["\(arch).rope.scaling.type"]?.string, scaling != "none" {
            throw EngineError(.unsupported, "GGUF rope scaling \"\(scaling)\" is not supported", location: location)
        }
        let config = ModelConfiguration(text: text)
        try config.validate(location)
        return config
    }

    /// A bounds-checked cursor over the mapped bytes.
    struct Reader {
        let file: MappedFile
        var position = 0

        mutating func bytes(_ n: Int) throws -> [UInt8] {
            try need(n)
            defer { position += n }
            return Array(UnsafeRawBufferPointer(start: file.base + position, count: n))
        }
        mutating func need(_ n: Int) throws {
            guard n >= 0, position + n <= file.size else {
                throw EngineError(.format, "truncated GGUF header at byte \(position)", location: file.url.path)
            }
        }
        mutating func load<T>(_ type: T.Type) throws -> T {
            try need(MemoryLayout<T>.size)
            defer { position += MemoryLayout<T>.size }
            return file.base.loadUnaligned(fromByteOffset: position, as: T.self)
        }
        mutating func u32() throws -> UInt32 { try load(UInt32.self) }
        mutating func u64() throws -> UInt64 { try load(UInt64.self) }
        mutating func string() throws -> String {
            let n = Int(try u64())
            guard n < 1 << 30 else { throw EngineError(.format, "implausible string length \(n) at byte \(position)", location: file.url.path) }
            return String(decoding: try bytes(n), as: UTF8.self)
        }
        mutating func value(type: UInt32) throws -> GGUFValue {
            switch type {
            case 0: return .int(Int(try load(UInt8.self)))
            case 1: return .int(Int(try load(Int8.self)))
            case 2: return .int(Int(try load(UInt16.self)))
            case 3: return .int(Int(try load(Int16.self)))
            case 4: return .int(Int(try load(UInt32.self)))
            case 5: return .int(Int(try load(Int32.self)))
            case 6: return .float(Double(try load(Float.self)))
            case 7: return .bool(try load(UInt8.self) != 0)
            case 8: return .string(try string())
            case 9:
                let elementType = try u32(), count = Int(try u64())
                guard count < 1 << 28 else { throw EngineError(.format, "implausible array length \(count)", location: file.url.path) }
                for _ in 0..<count { _ = try value(type: elementType) }
                return .array(count: count)
            case 10: return .int(Int(truncatingIfNeeded: try load(UInt64.self)))
            case 11: return .int(Int(try load(Int64.self)))
            case 12: return .float(try load(Double.self))
            default: throw EngineError(.format, "unknown GGUF value type \(type) at byte \(position)", location: file.url.path)
            }
        }
    }
}
