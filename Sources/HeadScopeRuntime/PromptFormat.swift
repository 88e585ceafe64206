import Foundation
import HeadScopeTokenizer

/// How one user turn (image, then text) becomes token ids, and where things sit in them.
struct PromptFormat: Sendable {
    /// How the rendered prompt is tokenized.
    enum Tokenization: Sendable {
        /// As the LLaVA processor: the placeholder (an added token of the tokenizer) is repeated
        /// once per image token and the whole text is tokenized with special tokens (BOS).
        case processor
        /// As the built-in model's training: the text before and after the placeholder is
        /// tokenized separately without special tokens and the image ids are spliced between.
        case spliced
    }

    let tokenizer: Tokenizer
    let template: ChatTemplate
    /// The image's text in the rendered prompt (`<image>`).
    let placeholder: String
    let imageTokenId: Int
    let tokenization: Tokenization

    /// The chat messages of one turn: an image part when the template has a slot for images,
    /// else the placeholder written at the start of the text (`<image>\n` + text).
    func messages(_ userText: String) -> [ChatMessage] {
        template.supportsImages
            ? [ChatMessage(role: "user", content: [.image, .text(userText)])]
            : [ChatMessage(role: "user", content: [.text(placeholder + "\n" + userText)])]
    }

    func render(_ userText: String, generationPrompt: Bool) throws -> String {
        try template.render(messages(userText), addGenerationPrompt: generationPrompt, imagePlaceholder: placeholder)
    }

    /// Token ids of rendered prompt text holding `imageTokens` image tokens per placeholder.
    func encode(_ text: String, imageTokens: Int) -> [Int] {
        switch tokenization {
        case .processor:
            let expanded = text.replacingOccurrences(of: placeholder, with: String(repeating: placeholder, count: imageTokens))
            let startsWithBOS = tokenizer.bosToken.map { !$0.isEmpty && text.hasPrefix($0) } ?? false
            return tokenizer.encode(expanded, addSpecialTokens: !startsWithBOS)
        case .spliced:
            var ids: [Int] = []
            for (i, part) in text.components(separatedBy: placeholder).enumerated() {
                if i > 0 { ids += Array(repeating: imageTokenId, count: imageTokens) }
                ids += tokenizer.encode(part, addSpecialTokens: false)
            }
            return ids
        }
    }

    /// The layout of one turn whose image takes `imageTokens` tokens on a `grid`.
    func layout(userText: String, assistantPrefix: String, imageTokens: Int,
                grid: (rows: Int, columns: Int)) throws -> PromptLayout {
        let closed = try render(userText, generationPrompt: false)
        let opened = try render(userText, generationPrompt: true)
        guard opened.hasPrefix(closed) else {
            throw RuntimeError("the chat template's generation prompt does not extend the conversation; cannot tell the role tokens",
                               location: "chat template (\(template.family.rawValue))")
        }
        let ids = encode(opened + assistantPrefix, imageTokens: imageTokens)
        // Tokens of a prefix of the text: the part of its encoding that agrees with the whole
        // prompt's (a boundary inside a merged token counts towards the later text).
        func position(_ prefix: Substring) -> Int {
            let head = encode(String(prefix), imageTokens: imageTokens)
            var n = 0
            while n < head.count, n < ids.count, head[n] == ids[n] { n += 1 }
            return n
        }
        guard let image = closed.range(of: placeholder) else {
            throw RuntimeError("the rendered prompt has no image placeholder \(placeholder)", location: "chat template (\(template.family.rawValue))")
        }
        let text = userText.isEmpty ? image.upperBound..<image.upperBound
            : closed.range(of: userText, range: image.upperBound..<closed.endIndex)
        guard let text else {
            throw RuntimeError("the user text does not appear after the image in the rendered prompt", location: "chat template (\(template.family.rawValue))")
        }
        let imagePositions = ids.indices.filter { ids[$0] == imageTokenId }
        guard imagePositions.count == imageTokens else {
            throw RuntimeError("the prompt has \(imagePositions.count) image tokens (id \(imageTokenId)), expected \(imageTokens)",
                               hint: "the user text must not contain \(placeholder)")
        }
        let textStart = max(position(closed[..<text.lowerBound]), (imagePositions.last ?? -1) + 1)
        let textEnd = max(position(closed[..<text.upperBound]), textStart)
        let roleStart = max(position(closed[...]), textEnd)
        let roleEnd = max(position(opened[...]), roleStart)
        return PromptLayout(ids: ids, imagePositions: imagePositions, imageGrid: grid,
                            userTextPositions: textStart..<textEnd, rolePositions: Array(roleStart..<roleEnd))
    }
}
