import Foundation

/// A Hugging Face tokenizer read from `tokenizer.json` (+ `tokenizer_config.json` and the chat
/// template files), producing the same ids as transformers 5.x's `AutoTokenizer`.
///
/// Encoding runs the `tokenizers` pipeline: added tokens are matched first, the remaining text
/// is normalized, pre-tokenized and run through BPE, then special tokens are inserted.
public final class Tokenizer: @unchecked Sendable {
    /// Which pipeline definition to follow.
    public enum Pipeline: Sendable {
        /// What transformers' `AutoTokenizer` does: tokenizer classes with their own pipeline
        /// (`LlamaTokenizer`, `GPT2Tokenizer`, `Qwen2Tokenizer` and their `Fast` names) rebuild it
        /// around the file's vocab and merges, `add_bos_token` / `add_eos_token` replace the
        /// post-processor, and the config's special tokens join the added tokens. Other classes
        /// (`PreTrainedTokenizerFast`, `TokenizersBackend`, ...) use the file's pipeline as is.
        case transformers
        /// Exactly the components in `tokenizer.json`, as `tokenizers.Tokenizer.from_file`.
        case tokenizerJSON
    }

    /// The tokenizer class named in `tokenizer_config.json`, if any.
    public let tokenizerClass: String?
    /// Beginning-of-sequence token text (`bos_token`), if the tokenizer has one.
    public let bosToken: String?
    /// End-of-sequence token text (`eos_token`); generation stops on it.
    public let eosToken: String?
    /// Unknown-token text (`unk_token`, or the BPE model's).
    public let unkToken: String?
    /// Padding token text (`pad_token`).
    public let padToken: String?
    /// The chat template text (from chat_template.jinja, chat_template.json or tokenizer_config.json).
    public let chatTemplate: String?

    let model: BPEModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    let added: AddedVocabulary
    private let specialContents: Set<String>

    /// Loads `tokenizer.json`, `tokenizer_config.json` and the chat template from a checkpoint folder.
    public convenience init(directory: URL, pipeline: Pipeline = .transformers) throws {
        let jsonURL = directory.appendingPathComponent("tokenizer.json")
        guard let tokenizerJSON = try? Data(contentsOf: jsonURL) else {
            throw TokenizerError(file: jsonURL.path, message: "cannot be read",
                                 hint: "the checkpoint folder needs a tokenizer.json (save it with transformers' save_pretrained)")
        }
        let configURL = directory.appendingPathComponent(TokenizerConfig.fileName)
        var config: Data? = nil
        if FileManager.default.fileExists(atPath: configURL.path) {
            guard let data = try? Data(contentsOf: configURL) else {
                throw TokenizerError(file: configURL.path, message: "exists but cannot be read", hint: "check its permissions")
            }
            config = data
        }
        var template: String? = nil
        let jinjaURL = directory.appendingPathComponent("chat_template.jinja")
        let templateJSONURL = directory.appendingPathComponent("chat_template.json")
        if let text = try? String(contentsOf: jinjaURL, encoding: .utf8) {
            template = text
        } else if let data = try? Data(contentsOf: templateJSONURL) {
            let json = try JSONValue.parse(data, file: templateJSONURL.path)
            guard let value = json["chat_template"] else {
                throw TokenizerError(file: templateJSONURL.path, key: "chat_template", message: "key is missing")
            }
            template = try TokenizerConfig.chatTemplateText(value, file: templateJSONURL.path)
        }
        do {
            try self.init(tokenizerJSON: tokenizerJSON, tokenizerConfig: config, chatTemplate: template, pipeline: pipeline)
        } catch var error as TokenizerError {
            // Name the actual files in the folder.
            if error.file == "tokenizer.json" { error.file = jsonURL.path }
            if error.file == TokenizerConfig.fileName { error.file = configURL.path }
            throw error
        }
    }

    /// Builds a tokenizer from file contents. `chatTemplate` overrides the config's template.
    public init(tokenizerJSON: Data, tokenizerConfig: Data? = nil, chatTemplate: String? = nil,
                pipeline: Pipeline = .transformers) throws {
        let file = "tokenizer.json"
        let json = try JSONValue.parse(tokenizerJSON, file: file)
        var config = TokenizerConfig()
        if let tokenizerConfig {
            config = try TokenizerConfig(json: try JSONValue.parse(tokenizerConfig, file: TokenizerConfig.fileName))
        }
        guard let modelJSON = json["model"] else {
            throw TokenizerError(file: file, key: "model", message: "the model section is missing")
        }
        let (vocab, merges, options) = try BPEModel.parse(modelJSON, file: file)
        var addedTokens: [AddedToken] = []
        for (index, item) in (json["added_tokens"]?.array ?? []).enumerated() {
            addedTokens.append(try AddedToken.parse(item, id: nil, file: file, key: "added_tokens[\(index)]"))
        }
        var parts = PipelineParts(
            options: options,
            normalizer: try Normalizer.parse(json["normalizer"], file: file),
            preTokenizer: try PreTokenizer.parse(json["pre_tokenizer"], file: file),
            postProcessor: try PostProcessor.parse(json["post_processor"], file: file),
            decoder: try TokenDecoder.parse(json["decoder"], file: file),
            addedTokens: addedTokens)
        if pipeline == .transformers {
            parts.applyTransformersClass(&config, vocab: vocab)
        }
        let model = try BPEModel(vocab: vocab, merges: merges, options: parts.options, file: file)
        let added = AddedVocabulary(tokens: parts.addedTokens, normalizer: parts.normalizer,
                                    splitSpecialTokens: pipeline == .transformers && config.splitSpecialTokens)
        if pipeline == .transformers {
            parts.applyTransformersPostProcessor(config) { content in
                added.byContent[content]?.id ?? model.vocab[content]
            }
        }

        self.model = model
        normalizer = parts.normalizer
        preTokenizer = parts.preTokenizer
        postProcessor = parts.postProcessor
        decoder = parts.decoder
        self.added = added
        specialContents = Set(parts.addedTokens.filter(\.special).map(\.content))
        tokenizerClass = config.tokenizerClass
        bosToken = config.bosToken
        eosToken = config.eosToken
        unkToken = config.unkToken ?? options.unkToken
        padToken = config.padToken
        self.chatTemplate = chatTemplate ?? config.chatTemplate
    }

    // MARK: Encoding

    /// Token ids of `text`; `addSpecialTokens` applies the post-processor (BOS/EOS).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        for segment in added.splitRaw(Array(text.unicodeScalars)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(var piece):
                if let normalizer { piece.scalars = normalizer.normalize(piece.scalars) }
                for inner in added.splitNormalized(piece) {
                    switch inner {
                    case .token(let id):
                        ids.append(id)
                    case .text(let part):
                        guard !part.scalars.isEmpty else { continue }
                        let words = preTokenizer?.apply([part]) ?? [part]
                        for word in words { ids.append(contentsOf: model.tokenize(word.scalars)) }
                    }
                }
            }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.process(ids) }
        return ids
    }

    /// Token strings of `text` (without special tokens added), for inspection.
    public func tokenize(_ text: String) -> [String] {
        encode(text, addSpecialTokens: false).map { idToToken($0) ?? "" }
    }

    // MARK: Decoding

    /// Text of `ids`; unknown ids are skipped, as in `tokenizers`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [[Unicode.Scalar]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = idToToken(id) else { continue }
            if skipSpecialTokens && specialContents.contains(token) { continue }
            tokens.append(Array(token.unicodeScalars))
        }
        var view = String.UnicodeScalarView()
        if let decoder {
            for part in decoder.decodeChain(tokens) { view.append(contentsOf: part) }
        } else {
            for (index, part) in tokens.enumerated() {
                if index > 0 { view.append(" ") }
                view.append(contentsOf: part)
            }
        }
        return String(view)
    }

    // MARK: Vocabulary

    /// The id of a token string (added tokens first, then the model vocabulary).
    public func tokenToID(_ token: String) -> Int? {
        added.byContent[token]?.id ?? model.vocab[token]
    }

    /// The token string of an id.
    public func idToToken(_ id: Int) -> String? {
        added.textByID[id] ?? model.token(for: id)
    }

    /// Number of ids, counting added tokens (transformers' `len(tokenizer)`).
    public var vocabularySize: Int {
        Set(model.vocab.values).union(added.tokens.map(\.id)).count
    }

    /// The added tokens (special and not), in id order.
    public var addedTokens: [AddedToken] { added.tokens.sorted { $0.id < $1.id } }

    /// Whether `id` is a special token (skipped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int) -> Bool {
        idToToken(id).map(specialContents.contains) ?? false
    }

    /// Ids of the named special tokens.
    public var bosTokenID: Int? { bosToken.flatMap(tokenToID) }
    public var eosTokenID: Int? { eosToken.flatMap(tokenToID) }
    public var padTokenID: Int? { padToken.flatMap(tokenToID) }
}
