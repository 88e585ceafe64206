/// A minimal reader of the protobuf wire format: enough to walk ONNX's ModelProto without a
/// protobuf dependency (HeadScope needs only the initializers and the node names of a graph).
struct ProtobufReader {
    enum WireType: UInt8 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    /// One field of a message: its number and either a scalar or the byte range of its payload.
    struct Field {
        var number: Int
        var wireType: WireType
        var scalar: UInt64
        var payload: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    let path: String
    var position: Int
    let end: Int

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>, path: String) {
        self.bytes = bytes
        self.path = path
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    func error(_ message: String) -> ONNXError {
        ONNXError(path: path, message: "malformed protobuf at byte \(position): \(message)")
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end, shift < 64 else { throw error("truncated varint") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> Field? {
        guard position < end else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw error("unsupported wire type \(key & 7)")
        }
        let number = Int(key >> 3)
        switch wireType {
        case .varint:
            return Field(number: number, wireType: wireType, scalar: try varint(), payload: position..<position)
        case .fixed64, .fixed32:
            let size = wireType == .fixed64 ? 8 : 4
            guard position + size <= end else { throw error("truncated fixed field") }
            var value: UInt64 = 0
            for i in 0..<size { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
            position += size
            return Field(number: number, wireType: wireType, scalar: value, payload: position..<position)
        case .lengthDelimited:
            let length = Int(try varint())
            guard length >= 0, position + length <= end else { throw error("field \(number) runs past its message") }
            defer { position += length }
            return Field(number: number, wireType: wireType, scalar: 0, payload: position..<(position + length))
        }
    }

    func string(_ field: Field) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.payload]), as: UTF8.self)
    }

    func message(_ field: Field) -> ProtobufReader {
        ProtobufReader(bytes: bytes, range: field.payload, path: path)
    }

    /// Varints of a repeated scalar field, packed or not.
    func int64s(_ field: Field) throws -> [Int64] {
        if field.wireType == .varint { return [Int64(bitPattern: field.scalar)] }
        var inner = message(field)
        var values: [Int64] = []
        while inner.position < inner.end { values.append(Int64(bitPattern: try inner.varint())) }
        return values
    }
}
