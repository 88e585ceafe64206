import Foundation
import HeadScopeTokenizer
import HeadScopeWeights

/// The tokenizer stored in a GGUF file's metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`)
/// as a `HeadScopeTokenizer.Tokenizer`.
///
/// Supported: byte-level BPE (`tokenizer.ggml.model` = `gpt2`) with the GPT-2 split pattern
/// (`tokenizer.ggml.pre` = `default`, `gpt2`, `smollm`), which is what SmolLM2 uses. The metadata
/// is rewritten as the `tokenizer.json` transformers' GGUF converter builds (ByteLevel
/// pre-tokenizer and decoder, control tokens as special added tokens), so encoding runs the same
/// pipeline as checkpoint folders.
public enum GGUFTokenizer {
    /// Pre-tokenizer names whose split pattern is GPT-2's.
    static let gpt2Pretokenizers: Set<String> = ["default", "gpt2", "smollm"]

    /// Builds the tokenizer from the metadata of `file`.
    public static func load(_ file: GGUFFile) throws -> Tokenizer {
        let m = file.metadata
        func fail(_ message: String, hint: String? = nil) -> RuntimeError {
            RuntimeError(message, location: file.path, hint: hint)
        }
        let model = m["tokenizer.ggml.model"]?.stringValue ?? "?"
        guard model == "gpt2" else {
            throw fail("tokenizer.ggml.model \"\(model)\" is not supported", hint: "only byte-level BPE (gpt2) tokenizers are read from GGUF; use a folder with tokenizer.json")
        }
        let pre = m["tokenizer.ggml.pre"]?.stringValue ?? "default"
        guard gpt2Pretokenizers.contains(pre) else {
            throw fail("tokenizer.ggml.pre \"\(pre)\" is not supported (\(gpt2Pretokenizers.sorted().joined(separator: ", ")))",
                       hint: "use a folder with tokenizer.json")
        }
        guard let tokenValues = m["tokenizer.ggml.tokens"]?.arrayValue else { throw fail("metadata tokenizer.ggml.tokens is missing") }
        let tokens = try tokenValues.enumerated().map { i, v -> String in
            guard let s = v.stringValue else { throw fail("tokenizer.ggml.tokens[\(i)] is not a string") }
            return s
        }
        let merges = try (m["tokenizer.ggml.merges"]?.arrayValue ?? []).enumerated().map { i, v -> String in
            guard let s = v.stringValue else { throw fail("tokenizer.ggml.merges[\(i)] is not a string") }
            return s
        }
        let types = m["tokenizer.ggml.token_type"]?.arrayValue?.map { $0.intValue ?? 1 } ?? []
        guard types.isEmpty || types.count == tokens.count else {
            throw fail("tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        var vocab: [String: Any] = [:]
        for (id, token) in tokens.enumerated() where vocab[token] == nil { vocab[token] = id }
        // llama.cpp token types: 3 control (special), 4 user-defined (added, not special).
        var added: [[String: Any]] = []
        for (id, type) in types.enumerated() where type == 3 || type == 4 {
            added.append(["id": id, "content": tokens[id], "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": type == 3])
        }
        func token(_ key: String) -> String? {
            m["tokenizer.ggml.\(key)"]?.intValue.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil }
        }
        let addBOS = m["tokenizer.ggml.add_bos_token"]?.boolValue ?? false
        let bos = token("bos_token_id")
        var postProcessor: Any = NSNull()
        if addBOS, let bos, let bosID = m["tokenizer.ggml.bos_token_id"]?.intValue {
            postProcessor = ["type": "TemplateProcessing",
                             "single": [["SpecialToken": ["id": bos, "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                             "pair": [["SpecialToken": ["id": bos, "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                                      ["Sequence": ["id": "B", "type_id": 1]]],
                             "special_tokens": [bos: ["id": bos, "ids": [bosID], "tokens": [bos]]]] as [String: Any]
        }
        let addPrefixSpace = m["tokenizer.ggml.add_space_prefix"]?.boolValue ?? false
        let json: [String: Any] = [
            "version": "1.0",
            "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": addPrefixSpace, "trim_offsets": true, "use_regex": true],
            "post_processor": postProcessor,
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": ["type": "BPE", "vocab": vocab, "merges": merges, "unk_token": NSNull(), "byte_fallback": false,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false, "ignore_merges": false],
        ]
        var config: [String: Any] = ["tokenizer_class": "PreTrainedTokenizerFast"]
        for (key, name) in [("bos_token", "bos_token_id"), ("eos_token", "eos_token_id"),
                            ("unk_token", "unknown_token_id"), ("pad_token", "padding_token_id")] {
            if let t = token(name) { config[key] = t }
        }
        let tokenizerJSON = try JSONSerialization.data(withJSONObject: json)
        let configJSON = try JSONSerialization.data(withJSONObject: config)
        do {
            return try Tokenizer(tokenizerJSON: tokenizerJSON, tokenizerConfig: configJSON,
                                 chatTemplate: m["tokenizer.chat_template"]?.stringValue)
        } catch let error as TokenizerError {
            throw fail("the tokenizer in the metadata cannot be built: \(error)")
        }
    }
}
