
/// Why an ONNX file could not be read.
public struct ONNXError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// The weights and node wiring of an ONNX model, read from its protobuf without executing it.
///
/// HeadScope reads ONNX files only to take pretrained weights out of them (the built-in model's
/// DINOv2 tower ships as ONNX). Tensors are float32 views into the memory-mapped file.
public struct ONNXModel: Sendable {
    /// A float32 initializer: its shape and where its bytes are in the file.
    public struct Initializer: Sendable {
        public var name: String
        public var shape: [Int]
        var range: Range<Int>
    }

    /// A graph node: its name, operator and the value names it consumes and produces.
    public struct Node: Sendable {
        public var name: String
        public var opType: String
        public var inputs: [String]
        public var outputs: [String]
    }

    public let path: String
    public let initializers: [String: Initializer]
    public let nodes: [Node]
    let file: MappedFile

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        var model = ProtobufReader(bytes: file.bytes, range: 0..<file.bytes.count, path: path)
        var graph: ProtobufReader?
        while graph == nil, let field = try model.next() {
            if field.number == 7 && field.wireType == .lengthDelimited { graph = model.message(field) }
        }
        guard var graph else { throw ONNXError(path: path, message: "no graph in the model (is this an ONNX file?)") }
        var initializers: [String: Initializer] = [:]
        var nodes: [Node] = []
        while let field = try graph.next() {
            switch field.number {
            case 1: nodes.append(try Self.node(graph.message(field)))
            case 5:
                let tensor = try Self.initializer(graph.message(field))
                initializers[tensor.name] = tensor
            default: continue
            }
        }
        self.path = path
        self.file = file
        self.initializers = initializers
        self.nodes = nodes
    }

    static func node(_ reader: ProtobufReader) throws -> Node {
        var reader = reader
        var node = Node(name: "", opType: "", inputs: [], outputs: [])
        while let field = try reader.next() {
            switch field.number {
            case 1: node.inputs.append(reader.string(field))
            case 2: node.outputs.append(reader.string(field))
            case 3: node.name = reader.string(field)
            case 4: node.opType = reader.string(field)
            default: continue
            }
        }
        return node
    }

    static func initializer(_ reader: ProtobufReader) throws -> Initializer {
        var reader = reader
        var dims: [Int64] = []
        var dataType: UInt64 = 0
        var name = ""
        var raw: Range<Int>?
        var external = false
        while let field = try reader.next() {
            switch field.number {
            case 1: dims += try reader.int64s(field)
            case 2: dataType = field.scalar
            case 4: raw = field.payload    // float_data, packed little-endian floats
            case 8: name = reader.string(field)
            case 9: raw = field.payload
            case 14: external = field.scalar == 1
            default: continue
            }
        }
        let shape = dims.map(Int.init)
        guard !external else {
            throw ONNXError(path: reader.path, message: "initializer '\(name)' is stored in an external file, which is not supported")
        }
        guard dataType == 1 else {
            throw ONNXError(path: reader.path, message: "initializer '\(name)' has ONNX data type \(dataType); only float32 (1) is supported")
        }
        let count = shape.reduce(1, *)
        guard let raw, raw.count == count * 4 else {
            throw ONNXError(path: reader.path, message: "initializer '\(name)' has \(raw?.count ?? 0) bytes, expected \(count * 4) for shape \(shape)")
        }
        return Initializer(name: name, shape: shape, range: raw)
    }

    /// The values of an initializer, copied out of the mapping.
    public func floats(_ name: String) throws -> [Float] {
        guard let tensor = initializers[name] else {
            throw ONNXError(path: path, message: "no initializer named '\(name)'")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[tensor.range])
        return [Float](unsafeUninitializedCapacity: bytes.count / 4) { buffer, count in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)  // little-endian host
            count = bytes.count / 4
        }
    }

    /// The nodes consuming a value, by value name.
    public func consumers(of value: String) -> [Node] {
        nodes.filter { $0.inputs.contains(value) }
    }
}
