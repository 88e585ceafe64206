/// GPT-2's reversible byte-to-character map: printable Latin-1 bytes map to themselves and the
/// other 68 bytes to U+0100 onwards, so every byte sequence becomes visible, space-free text.
enum ByteLevelMapping {
    static let byteToScalar: [Unicode.Scalar] = {
        var printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for b in printable { table[b] = Unicode.Scalar(UInt8(b)) }
        var next: UInt32 = 256
        let printableSet = Set(printable)
        for b in 0..<256 where !printableSet.contains(b) {
            table[b] = Unicode.Scalar(UInt16(next)).map { $0 } ?? " "
            next += 1
        }
        printable.removeAll()
        return table
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, scalar) in byteToScalar.enumerated() { map[scalar.value] = UInt8(b) }
        return map
    }()

    /// Maps the UTF-8 bytes of `scalars` to byte-level characters.
    static func encode(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count * 2)
        for scalar in scalars {
            appendUTF8(scalar) { out.append(byteToScalar[Int($0)]) }
        }
        return out
    }

    /// Calls `body` with each UTF-8 byte of `scalar`.
    @inline(__always) static func appendUTF8(_ scalar: Unicode.Scalar, _ body: (UInt8) -> Void) {
        let v = scalar.value
        switch v {
        case 0..<0x80:
            body(UInt8(v))
        case 0x80..<0x800:
            body(UInt8(0xC0 | (v >> 6))); body(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            body(UInt8(0xE0 | (v >> 12))); body(UInt8(0x80 | ((v >> 6) & 0x3F))); body(UInt8(0x80 | (v & 0x3F)))
        default:
            body(UInt8(0xF0 | (v >> 18))); body(UInt8(0x80 | ((v >> 12) & 0x3F)))
            body(UInt8(0x80 | ((v >> 6) & 0x3F))); body(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
