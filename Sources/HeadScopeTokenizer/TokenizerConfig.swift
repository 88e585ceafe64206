import Foundation

/// What HeadScope reads from `tokenizer_config.json`: special tokens, BOS/EOS insertion and the
/// tokenizer class, whose transformers implementation may rebuild the pipeline.
struct TokenizerConfig {
    var tokenizerClass: String?
    var bosToken: String?
    var eosToken: String?
    var unkToken: String?
    var padToken: String?
    var extraSpecialTokens: [String] = []
    var addBosToken: Bool?
    var addEosToken: Bool?
    var addPrefixSpace: Bool?
    var legacy: Bool?
    var splitSpecialTokens = false
    var chatTemplate: String?
    var addedTokensDecoder: [AddedToken] = []
    /// Keys present in the file (a key set to null differs from a missing one: class defaults
    /// only fill missing keys).
    var keys: Set<String> = []

    static let fileName = "tokenizer_config.json"

    init() {}

    init(json: JSONValue) throws {
        let file = Self.fileName
        func tokenText(_ key: String) -> String? {
            guard let value = json[key] else { return nil }
            return value.string ?? value["content"]?.string
        }
        keys = Set(json.object?.keys.map { $0 } ?? [])
        tokenizerClass = json["tokenizer_class"]?.string
        bosToken = tokenText("bos_token")
        eosToken = tokenText("eos_token")
        unkToken = tokenText("unk_token")
        padToken = tokenText("pad_token")
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            for item in json[key]?.array ?? [] {
                if let text = item.string ?? item["content"]?.string { extraSpecialTokens.append(text) }
            }
        }
        addBosToken = json["add_bos_token"]?.bool
        addEosToken = json["add_eos_token"]?.bool
        addPrefixSpace = json["add_prefix_space"]?.bool
        legacy = json["legacy"]?.bool
        splitSpecialTokens = json["split_special_tokens"]?.bool ?? false
        if let template = json["chat_template"] {
            chatTemplate = try Self.chatTemplateText(template, file: file)
        }
        if let decoder = json["added_tokens_decoder"]?.object {
            for (key, value) in decoder {
                guard let id = Int(key) else {
                    throw TokenizerError(file: file, key: "added_tokens_decoder.\(key)", message: "key is not an integer id")
                }
                addedTokensDecoder.append(try AddedToken.parse(value, id: id, file: file, key: "added_tokens_decoder.\(key)"))
            }
            addedTokensDecoder.sort { $0.id < $1.id }
        }
    }

    /// Fills special tokens the file does not mention with the defaults of the tokenizer class's
    /// `__init__` in transformers.
    mutating func applyClassDefaults(bos: String?, eos: String?, unk: String?, pad: String?) {
        if !keys.contains("bos_token") { bosToken = bos }
        if !keys.contains("eos_token") { eosToken = eos }
        if !keys.contains("unk_token") { unkToken = unk }
        if !keys.contains("pad_token") { padToken = pad }
    }

    /// A chat template is a string, or a list of `{name, template}` of which "default" is used.
    static func chatTemplateText(_ json: JSONValue, file: String) throws -> String {
        if let text = json.string { return text }
        if let list = json.array {
            let named = list.compactMap { item -> (String, String)? in
                guard let name = item["name"]?.string, let template = item["template"]?.string else { return nil }
                return (name, template)
            }
            if let template = named.first(where: { $0.0 == "default" })?.1 ?? named.first?.1 { return template }
        }
        throw TokenizerError(file: file, key: "chat_template", message: "chat_template is neither a string nor a list of {name, template}")
    }
}
