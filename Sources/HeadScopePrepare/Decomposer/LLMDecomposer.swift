import Foundation
import HeadScopeCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where and how to reach an OpenAI-compatible chat-completions endpoint.
public struct LLMEndpoint: Sendable, Equatable {
    /// The base URL (`http://host:port/v1`) or the full `.../chat/completions` URL.
    public var url: URL
    public var model: String
    /// The environment variable holding the API key (sent as a bearer token), or nil for none.
    public var apiKeyEnvironmentVariable: String?
    /// Replies that fail validation are retried (with the problem explained) this many times in all.
    public var maxAttempts: Int
    /// Transport failures (connection errors, 429, 5xx) are retried this many times per request.
    public var maxRetries: Int
    /// At most this many requests per minute (nil: no limit).
    public var requestsPerMinute: Double?
    /// The first backoff delay in seconds; it doubles on each retry, up to `maxBackoff`.
    public var backoffBase: Double
    public var maxBackoff: Double
    /// Seconds before a request is abandoned.
    public var timeout: Double

    public init(url: URL, model: String, apiKeyEnvironmentVariable: String? = nil, maxAttempts: Int = 3,
                maxRetries: Int = 5, requestsPerMinute: Double? = nil, backoffBase: Double = 1,
                maxBackoff: Double = 60, timeout: Double = 120) {
        self.url = url
        self.model = model
        self.apiKeyEnvironmentVariable = apiKeyEnvironmentVariable
        self.maxAttempts = maxAttempts
        self.maxRetries = maxRetries
        self.requestsPerMinute = requestsPerMinute
        self.backoffBase = backoffBase
        self.maxBackoff = maxBackoff
        self.timeout = timeout
    }

    /// The chat-completions URL.
    public var completionsURL: URL {
        url.path.hasSuffix("/chat/completions") ? url : url.appendingPathComponent("chat").appendingPathComponent("completions")
    }
}

/// Decomposes questions into labelled steps with an LLM, caching every accepted reply on disk.
///
/// The cache key is a SHA-256 of (model, prompt version, system and user messages), so a rerun or
/// a resumed run never asks the same question twice, and changing the model or the prompt never
/// reuses a stale answer. Requests are spaced to the configured rate; 429 and 5xx replies and
/// connection errors are retried with exponential backoff (a 429's `Retry-After` wins); a reply
/// that fails validation is retried with the problem explained to the model.
public actor LLMDecomposer {
    public let endpoint: LLMEndpoint
    public let prompt: DecompositionPrompt
    public let cacheDirectory: URL
    private let apiKey: String?
    private let session: URLSession
    private var lastRequest: Date?
    /// Requests actually sent (cache hits do not count).
    public private(set) var requestsSent = 0
    public private(set) var cacheHits = 0

    /// A decomposition that could not be obtained for one question (the run skips the item).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(endpoint: LLMEndpoint, prompt: DecompositionPrompt, cacheDirectory: URL,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.endpoint = endpoint
        self.prompt = prompt
        self.cacheDirectory = cacheDirectory
        if let variable = endpoint.apiKeyEnvironmentVariable {
            guard let key = environment[variable], !key.isEmpty else {
                throw PrepareError.config(key: "prepare.llm.api_key_env",
                                          message: "the environment variable \(variable) is not set; export it with the API key, or remove api_key_env for an endpoint without keys")
            }
            apiKey = key
        } else {
            apiKey = nil
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = endpoint.timeout
        configuration.timeoutIntervalForResource = endpoint.timeout
        session = URLSession(configuration: configuration)
        do {
            try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw PrepareError.io(path: cacheDirectory.path, message: "cannot create the LLM cache directory", hint: "check permissions or set prepare.llm.cache")
        }
    }

    /// The cache key of a question: hex SHA-256 over model, prompt version and both messages.
    public func cacheKey(question: String, answer: String) throws -> String {
        try ContentHash.sha256([endpoint.model, DecompositionPrompt.version, prompt.system,
                          prompt.user(question: question, answer: answer)].joined(separator: "\u{0}"))
    }

    /// The steps for a question, from the cache or the endpoint.
    ///
    /// Throws `PrepareError.endpoint` when the endpoint cannot be reached after all retries (the
    /// run stops: nothing else would succeed) and `Failure` when its replies stay invalid (the
    /// run skips this item and counts it).
    public func decompose(question: String, answer: String) async throws -> [Step] {
        let key = try cacheKey(question: question, answer: answer)
        let cacheFile = cacheDirectory.appendingPathComponent("\(key).json")
        if let data = try? Data(contentsOf: cacheFile), let steps = try? prompt.validate(String(decoding: data, as: UTF8.self)) {
            cacheHits += 1
            return steps
        }
        var messages: [(String, String)] = [("system", prompt.system), ("user", prompt.user(question: question, answer: answer))]
        var problems: [String] = []
        for _ in 0..<max(1, endpoint.maxAttempts) {
            let reply = try await complete(messages)
            do {
                let steps = try prompt.validate(reply)
                let record = OrderedJSON.object([("steps", .array(steps.map(\.json)))]).serialized()
                try writeCache(Data(record.utf8), to: cacheFile)
                return steps
            } catch let invalid as DecompositionPrompt.InvalidReply {
                problems.append(invalid.description)
                messages.append(("assistant", reply))
                messages.append(("user", prompt.correction(invalid.description)))
            }
        }
        throw Failure(description: "no valid decomposition after \(endpoint.maxAttempts) attempt(s): \(problems.joined(separator: "; "))")
    }

    private func writeCache(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            throw PrepareError.io(path: url.path, message: "cannot write the LLM cache entry", hint: "check free space and permissions")
        }
    }

    /// Sends one chat request, retrying transport failures; returns the reply's message content
    /// (or, when the body is not a chat completion, the raw body, which then fails validation).
    private func complete(_ messages: [(String, String)]) async throws -> String {
        let body = OrderedJSON.object([
            ("model", .string(endpoint.model)),
            ("messages", .array(messages.map { .object([("role", .string($0.0)), ("content", .string($0.1))]) })),
            ("temperature", .number(0)),
        ]).serialized()
        var request = URLRequest(url: endpoint.completionsURL)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        request.timeoutInterval = endpoint.timeout

        var lastProblem = ""
        for retry in 0...max(0, endpoint.maxRetries) {
            try await respectRateLimit()
            requestsSent += 1
            let data: Data, response: URLResponse
            do {
                (data, response) = try await session.data(for: request)
            } catch {
                lastProblem = "cannot connect (\(error.localizedDescription))"
                if retry < endpoint.maxRetries { try await backoff(retry: retry, retryAfter: nil) }
                continue
            }
            guard let http = response as? HTTPURLResponse else {
                lastProblem = "the reply is not HTTP"
                continue
            }
            switch http.statusCode {
            case 200..<300:
                return LLMDecomposer.messageContent(data) ?? String(decoding: data, as: UTF8.self)
            case 429, 500..<600:
                lastProblem = "HTTP \(http.statusCode)"
                let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap(Double.init)
                if retry < endpoint.maxRetries { try await backoff(retry: retry, retryAfter: http.statusCode == 429 ? retryAfter : nil) }
            default:
                let snippet = String(decoding: data.prefix(300), as: UTF8.self)
                throw PrepareError.endpoint(url: endpoint.completionsURL.absoluteString,
                                            message: "HTTP \(http.statusCode): \(snippet); check the url, model and API key in the config")
            }
        }
        throw PrepareError.endpoint(url: endpoint.completionsURL.absoluteString,
                                    message: "\(lastProblem) after \(endpoint.maxRetries + 1) tries; check that the server is running and prepare.llm.url is right (cached replies are kept, so rerunning resumes)")
    }

    /// `choices[0].message.content` of a chat-completion body.
    static func messageContent(_ data: Data) -> String? {
        guard let json = try? JSONParser.parse(data, source: "reply"),
              let choice = json["choices"]?.arrayValue?.first else { return nil }
        return choice["message"]?["content"]?.stringValue
    }

    private func respectRateLimit() async throws {
        guard let perMinute = endpoint.requestsPerMinute, perMinute > 0 else { return }
        let interval = 60 / perMinute
        if let last = lastRequest {
            let wait = interval - Date().timeIntervalSince(last)
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        }
        lastRequest = Date()
    }

    private func backoff(retry: Int, retryAfter: Double?) async throws {
        let delay = retryAfter ?? min(endpoint.maxBackoff, endpoint.backoffBase * pow(2, Double(retry)))
        if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
    }
}
