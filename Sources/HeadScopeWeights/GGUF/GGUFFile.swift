/// A GGUF (v2 or v3) model file: its metadata and the tensors it holds, memory-mapped.
///
/// Layout (ggml's `docs/gguf.md`): magic `GGUF`, version, tensor count, metadata count, the
/// metadata key/values, the tensor infos (name, dims with the fastest-varying first, type,
/// offset), padding to `general.alignment` (32 by default), then the tensor data.
public struct GGUFFile: Sendable {
    /// Where a tensor sits in the file and how it is stored.
    public struct TensorInfo: Sendable {
        public var name: String
        /// Row-major shape (slowest dimension first), i.e. GGUF's `ne` reversed: a weight that
        /// transformers holds as `[out, in]` has shape `[out, in]` here.
        public var shape: [Int]
        public var type: GGUFTensorType
        /// Byte offset from the start of the file.
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var byteCount: Int { type.byteCount(values: count) }
    }

    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [TensorInfo]
    public let file: MappedFile
    private let index: [String: Int]

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        var reader = Reader(bytes: file.bytes, path: path)
        guard try reader.bytes(4).elementsEqual(Array("GGUF".utf8)) else {
            throw GGUFError(path, "not a GGUF file (the first bytes are not 'GGUF')")
        }
        let version = try reader.u32()
        guard version == 2 || version == 3 else {
            throw GGUFError(path, "GGUF version \(version) is not supported (only 2 and 3)")
        }
        let tensorCount = try reader.count("tensor count")
        let metadataCount = try reader.count("metadata count")
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<metadataCount {
            let key = try reader.string()
            let type = try reader.u32()
            metadata[key] = try reader.value(type: type, key: key)
        }
        var infos: [TensorInfo] = []
        infos.reserveCapacity(tensorCount)
        for _ in 0..<tensorCount {
            let name = try reader.string()
            let rank = Int(try reader.u32())
            guard (1...8).contains(rank) else { throw GGUFError(path, "tensor '\(name)': bad rank \(rank)") }
            var ne: [Int] = []
            for _ in 0..<rank { ne.append(try reader.count("dimension of '\(name)'")) }
            let rawType = try reader.u32()
            guard let type = GGUFTensorType(rawValue: rawType) else {
                throw GGUFError(path, "tensor '\(name)': storage type \(rawType) is not supported " +
                                "(supported: \(GGUFTensorType.allCases.map(\.name).joined(separator: ", ")))")
            }
            let offset = try reader.count("offset of '\(name)'")
            if ne[0] % type.blockLayout.values != 0 {
                throw GGUFError(path, "tensor '\(name)': row length \(ne[0]) is not a multiple of the \(type.name) block size")
            }
            infos.append(TensorInfo(name: name, shape: ne.reversed(), type: type, offset: offset))
        }
        let alignment = metadata["general.alignment"]?.intValue ?? 32
        guard alignment > 0 else { throw GGUFError(path, "general.alignment is \(alignment)") }
        let dataStart = (reader.position + alignment - 1) / alignment * alignment
        for i in infos.indices {
            infos[i].offset += dataStart
            let end = infos[i].offset + infos[i].byteCount
            guard end <= file.bytes.count else {
                throw GGUFError(path, "tensor '\(infos[i].name)' ends at byte \(end) but the file has \(file.bytes.count) bytes (truncated?)")
            }
        }
        self.path = path
        self.version = version
        self.metadata = metadata
        self.tensors = infos
        self.file = file
        self.index = Dictionary(infos.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The info of the tensor called `name`, or nil.
    public func tensor(named name: String) -> TensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The raw stored bytes of a tensor.
    public func rawBytes(of info: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[info.offset..<(info.offset + info.byteCount)])
    }

    /// The tensor dequantized to float32, in row-major order of `info.shape`.
    public func floats(_ name: String) throws -> (shape: [Int], values: [Float]) {
        guard let info = tensor(named: name) else {
            throw GGUFError(path, "no tensor named '\(name)'")
        }
        var values = [Float](repeating: 0, count: info.count)
        values.withUnsafeMutableBufferPointer { out in
            GGUFDequantize.dequantize(rawBytes(of: info), type: info.type, into: out)
        }
        return (info.shape, values)
    }

    /// A required metadata value, with an error naming the key when it is missing.
    public func require(_ key: String) throws -> GGUFValue {
        guard let value = metadata[key] else { throw GGUFError(path, "metadata key '\(key)' is missing") }
        return value
    }
}

/// A bounds-checked little-endian cursor over the mapped header.
private struct Reader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var position = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, position + n <= bytes.count else {
            throw GGUFError(path, "header truncated at byte \(position) (wanted \(n) more bytes)")
        }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type) throws -> T {
        T(littleEndian: try bytes(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    mutating func u32() throws -> UInt32 { try load(UInt32.self) }

    /// A u64 count that must be a plausible size.
    mutating func count(_ what: String) throws -> Int {
        let v = try load(UInt64.self)
        guard v <= UInt64(bytes.count) * 8 + 1 << 20 else { throw GGUFError(path, "implausible \(what): \(v)") }
        return Int(v)
    }

    mutating func string() throws -> String {
        let n = try count("string length")
        return String(decoding: try bytes(n), as: UTF8.self)
    }

    mutating func value(type: UInt32, key: String) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try load(UInt8.self)))
        case 1: return .int(Int64(try load(Int8.self)))
        case 2: return .uint(UInt64(try load(UInt16.self)))
        case 3: return .int(Int64(try load(Int16.self)))
        case 4: return .uint(UInt64(try load(UInt32.self)))
        case 5: return .int(Int64(try load(Int32.self)))
        case 6: return .float(Double(Float(bitPattern: try load(UInt32.self))))
        case 7: return .bool(try load(UInt8.self) != 0)
        case 8: return .string(try string())
        case 9:
            let elementType = try u32()
            let n = try count("array length of '\(key)'")
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(type: elementType, key: key)) }
            return .array(items)
        case 10: return .uint(try load(UInt64.self))
        case 11: return .int(try load(Int64.self))
        case 12: return .float(Double(bitPattern: try load(UInt64.self)))
        default: throw GGUFError(path, "metadata '\(key)': unknown value type \(type)")
        }
    }
}
