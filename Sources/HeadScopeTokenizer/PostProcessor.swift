/// The `post_processor` of `tokenizer.json`: adds special tokens (BOS/EOS) around one sequence
/// when `addSpecialTokens` is set. ByteLevel only moves offsets, so it leaves ids alone.
indirect enum PostProcessor {
    /// Template items: either fixed ids (a special token) or the sequence itself.
    case template([TemplateItem])
    case byteLevel
    case sequence([PostProcessor])

    enum TemplateItem: Equatable {
        case special([Int])
        case sequence
    }

    static func parse(_ json: JSONValue?, file: String, key: String = "post_processor") throws -> PostProcessor? {
        guard let json else { return nil }
        guard let type = json["type"]?.string else {
            throw TokenizerError(file: file, key: key, message: "post-processor has no \"type\"")
        }
        switch type {
        case "TemplateProcessing":
            var specials: [String: [Int]] = [:]
            for (name, value) in json["special_tokens"]?.object ?? [:] {
                specials[name] = (value["ids"]?.array ?? []).compactMap(\.int)
            }
            var items: [TemplateItem] = []
            for (index, piece) in (json["single"]?.array ?? []).enumerated() {
                if let special = piece["SpecialToken"], let name = special["id"]?.string {
                    guard let ids = specials[name] else {
                        throw TokenizerError(file: file, key: "\(key).single[\(index)]",
                                             message: "special token \"\(name)\" is missing from special_tokens")
                    }
                    items.append(.special(ids))
                } else if piece["Sequence"] != nil {
                    items.append(.sequence)
                } else {
                    throw TokenizerError(file: file, key: "\(key).single[\(index)]",
                                         message: "template piece must be SpecialToken or Sequence")
                }
            }
            return .template(items)
        case "RobertaProcessing", "BertProcessing":
            guard let cls = json["cls"]?.array, cls.count == 2, let clsID = cls[1].int,
                  let sep = json["sep"]?.array, sep.count == 2, let sepID = sep[1].int else {
                throw TokenizerError(file: file, key: key, message: "\(type) needs cls and sep as [token, id]")
            }
            return .template([.special([clsID]), .sequence, .special([sepID])])
        case "ByteLevel":
            return .byteLevel
        case "Sequence":
            let items = json["processors"]?.array ?? []
            return .sequence(try items.enumerated().compactMap { index, item in
                try parse(item, file: file, key: "\(key).processors[\(index)]")
            })
        default:
            throw TokenizerError(file: file, key: key, message: "post-processor type \"\(type)\" is not supported",
                                 hint: "supported: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence")
        }
    }

    func process(_ ids: [Int]) -> [Int] {
        switch self {
        case .byteLevel:
            return ids
        case .sequence(let steps):
            return steps.reduce(ids) { $1.process($0) }
        case .template(let items):
            var out: [Int] = []
            for item in items {
                switch item {
                case .special(let special): out.append(contentsOf: special)
                case .sequence: out.append(contentsOf: ids)
                }
            }
            return out
        }
    }
}
