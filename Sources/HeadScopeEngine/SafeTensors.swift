import Foundation

/// A read-only memory map of one file, unmapped when the last reference goes.
final class MappedFile: @unchecked Sendable {
    let url: URL
    let base: UnsafeRawPointer
    let size: Int

    init(_ url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw EngineError(.io, "cannot open (\(String(cString: strerror(errno))))", location: url.path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw EngineError(.io, "cannot stat (\(String(cString: strerror(errno))))", location: url.path)
        }
        size = Int(info.st_size)
        guard size > 0 else { throw EngineError(.format, "file is empty", location: url.path) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw EngineError(.io, "cannot map (\(String(cString: strerror(errno))))", location: url.path)
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

/// Element types a safetensors checkpoint may store; all are widened to fp32 at load.
enum StoredType: String {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    var size: Int { self == .f32 ? 4 : 2 }
}

/// Where one tensor lives inside a mapped checkpoint file, and how its bytes decode.
struct TensorEntry {
    var file: MappedFile
    /// A safetensors dtype name (`F32`, `F16`, `BF16`).
    var dtype: String
    var shape: [Int]
    var start: Int   // absolute byte offsets in the file
    var end: Int
}

/// The tensors of a Hugging Face checkpoint folder: one `model.safetensors` or shards listed by
/// `model.safetensors.index.json`, memory-mapped; a tensor is converted to fp32 when it is loaded.
public final class TensorStore: @unchecked Sendable {
    var entries: [String: TensorEntry] = [:]
    /// Normalised name -> stored name (see `normalise`).
    var aliases: [String: String] = [:]
    /// The checkpoint folder.
    public let directory: URL

    /// Where configuration problems are reported: the folder's `config.json`.
    public var configLocation: String { directory.appendingPathComponent("config.json").path }

    /// Opens the safetensors of `directory`, checking every header against its file's size.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        let single = directory.appendingPathComponent("model.safetensors")
        var files: [String] = []
        if fm.fileExists(atPath: index.path) {
            guard let data = fm.contents(atPath: index.path),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw EngineError(.format, "not a safetensors index (no \"weight_map\" object)", location: index.path)
            }
            files = Array(Set(map.values)).sorted()
            for file in files where !fm.fileExists(atPath: directory.appendingPathComponent(file).path) {
                throw EngineError(.io, "shard \(file) listed in the index is missing", location: index.path)
            }
        } else if fm.fileExists(atPath: single.path) {
            files = ["model.safetensors"]
        } else {
            let any = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
            guard !any.isEmpty else {
                throw EngineError(.io, "no model.safetensors, model.safetensors.index.json or *.safetensors found", location: directory.path)
            }
            files = any
        }
        for file in files { try read(directory.appendingPathComponent(file)) }
        for name in entries.keys { aliases[Self.normalise(name)] = name }
    }

    /// Opens one safetensors file (e.g. a connector stored next to other parts).
    public init(file: URL) throws {
        directory = file.deletingLastPathComponent()
        try read(file)
        for name in entries.keys { aliases[Self.normalise(name)] = name }
    }

    private func read(_ url: URL) throws {
        let file = try MappedFile(url)
        guard file.size >= 8 else { throw EngineError(.format, "truncated: \(file.size) bytes, too short for a safetensors header", location: url.path) }
        let headerLength = Int(file.base.loadUnaligned(as: UInt64.self).littleEndian)
        guard headerLength > 0, headerLength <= file.size - 8 else {
            throw EngineError(.format, "truncated or corrupt: header claims \(headerLength) bytes but the file has \(file.size - 8) after the length", location: url.path)
        }
        let header = Data(bytes: file.base + 8, count: headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw EngineError(.format, "header is not a JSON object", location: url.path)
        }
        let dataStart = 8 + headerLength
        for (name, value) in json where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2, offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] < 1 << 50,
                  shape.allSatisfy({ $0 >= 0 && $0 < 1 << 32 }) else {
                throw EngineError(.format, "malformed header entry for tensor \(name)", location: url.path)
            }
            let start = dataStart + offsets[0], end = dataStart + offsets[1]
            guard end <= file.size else {
                throw EngineError(.format, "truncated: tensor \(name) ends at byte \(end) but the file has \(file.size) bytes", location: url.path)
            }
            entries[name] = TensorEntry(file: file, dtype: dtype, shape: shape, start: start, end: end)
        }
    }

    /// Maps the key layouts checkpoints use onto one: `language_model.model.X` and
    /// `model.language_model.X` become `language_model.X`; `language_model.lm_head` becomes
    /// `lm_head`; `vision_tower.vision_model.X` and `model.vision_tower.X` become `vision_tower.X`;
    /// text-only checkpoints' `model.X` becomes `language_model.X`; DINOv2's older attention names
    /// (`attention.attention.query`, `attention.output.dense`) become `attention.q_proj` / `o_proj`.
    static func normalise(_ name: String) -> String {
        var n = name
        func replacePrefix(_ old: String, _ new: String) -> Bool {
            guard n.hasPrefix(old) else { return false }
            n = new + n.dropFirst(old.count)
            return true
        }
        _ = replacePrefix("model.language_model.", "language_model.")
            || replacePrefix("model.vision_tower.", "vision_tower.")
            || replacePrefix("model.multi_modal_projector.", "multi_modal_projector.")
            || replacePrefix("language_model.model.", "language_model.")
            || replacePrefix("language_model.lm_head.", "lm_head.")
            || replacePrefix("model.visual.", "visual.")
            || replacePrefix("model.", "language_model.")
        _ = replacePrefix("vision_tower.vision_model.", "vision_tower.")
        for (old, new) in [("attention.attention.query", "attention.q_proj"), ("attention.attention.key", "attention.k_proj"),
                           ("attention.attention.value", "attention.v_proj"), ("attention.output.dense", "attention.o_proj")] {
            n = n.replacingOccurrences(of: old, with: new)
        }
        return n
    }


    /// Loads the tensor with normalised name `name` as fp32, checking its shape.
    public func load(_ name: String, shape expected: [Int]) throws -> Tensor {
        guard let stored = aliases[name], let entry = entries[stored] else {
            throw EngineError(.missingTensor, "missing tensor \(name) (expected shape \(expected))", location: directory.path)
        }
        let where_ = entry.file.url.path
        guard entry.shape == expected else {
            throw EngineError(.shape, "tensor \(stored) has shape \(entry.shape), expected \(expected)", location: where_)
        }
        let count = expected.reduce(1, *)
        let tensor = Tensor(shape: expected)
        let source = entry.file.base + entry.start
        let out = tensor.pointer
        guard let type = StoredType(rawValue: entry.dtype) else {
            throw EngineError(.dtype, "tensor \(stored) has dtype \(entry.dtype); supported: F32, F16, BF16", location: where_)
        }
        guard entry.end - entry.start == count * type.size else {
            throw EngineError(.format, "tensor \(stored) holds \(entry.end - entry.start) bytes, expected \(count * type.size) for \(entry.dtype) \(expected)", location: where_)
        }
        switch type {
        case .f32:
            memcpy(out, source, count * 4)
        case .f16:
            for i in 0..<count { out[i] = Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        }
        return tensor
    }

    /// Loads the tensor if present, else nil (for optional biases).
    public func loadIfPresent(_ name: String, shape: [Int]) throws -> Tensor? {
        contains(name) ? try load(name, shape: shape) : nil
    }
}
