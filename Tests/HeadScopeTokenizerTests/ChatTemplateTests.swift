import Foundation
import HeadScopeTokenizer
import Testing

/// Renderings against transformers' Jinja `apply_chat_template(..., tokenize=False)`.
@Suite struct ChatTemplateTests {
    static func messages(_ golden: ChatGolden) -> [ChatMessage] {
        golden.messages.map { message in
            switch message.content {
            case .text(let text):
                return ChatMessage(role: message.role, text: text)
            case .parts(let parts):
                return ChatMessage(role: message.role, content: parts.map { part in
                    part["type"] == "image" ? .image : .text(part["text"] ?? "")
                })
            }
        }
    }

    @Test func renderingsMatchTransformers() throws {
        let goldens = try Fixtures.chatGoldens()
        #expect(goldens.count >= 30)
        for golden in goldens {
            let tokenizer = try Fixtures.tokenizer(golden.tokenizer)
            let template = try ChatTemplate(text: try Fixtures.template(golden.template), bosToken: tokenizer.bosToken)
            let rendered = try template.render(Self.messages(golden), addGenerationPrompt: golden.add_generation_prompt,
                                               addVisionID: golden.add_vision_id)
            #expect(rendered == golden.rendered, "\(golden.template): \(golden.messages.count) messages")
            #expect(tokenizer.encode(rendered, addSpecialTokens: false) == golden.ids, "\(golden.template) ids")
        }
    }

    @Test func checkpointTemplatesAreRecognised() throws {
        let qwen = try Fixtures.tokenizer("qwen2").recognizedChatTemplate()
        #expect(qwen.family == .chatML)
        #expect(qwen.supportsImages)
        #expect(qwen.defaultSystemPrompt == "You are a helpful assistant.")

        let smol = try Fixtures.tokenizer("smollm2").recognizedChatTemplate()
        #expect(smol.family == .chatML)
        #expect(!smol.supportsImages)
        #expect(smol.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")

        #expect(try Fixtures.tokenizer("llama2").recognizedChatTemplate().family == .llava15)
        let llama3 = try Fixtures.tokenizer("llama3").recognizedChatTemplate()
        #expect(llama3.family == .llama3)
        #expect(llama3.bosToken == "<|begin_of_text|>")
    }

    @Test func qwenVisionPromptTokenizesToOnePadPerImage() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2")
        let prompt = try tokenizer.applyChatTemplate(
            [ChatMessage(role: "user", content: [.image, .text("What is this?")])], addGenerationPrompt: true)
        let ids = tokenizer.encode(prompt, addSpecialTokens: false)
        let pad = try #require(tokenizer.tokenToID("<|image_pad|>"))
        #expect(ids.filter { $0 == pad }.count == 1)
        #expect(prompt.hasSuffix("<|im_end|>\n<|im_start|>assistant\n"))
    }

    @Test func textOnlyTemplatesRejectImagesUnlessGivenAPlaceholder() throws {
        let template = try ChatTemplate(text: try Fixtures.template("smollm2"))
        let messages = [ChatMessage(role: "user", content: [.image, .text("Describe.")])]
        #expect(throws: TokenizerError.self) { try template.render(messages, addGenerationPrompt: true) }
        let rendered = try template.render(messages, addGenerationPrompt: false, imagePlaceholder: "<image>")
        #expect(rendered.hasSuffix("<|im_start|>user\n<image>Describe.<|im_end|>\n"))
    }

    @Test func unknownTemplateNamesWhatWasFound() throws {
        let gemma = "{{ bos_token }}{% for message in messages %}<start_of_turn>{{ message['role'] }}\n{{ message['content'] }}<end_of_turn>\n{% endfor %}"
        do {
            _ = try ChatTemplate(text: gemma)
            Issue.record("a Gemma template was accepted")
        } catch let error as TokenizerError {
            #expect(error.description.contains("not recognised"))
            #expect(error.description.contains("<start_of_turn>"))
            #expect(error.description.contains("supported families"))
        }
        let llama31 = "{{- bos_token }}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}{{ message['content'] | trim + '<|eot_id|>' }}"
        #expect(throws: TokenizerError.self) { try ChatTemplate(text: llama31) }
    }

    @Test func jinjaTrimIsPythonStrip() {
        #expect(ChatTemplate.pythonStrip(" \t\u{1C}x y\u{3000}\n") == "x y")
        #expect(ChatTemplate.pythonStrip("\u{200B}x") == "\u{200B}x")
    }
}

extension ChatTemplateTests {
    /// ChatML templates that place `<image>` themselves (LLaVA-OneVision style) render images in a
    /// way the Qwen renderer does not, so they must not be taken for it.
    @Test func chatMLWithImageTagIsNotQwen() {
        let onevision = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}{% endfor %}"
        #expect(throws: TokenizerError.self) { try ChatTemplate(text: onevision) }
    }
}
