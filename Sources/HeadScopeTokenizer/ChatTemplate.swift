/// One message of a conversation: a role and content parts in order.
public struct ChatMessage: Sendable, Equatable {
    /// A piece of message content.
    public enum Part: Sendable, Equatable {
        case text(String)
        case image
        case video
    }

    /// "system", "user", "assistant", ...
    public var role: String
    public var content: [Part]

    /// A message with the given parts, in order.
    public init(role: String, content: [Part]) {
        self.role = role
        self.content = content
    }

    /// A message with one text part.
    public init(role: String, text: String) {
        self.init(role: role, content: [.text(text)])
    }
}

/// The chat template families HeadScope renders natively (there is no Jinja engine); each
/// reproduces the published template's output for plain conversations exactly.
public enum ChatTemplateFamily: String, Sendable, CaseIterable {
    /// `<|im_start|>role\n...<|im_end|>\n` with an optional default system prompt and, for
    /// Qwen2-VL / Qwen2.5-VL, `<|vision_start|><|image_pad|><|vision_end|>` per image.
    case chatML
    /// LLaVA-1.5: `USER: <image>\ntext ASSISTANT:` (images first, then text parts each followed by a space).
    case llava15
    /// Llama-3 (3.0) instruct headers: `<|start_header_id|>role<|end_header_id|>\n\n` + trimmed
    /// content + `<|eot_id|>`, BOS before the first message.
    case llama3
}

/// A chat template recognised from its Jinja text by the markers of a known family.
public struct ChatTemplate: Sendable, Equatable {
    /// Which renderer is used.
    public var family: ChatTemplateFamily
    /// Whether images (and videos) have a slot of their own in the rendering.
    public var supportsImages: Bool
    /// The system prompt inserted when the first message is not a system message (ChatML).
    public var defaultSystemPrompt: String?
    /// The BOS text the template emits (Llama-3).
    public var bosToken: String?

    /// Recognises `text`; throws naming the markers found when it matches no supported family.
    public init(text: String, bosToken: String? = nil) throws {
        self.bosToken = bosToken
        defaultSystemPrompt = nil
        supportsImages = false
        if text.contains("<|im_start|>") && (!text.contains("<image>") || text.contains("<|vision_start|>")) {
            family = .chatML
            supportsImages = text.contains("<|vision_start|>") && text.contains("<|image_pad|>")
            defaultSystemPrompt = try Self.defaultChatMLSystemPrompt(text)
        } else if text.contains("ASSISTANT:") && text.contains("<image>") && text.lowercased().contains("upper") {
            family = .llava15
            supportsImages = true
        } else if text.contains("<|start_header_id|>") && text.contains("<|eot_id|>") && text.contains("| trim")
                    && !text.contains("Cutting Knowledge Date") && !text.contains("tools") {
            family = .llama3
        } else {
            let markers = ["<|im_start|>", "<|vision_start|>", "<image>", "ASSISTANT:", "<|start_header_id|>",
                           "<|eot_id|>", "Cutting Knowledge Date", "[INST]", "<start_of_turn>", "<|user|>",
                           "<|assistant|>", "tools"].filter { text.contains($0) }
            let start = String(text.prefix(120)).replacingOccurrences(of: "\n", with: "\\n")
            throw TokenizerError(
                file: "chat template", message: "not recognised (markers found: \(markers.isEmpty ? "none" : markers.joined(separator: ", ")); starts with \"\(start)\")",
                hint: "supported families: ChatML (Qwen2-VL, Qwen2.5-VL, SmolLM2), LLaVA-1.5 (USER:/ASSISTANT:), Llama-3.0 headers")
        }
    }

    /// The literal system prompt of `<|im_start|>system\n...<|im_end|>` in the template, if any.
    private static func defaultChatMLSystemPrompt(_ text: String) throws -> String? {
        guard let open = text.range(of: "<|im_start|>system\n") ?? text.range(of: "<|im_start|>system\\n"),
              let close = text.range(of: "<|im_end|>", range: open.upperBound..<text.endIndex) else { return nil }
        let prompt = String(text[open.upperBound..<close.lowerBound])
        // A prompt built by template code (variables, tool lists) cannot be reproduced here.
        if prompt.contains("{{") || prompt.contains("{%") || prompt.contains("' +") || prompt.contains("'+") {
            throw TokenizerError(file: "chat template", message: "ChatML template builds its system prompt with template code",
                                 hint: "only templates with a literal default system prompt are supported")
        }
        return prompt.replacingOccurrences(of: "\\n", with: "\n")
    }

    /// The prompt text, equal to transformers' `apply_chat_template(messages, tokenize=False,
    /// add_generation_prompt: addGenerationPrompt)`. `imagePlaceholder` lets text-only families
    /// take image parts (written as that text); without it they are an error. `addVisionID` is the
    /// Qwen-VL templates' `add_vision_id` ("Picture 1: " before each image, counted over the
    /// whole conversation).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                       imagePlaceholder: String? = nil, addVisionID: Bool = false) throws -> String {
        var out = ""
        var imageCount = 0
        var videoCount = 0
        switch family {
        case .chatML:
            for (index, message) in messages.enumerated() {
                if index == 0 && message.role != "system", let system = defaultSystemPrompt {
                    out += "<|im_start|>system\n\(system)<|im_end|>\n"
                }
                out += "<|im_start|>\(message.role)\n"
                for part in message.content {
                    switch part {
                    case .text(let text): out += text
                    case .image:
                        guard supportsImages else { out += try placeholder(imagePlaceholder, .image); continue }
                        imageCount += 1
                        if addVisionID { out += "Picture \(imageCount): " }
                        out += "<|vision_start|><|image_pad|><|vision_end|>"
                    case .video:
                        guard supportsImages else { out += try placeholder(imagePlaceholder, .video); continue }
                        videoCount += 1
                        if addVisionID { out += "Video \(videoCount): " }
                        out += "<|vision_start|><|video_pad|><|vision_end|>"
                    }
                }
                out += "<|im_end|>\n"
            }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llava15:
            for message in messages {
                if message.role != "system" { out += message.role.uppercased() + ": " }
                for part in message.content {
                    switch part {
                    case .image: out += "<image>\n"
                    case .video: throw TokenizerError(file: "chat template", message: "LLaVA-1.5 has no video slot")
                    case .text: break
                    }
                }
                for case .text(let text) in message.content { out += text + " " }
            }
            if addGenerationPrompt { out += "ASSISTANT:" }
        case .llama3:
            for (index, message) in messages.enumerated() {
                var content = ""
                for part in message.content {
                    switch part {
                    case .text(let text): content += text
                    case .image, .video: content += try placeholder(imagePlaceholder, part)
                    }
                }
                if index == 0 { out += bosToken ?? "" }
                out += "<|start_header_id|>\(message.role)<|end_header_id|>\n\n" + Self.pythonStrip(content) + "<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return out
    }

    private func placeholder(_ text: String?, _ part: ChatMessage.Part) throws -> String {
        guard let text else {
            throw TokenizerError(file: "chat template", message: "the \(family.rawValue) template has no slot for \(part == .image ? "images" : "videos")",
                                 hint: "pass imagePlaceholder to write image parts as text, or use a vision chat template")
        }
        return text
    }

    /// Jinja's `trim`, which is Python's `str.strip()`.
    public static func pythonStrip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var lower = 0
        var upper = scalars.count
        while lower < upper && UnicodeClasses.isPythonWhitespace(scalars[lower]) { lower += 1 }
        while upper > lower && UnicodeClasses.isPythonWhitespace(scalars[upper - 1]) { upper -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[lower..<upper])
        return String(view)
    }
}

extension Tokenizer {
    /// The checkpoint's chat template, recognised; throws when there is none or it is not supported.
    public func recognizedChatTemplate() throws -> ChatTemplate {
        guard let chatTemplate else {
            throw TokenizerError(file: "tokenizer_config.json", key: "chat_template", message: "the checkpoint has no chat template",
                                 hint: "add chat_template.jinja, chat_template.json or a chat_template key")
        }
        return try ChatTemplate(text: chatTemplate, bosToken: bosToken)
    }

    /// Renders `messages` with the checkpoint's chat template (as `apply_chat_template(tokenize=False)`).
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true,
                                  imagePlaceholder: String? = nil, addVisionID: Bool = false) throws -> String {
        try recognizedChatTemplate().render(messages, addGenerationPrompt: addGenerationPrompt,
                                            imagePlaceholder: imagePlaceholder, addVisionID: addVisionID)
    }
}
