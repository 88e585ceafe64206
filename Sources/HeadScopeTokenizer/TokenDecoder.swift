/// The `decoder` of `tokenizer.json`: turns token strings back into text.
indirect enum TokenDecoder {
    case byteLevel
    case replace(TextPattern, [Unicode.Scalar])
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case metaspace(replacement: Unicode.Scalar, scheme: PrependScheme)
    case sequence([TokenDecoder])

    static func parse(_ json: JSONValue?, file: String, key: String = "decoder") throws -> TokenDecoder? {
        guard let json else { return nil }
        guard let type = json["type"]?.string else {
            throw TokenizerError(file: file, key: key, message: "decoder has no \"type\"")
        }
        switch type {
        case "ByteLevel": return .byteLevel
        case "Replace":
            let pattern = try TextPattern.parse(json["pattern"], file: file, key: "\(key).pattern")
            return .replace(pattern, Array((json["content"]?.string ?? "").unicodeScalars))
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            let content = json["content"]?.string?.unicodeScalars.first ?? " "
            return .strip(content: content, start: max(0, json["start"]?.int ?? 0), stop: max(0, json["stop"]?.int ?? 0))
        case "Metaspace":
            let replacement = (json["replacement"]?.string ?? "▁").unicodeScalars.first ?? "▁"
            let scheme = json["prepend_scheme"]?.string.flatMap(PrependScheme.init(rawValue:))
                ?? ((json["add_prefix_space"]?.bool ?? true) ? .always : .never)
            return .metaspace(replacement: replacement, scheme: scheme)
        case "Sequence":
            let items = json["decoders"]?.array ?? []
            return .sequence(try items.enumerated().compactMap { index, item in
                try parse(item, file: file, key: "\(key).decoders[\(index)]")
            })
        default:
            throw TokenizerError(file: file, key: key, message: "decoder type \"\(type)\" is not supported",
                                 hint: "supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence")
        }
    }

    /// `decode_chain`: each decoder maps the list of token strings to a new list.
    func decodeChain(_ tokens: [[Unicode.Scalar]]) -> [[Unicode.Scalar]] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        case .byteLevel:
            // Characters outside the byte map (e.g. added tokens with spaces) make the whole token
            // fall back to its own UTF-8 bytes; invalid UTF-8 becomes U+FFFD.
            var bytes: [UInt8] = []
            for token in tokens {
                var mapped: [UInt8] = []
                mapped.reserveCapacity(token.count)
                var complete = true
                for scalar in token {
                    guard let byte = ByteLevelMapping.scalarToByte[scalar.value] else { complete = false; break }
                    mapped.append(byte)
                }
                if complete {
                    bytes.append(contentsOf: mapped)
                } else {
                    for scalar in token { ByteLevelMapping.appendUTF8(scalar) { bytes.append($0) } }
                }
            }
            return [Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)]
        case .replace(let pattern, let content):
            return tokens.map { pattern.replaceAll(in: $0, with: content) }
        case .byteFallback:
            var out: [[Unicode.Scalar]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let scalars = Self.validUTF8(pending) {
                    out.append(scalars)
                } else {
                    for _ in pending { out.append(["\u{FFFD}"]) }
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = Self.byteToken(token) {
                    pending.append(byte)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.flatMap { $0 }]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                var lower = 0
                for i in 0..<min(start, token.count) {
                    if token[i] == content { lower = i + 1 } else { break }
                }
                var upper = token.count
                if stop > 0 {
                    for i in 0..<min(stop, token.count) {
                        let index = token.count - i - 1
                        if token[index] == content { upper = index } else { break }
                    }
                }
                return lower < upper ? Array(token[lower..<upper]) : []
            }
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { index, token in
                var out: [Unicode.Scalar] = []
                for scalar in token {
                    if scalar == replacement {
                        if index == 0 && scheme != .never { continue }
                        out.append(" ")
                    } else {
                        out.append(scalar)
                    }
                }
                return out
            }
        }
    }

    /// The scalars of `bytes` if they are valid UTF-8, else nil.
    private static func validUTF8(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        var iterator = bytes.makeIterator()
        var codec = UTF8()
        var out: [Unicode.Scalar] = []
        while true {
            switch codec.decode(&iterator) {
            case .scalarValue(let scalar): out.append(scalar)
            case .emptyInput: return out
            case .error: return nil
            }
        }
    }

    /// The byte of a `<0xAB>` token.
    private static func byteToken(_ token: [Unicode.Scalar]) -> UInt8? {
        guard token.count == 6, token[0] == "<", token[1] == "0", token[2] == "x", token[5] == ">" else { return nil }
        func hex(_ c: Unicode.Scalar) -> UInt8? {
            switch c.value {
            case 0x30...0x39: return UInt8(c.value - 0x30)
            case 0x41...0x46: return UInt8(c.value - 0x41 + 10)
            case 0x61...0x66: return UInt8(c.value - 0x61 + 10)
            default: return nil
            }
        }
        guard let high = hex(token[3]), let low = hex(token[4]) else { return nil }
        return high << 4 | low
    }
}
