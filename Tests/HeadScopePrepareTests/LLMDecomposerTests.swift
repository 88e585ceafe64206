import Foundation
import Testing
import TestSupport
@testable import HeadScopePrepare

@Suite(.serialized) struct LLMDecomposerTests {
    func decomposer(_ server: FakeLLMServer, cache: URL, maxRetries: Int = 3) throws -> LLMDecomposer {
        let endpoint = LLMEndpoint(url: server.baseURL, model: "fake-1", maxAttempts: 3, maxRetries: maxRetries,
                                   backoffBase: 0.01, timeout: 10)
        return try LLMDecomposer(endpoint: endpoint, prompt: DecompositionPrompt(taxonomy: cogvisionTaxonomy()), cacheDirectory: cache)
    }

    @Test func malformedReplyIsRetriedAndTheGoodOneCached() async throws {
        let server = try FakeLLMServer(plan: "malformed,good")
        defer { server.stop() }
        let cache = try TestSupport.scratchDirectory("llm-cache")
        let d = try decomposer(server, cache: cache)
        let steps = try await d.decompose(question: "How many dogs?", answer: "2")
        #expect(try server.requestCount() == 2)
        #expect(steps.count == 3)
        #expect(steps.first?.function == "Low-Level Vision Reception")
        #expect(steps.last == Step(subquestion: "So what is the answer?", answer: "2", function: "Decision-Making"))
        // Asking again, from this instance or a new one on the same cache, sends nothing.
        let again = try await d.decompose(question: "How many dogs?", answer: "2")
        let fresh = try await decomposer(server, cache: cache).decompose(question: "How many dogs?", answer: "2")
        #expect(again == steps && fresh == steps)
        #expect(try server.requestCount() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }.count == 1)
        // A different model is a different cache key.
        let other = try LLMDecomposer(endpoint: LLMEndpoint(url: server.baseURL, model: "fake-2", backoffBase: 0.01),
                                      prompt: DecompositionPrompt(taxonomy: cogvisionTaxonomy()), cacheDirectory: cache)
        _ = try await other.decompose(question: "How many dogs?", answer: "2")
        #expect(try server.requestCount() == 3)
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        let server = try FakeLLMServer(plan: "429,good")
        defer { server.stop() }
        let d = try decomposer(server, cache: try TestSupport.scratchDirectory("llm-cache"))
        let start = Date()
        let steps = try await d.decompose(question: "Is it red?", answer: "yes")
        let elapsed = Date().timeIntervalSince(start)
        #expect(steps.count == 3)
        #expect(try server.requestCount() == 2)
        #expect(elapsed >= 0.95) // Retry-After: 1, although the configured backoff is 0.01 s
    }

    @Test func repliesThatStayInvalidFailTheItemAfterMaxAttempts() async throws {
        let server = try FakeLLMServer(plan: "", defaultBehaviour: "badlabel")
        defer { server.stop() }
        let d = try decomposer(server, cache: try TestSupport.scratchDirectory("llm-cache"))
        await #expect(throws: LLMDecomposer.Failure.self) { try await d.decompose(question: "Q?", answer: "A") }
        #expect(try server.requestCount() == 3)
    }

    @Test func unreachableEndpointIsAClearError() async throws {
        let server = try FakeLLMServer()
        let port = server.port
        server.stop() // nothing listens on the port any more
        let endpoint = LLMEndpoint(url: URL(string: "http://127.0.0.1:\(port)/v1")!, model: "m", maxRetries: 2, backoffBase: 0.01, timeout: 5)
        let d = try LLMDecomposer(endpoint: endpoint, prompt: DecompositionPrompt(taxonomy: cogvisionTaxonomy()),
                                  cacheDirectory: try TestSupport.scratchDirectory("llm-cache"))
        do {
            _ = try await d.decompose(question: "Q?", answer: "A")
            Issue.record("expected an error")
        } catch let error as PrepareError {
            #expect(error.description.contains("http://127.0.0.1:\(port)/v1/chat/completions"))
            #expect(error.description.contains("after 3 tries"))
        }
        #expect(await d.requestsSent == 3)
    }

    @Test func requestsAreSpacedToTheRateLimitAndServerErrorsRetried() async throws {
        let server = try FakeLLMServer(plan: "500")
        defer { server.stop() }
        let endpoint = LLMEndpoint(url: server.baseURL, model: "fake-1", requestsPerMinute: 300, backoffBase: 0.01, timeout: 10)
        let d = try LLMDecomposer(endpoint: endpoint, prompt: DecompositionPrompt(taxonomy: cogvisionTaxonomy()),
                                  cacheDirectory: try TestSupport.scratchDirectory("llm-cache"))
        let start = Date()
        for i in 0..<3 { _ = try await d.decompose(question: "Q\(i)?", answer: "A") }
        let elapsed = Date().timeIntervalSince(start)
        // 4 requests (one 500 retried) at most one per 0.2 s: at least 0.6 s.
        #expect(try server.requestCount() == 4)
        #expect(elapsed >= 0.59)
    }

    @Test func missingAPIKeyVariableIsAConfigError() throws {
        let endpoint = LLMEndpoint(url: URL(string: "http://127.0.0.1:1/v1")!, model: "m", apiKeyEnvironmentVariable: "HEADSCOPE_TEST_NO_SUCH_KEY")
        #expect(throws: PrepareError.self) {
            try LLMDecomposer(endpoint: endpoint, prompt: DecompositionPrompt(taxonomy: cogvisionTaxonomy()),
                              cacheDirectory: TestSupport.scratchDirectory("llm-cache"), environment: [:])
        }
    }

    @Test func promptListsTheTaxonomyAndValidationIsStrict() throws {
        let prompt = DecompositionPrompt(taxonomy: try cogvisionTaxonomy(), minSteps: 1, maxSteps: 2)
        let user = prompt.user(question: "Q?", answer: "A")
        #expect(user.contains("- Semantic Understanding"))
        #expect(!user.contains("Induction"))
        #expect(throws: DecompositionPrompt.InvalidReply.self) { try prompt.validate(#"{"steps": []}"#) }
        #expect(throws: DecompositionPrompt.InvalidReply.self) {
            try prompt.validate(#"{"steps": [{"subquestion": "a", "answer": "b", "function": "Induction"}]}"#)
        }
        let ok = try prompt.validate("Here:\n```json\n[{\"subquestion\": \"a\", \"answer\": 3, \"function\": \"inference\"}]\n```")
        #expect(ok == [Step(subquestion: "a", answer: "3", function: "Inference")])
    }
}
