/// Which transformer a head reference addresses.
public enum Tower: String, Codable, Sendable, Hashable {
    case language, vision
}

/// A set of absolute token positions.
///
/// Language positions index the full decoder sequence (prompt then generated tokens); a generated
/// token's position is where it sits once fed back in, so the last generated token (never fed back)
/// has no activations. Vision positions index the tower's own sequence (CLS first when the tower
/// has one, then patches row by row). JSON: `{"kind": "all" | "prompt" | "generated"}`,
/// `{"kind": "list", "positions": [..]}`, `{"kind": "range", "start": a, "end": b}` (end exclusive).
public enum PositionSelector: Codable, Sendable, Hashable {
    /// Every position.
    case all
    /// Prompt positions (`< promptLength`); for the vision tower, every position.
    case prompt
    /// Generated positions (`>= promptLength`); for the vision tower, none.
    case generated
    case list([Int])
    case range(Int, Int)

    /// Whether the selector holds `position`, given the run's prompt length.
    public func contains(_ position: Int, promptLength: Int, tower: Tower) -> Bool {
        switch self {
        case .all: return true
        case .prompt: return tower == .vision || position < promptLength
        case .generated: return tower == .language && position >= promptLength
        case .list(let p): return p.contains(position)
        case .range(let a, let b): return position >= a && position < b
        }
    }

    enum CodingKeys: String, CodingKey { case kind, positions, start, end }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "all": self = .all
        case "prompt": self = .prompt
        case "generated": self = .generated
        case "list": self = .list(try c.decode([Int].self, forKey: .positions))
        case "range": self = .range(try c.decode(Int.self, forKey: .start), try c.decode(Int.self, forKey: .end))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown position selector \"\(kind)\" (all, prompt, generated, list, range)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .all: try c.encode("all", forKey: .kind)
        case .prompt: try c.encode("prompt", forKey: .kind)
        case .generated: try c.encode("generated", forKey: .kind)
        case .list(let p): try c.encode("list", forKey: .kind); try c.encode(p, forKey: .positions)
        case .range(let a, let b): try c.encode("range", forKey: .kind); try c.encode(a, forKey: .start); try c.encode(b, forKey: .end)
        }
    }
}

/// What an edit does to one head's `z` slice (the head's part of the `o_proj` input).
/// JSON: `{"kind": "scale", "factor": s}`, `{"kind": "zero"}`, `{"kind": "replace" | "add", "vector": [..]}`.
public enum ZOperation: Codable, Sendable, Hashable {
    case scale(Float)
    case zero
    /// Replace by a `head_dim` vector (e.g. a mean activation: mean ablation).
    case replace([Float])
    /// Add a `head_dim` vector (steering).
    case add([Float])

    enum CodingKeys: String, CodingKey { case kind, factor, vector }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "scale": self = .scale(try c.decode(Float.self, forKey: .factor))
        case "zero": self = .zero
        case "replace": self = .replace(try c.decode([Float].self, forKey: .vector))
        case "add": self = .add(try c.decode([Float].self, forKey: .vector))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown z operation \"\(kind)\" (scale, zero, replace, add)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .scale(let s): try c.encode("scale", forKey: .kind); try c.encode(s, forKey: .factor)
        case .zero: try c.encode("zero", forKey: .kind)
        case .replace(let v): try c.encode("replace", forKey: .kind); try c.encode(v, forKey: .vector)
        case .add(let v): try c.encode("add", forKey: .kind); try c.encode(v, forKey: .vector)
        }
    }
}

/// Edit one query head's `z` at the selected positions before `o_proj` sees it.
public struct HeadEdit: Codable, Sendable, Hashable {
    public var tower: Tower
    public var layer: Int
    /// A query head (under grouped-query attention there is one `z` slice per query head).
    public var head: Int
    public var positions: PositionSelector
    public var operation: ZOperation

    public init(tower: Tower = .language, layer: Int, head: Int, positions: PositionSelector, operation: ZOperation) {
        self.tower = tower; self.layer = layer; self.head = head; self.positions = positions; self.operation = operation
    }
}

/// Replace the keys (post-RoPE) and values one query head sees at the given key positions.
///
/// Only that query head's attention changes: under grouped-query attention the other query heads
/// sharing the KV head still see the real keys and values, and the KV cache is untouched.
/// `keys` and `values` hold either one `head_dim` vector used at every position, or one vector
/// per position (`positions.count * head_dim` values, in the order of `positions`).
public struct KVReplacement: Codable, Sendable, Hashable {
    public var tower: Tower
    public var layer: Int
    public var head: Int
    public var positions: [Int]
    public var keys: [Float]
    public var values: [Float]

    public init(tower: Tower = .language, layer: Int, head: Int, positions: [Int], keys: [Float], values: [Float]) {
        self.tower = tower; self.layer = layer; self.head = head; self.positions = positions; self.keys = keys; self.values = values
    }
}

/// Block attention edges: scores from the selected query positions to the selected key positions
/// are set to -inf before the softmax, in the given layers and query heads (nil: all).
///
/// A query row whose every visible key would be blocked keeps its diagonal (the token attends to
/// itself), as a row of all -inf has no softmax; the same rule holds in both towers.
public struct AttentionBlock: Codable, Sendable, Hashable {
    public var tower: Tower
    public var layers: [Int]?
    public var heads: [Int]?
    public var queryPositions: PositionSelector
    public var keyPositions: PositionSelector

    enum CodingKeys: String, CodingKey {
        case tower, layers, heads, queryPositions = "query_positions", keyPositions = "key_positions"
    }

    public init(tower: Tower = .language, layers: [Int]? = nil, heads: [Int]? = nil,
                queryPositions: PositionSelector, keyPositions: PositionSelector) {
        self.tower = tower; self.layers = layers; self.heads = heads
        self.queryPositions = queryPositions; self.keyPositions = keyPositions
    }
}

/// Record something for the heads `layers x heads` (nil: all) at the selected positions.
public struct CaptureRequest: Codable, Sendable, Hashable {
    public var tower: Tower
    public var layers: [Int]?
    public var heads: [Int]?
    /// For attention captures, the query positions.
    public var positions: PositionSelector

    public init(tower: Tower = .language, layers: [Int]? = nil, heads: [Int]? = nil, positions: PositionSelector) {
        self.tower = tower; self.layers = layers; self.heads = heads; self.positions = positions
    }
}

/// A declarative interpretability plan passed to a run: what to capture and what to change.
///
/// Semantics, in the order they act inside an attention layer:
/// 1. keys/values: `kvReplacements` swap baseline vectors in for one query head's view (see
///    `KVReplacement`);
/// 2. scores: `blocks` set blocked scores to -inf, then the softmax; `attentionCaptures` record the
///    post-softmax probabilities of the selected query rows (one value per key position; rows are
///    zero-padded to the longest key range in the run);
/// 3. z: the head outputs are edited by `edits` (in plan order), then `zCaptures` record `z` as
///    `o_proj` receives it (after edits);
/// `kvCaptures` record, for each selected query head, the post-RoPE key and the value of its KV
/// head at the selected positions as computed by the model (before replacements).
/// Vision-tower elements apply to every image of the run; vision captures need a single image.
public struct InterpretabilityPlan: Codable, Sendable, Hashable {
    public var edits: [HeadEdit]
    public var kvReplacements: [KVReplacement]
    public var blocks: [AttentionBlock]
    public var zCaptures: [CaptureRequest]
    public var attentionCaptures: [CaptureRequest]
    public var kvCaptures: [CaptureRequest]

    enum CodingKeys: String, CodingKey {
        case edits, kvReplacements = "kv_replacements", blocks, zCaptures = "z_captures"
        case attentionCaptures = "attention_captures", kvCaptures = "kv_captures"
    }

    public init(edits: [HeadEdit] = [], kvReplacements: [KVReplacement] = [], blocks: [AttentionBlock] = [],
                zCaptures: [CaptureRequest] = [], attentionCaptures: [CaptureRequest] = [], kvCaptures: [CaptureRequest] = []) {
        self.edits = edits; self.kvReplacements = kvReplacements; self.blocks = blocks
        self.zCaptures = zCaptures; self.attentionCaptures = attentionCaptures; self.kvCaptures = kvCaptures
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        edits = try c.decodeIfPresent([HeadEdit].self, forKey: .edits) ?? []
        kvReplacements = try c.decodeIfPresent([KVReplacement].self, forKey: .kvReplacements) ?? []
        blocks = try c.decodeIfPresent([AttentionBlock].self, forKey: .blocks) ?? []
        zCaptures = try c.decodeIfPresent([CaptureRequest].self, forKey: .zCaptures) ?? []
        attentionCaptures = try c.decodeIfPresent([CaptureRequest].self, forKey: .attentionCaptures) ?? []
        kvCaptures = try c.decodeIfPresent([CaptureRequest].self, forKey: .kvCaptures) ?? []
    }

    /// Whether anything in the plan addresses the vision tower.
    public var touchesVision: Bool {
        edits.contains { $0.tower == .vision } || kvReplacements.contains { $0.tower == .vision }
            || blocks.contains { $0.tower == .vision } || zCaptures.contains { $0.tower == .vision }
            || attentionCaptures.contains { $0.tower == .vision } || kvCaptures.contains { $0.tower == .vision }
    }

    /// Whether the plan changes any decoder computation (edits, replaced keys or values, blocked
    /// attention); a plan of captures only observes.
    public var changesLanguageComputation: Bool {
        edits.contains { $0.tower == .language } || kvReplacements.contains { $0.tower == .language }
            || blocks.contains { $0.tower == .language }
    }

    /// The first decoder position whose computation the plan could change or observe (nil: none).
    ///
    /// Attention is causal, so every position before it computes exactly as without the plan:
    /// a cached prefix is valid up to there.
    public func firstLanguagePosition(promptLength: Int) -> Int? {
        func first(_ s: PositionSelector) -> Int? {
            switch s {
            case .all, .prompt: return 0
            case .generated: return promptLength
            case .list(let p): return p.min()
            case .range(let a, let b): return a < b ? a : nil
            }
        }
        var candidates: [Int] = []
        candidates += edits.filter { $0.tower == .language }.compactMap { first($0.positions) }
        candidates += kvReplacements.filter { $0.tower == .language }.compactMap { $0.positions.min() }
        candidates += blocks.filter { $0.tower == .language }.compactMap { first($0.queryPositions) }
        candidates += (zCaptures + attentionCaptures + kvCaptures).filter { $0.tower == .language }.compactMap { first($0.positions) }
        return candidates.min().map { max(0, $0) }
    }
}
