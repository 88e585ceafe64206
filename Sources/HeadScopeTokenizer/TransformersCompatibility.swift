/// The components of one tokenizer pipeline, before they are frozen into a `Tokenizer`.
struct PipelineParts {
    var options: BPEModel.Options
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor?
    var decoder: TokenDecoder?
    var addedTokens: [AddedToken]

    /// What transformers 5.x changes on top of `tokenizer.json`. Tokenizer classes with their own
    /// `__init__` rebuild the backend from the file's vocab and merges alone (so, for example, a
    /// `GPT2Tokenizer` loses a Digits pre-tokenizer and a `LlamaTokenizer` swaps the legacy
    /// Prepend/Replace normalizer for Metaspace); then the config's added tokens and named
    /// special tokens join the file's added tokens.
    mutating func applyTransformersClass(_ config: inout TokenizerConfig, vocab: [String: Int]) {
        switch config.tokenizerClass {
        case "GPT2Tokenizer", "GPT2TokenizerFast":
            config.applyClassDefaults(bos: "<|endoftext|>", eos: "<|endoftext|>", unk: "<|endoftext|>", pad: nil)
            options = BPEModel.Options(continuingSubwordPrefix: "", endOfWordSuffix: "")
            normalizer = nil
            preTokenizer = .byteLevel(addPrefixSpace: config.addPrefixSpace ?? false, useRegex: true)
            decoder = .byteLevel
        case "Qwen2Tokenizer", "Qwen2TokenizerFast":
            config.applyClassDefaults(bos: nil, eos: "<|endoftext|>", unk: "<|endoftext|>", pad: "<|endoftext|>")
            options = BPEModel.Options(continuingSubwordPrefix: "", endOfWordSuffix: "")
            normalizer = .nfc
            preTokenizer = .sequence([
                .split(.regex(.qwen2), .isolated, invert: false),
                .byteLevel(addPrefixSpace: config.addPrefixSpace ?? false, useRegex: false),
            ])
            decoder = .byteLevel
        case "LlamaTokenizer", "LlamaTokenizerFast":
            config.applyClassDefaults(bos: "<s>", eos: "</s>", unk: "<unk>", pad: nil)
            // No unk_token is passed to the rebuilt BPE: characters without byte tokens are dropped.
            let addPrefixSpace = config.addPrefixSpace ?? true
            let scheme: PrependScheme = addPrefixSpace ? ((config.legacy ?? false) ? .always : .first) : .never
            options = BPEModel.Options(fuseUnk: true, byteFallback: true)
            normalizer = nil
            preTokenizer = .metaspace(replacement: "▁", scheme: scheme, split: false)
            var steps: [TokenDecoder] = [.replace(.literal(["▁"]), [" "]), .byteFallback, .fuse]
            if addPrefixSpace { steps.append(.strip(content: " ", start: 1, stop: 0)) }
            decoder = .sequence(steps)
        default:
            break
        }
        for token in config.addedTokensDecoder {
            if let index = addedTokens.firstIndex(where: { $0.content == token.content }) {
                addedTokens[index] = token
            } else {
                addedTokens.append(token)
            }
        }
        let named = [config.bosToken, config.eosToken, config.unkToken, config.padToken].compactMap { $0 }
            + config.extraSpecialTokens
        for content in named where !addedTokens.contains(where: { $0.content == content }) {
            let nextID = max(vocab.values.max() ?? -1, addedTokens.map(\.id).max() ?? -1) + 1
            addedTokens.append(AddedToken(id: vocab[content] ?? nextID, content: content, special: true, normalized: false))
        }
    }

    /// transformers replaces the post-processor with `[bos] $A [eos]` when the config sets
    /// `add_bos_token` or `add_eos_token`, or when the file has none.
    mutating func applyTransformersPostProcessor(_ config: TokenizerConfig, id: (String) -> Int?) {
        guard config.addBosToken != nil || config.addEosToken != nil || postProcessor == nil else { return }
        var items: [PostProcessor.TemplateItem] = []
        if config.addBosToken == true, let bos = config.bosToken.flatMap(id) { items.append(.special([bos])) }
        items.append(.sequence)
        if config.addEosToken == true, let eos = config.eosToken.flatMap(id) { items.append(.special([eos])) }
        postProcessor = .template(items)
    }
}
