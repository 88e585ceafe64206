import Foundation
import HeadScopeActivations
import HeadScopeEngine
import HeadScopeQA
import HeadScopeRuntime

/// `ChainModel` over any `VLMRuntime` (HeadScope's engine in practice): generates greedily with
/// the primed answer format, stops after `]`, and captures every decoder head's `z`.
///
/// The answer span is the generated tokens before the one that closes the answer string (the
/// first token whose text holds `"`): with the assistant turn primed by `[{"answer": "`, those
/// tokens are the answer itself. `z` is taken where each answer token is fed back in (positions
/// `promptLength ..< promptLength + span`), as in the functional-head protocol, and pooled by the
/// position policy. An empty span (the model closed the string at once) falls back to the last
/// prompt position, with `answerLength` 0.
public struct RuntimeChainModel: ChainModel {
    public let runtime: any VLMRuntime
    public var maxNewTokens: Int

    public init(runtime: any VLMRuntime, maxNewTokens: Int = 128) {
        self.runtime = runtime
        self.maxNewTokens = maxNewTokens
    }

    public var identity: (id: String, sha256: String) { (runtime.identity.id, runtime.identity.sha256) }
    public var geometry: (layers: Int, heads: Int, headDim: Int) {
        let g = runtime.geometry
        return (g.layers, g.heads, g.headDim)
    }

    public func session(image: URL) throws -> any ChainSession {
        Session(runtime: runtime, session: try runtime.session(image: image), maxNewTokens: maxNewTokens)
    }

    final class Session: ChainSession {
        let runtime: any VLMRuntime
        let session: any VLMSession
        let maxNewTokens: Int

        init(runtime: any VLMRuntime, session: any VLMSession, maxNewTokens: Int) {
            self.runtime = runtime
            self.session = session
            self.maxNewTokens = maxNewTokens
        }

        func answer(_ userText: String, positions: PositionPolicy) throws -> AnsweredTurn {
            try answerAll([userText], positions: positions)[0]
        }

        /// Generated together (`VLMSession.generateAll`), each under its own capture plan.
        func answerAll(_ userTexts: [String], positions: PositionPolicy) throws -> [AnsweredTurn] {
            let prefix = SubquestionPrompt.answerPrefix
            let promptLengths = try userTexts.map { try session.layout(userText: $0, assistantPrefix: prefix).ids.count }
            // Capture the last prompt position and every generated position; pick after generation.
            let plans = promptLengths.map { promptLength in
                InterpretabilityPlan(zCaptures: [
                    CaptureRequest(tower: .language, positions: .range(promptLength - 1, promptLength + maxNewTokens)),
                ])
            }
            let turns = try session.generateAll(userTexts: userTexts, assistantPrefix: prefix, plans: plans,
                                                maxNewTokens: maxNewTokens, stopAfter: "]")
            return zip(turns, promptLengths).map { answered($0, promptLength: $1, positions: positions) }
        }

        /// The answer text and `z` pooled by `positions` of one generated turn.
        func answered(_ turn: GeneratedTurn, promptLength: Int, positions: PositionPolicy) -> AnsweredTurn {
            guard let z = turn.captures.z.first else {
                return AnsweredTurn(generated: turn.text, answerStart: promptLength, answerLength: 0, z: [])
            }
            let span = answerSpan(turn.tokens)
            let captured = Set(z.positions)
            let spanPositions = (promptLength..<(promptLength + span)).filter { captured.contains($0) }
            let rows: [[Float]]
            switch positions {
            case .lastPrompt:
                rows = [vector(z, at: promptLength - 1)]
            case .firstAnswer:
                rows = [vector(z, at: spanPositions.first ?? promptLength - 1)]
            case .mean:
                rows = [mean(spanPositions.isEmpty ? [promptLength - 1] : spanPositions, in: z)]
            case .allTokens:
                rows = (spanPositions.isEmpty ? [promptLength - 1] : spanPositions).map { vector(z, at: $0) }
            }
            let length = positions == .lastPrompt ? 0 : spanPositions.count
            return AnsweredTurn(generated: turn.text, answerStart: turn.promptLength, answerLength: length, z: rows)
        }

        /// Number of generated tokens before the one that closes the answer string.
        func answerSpan(_ tokens: [Int]) -> Int {
            for end in tokens.indices where runtime.decode(Array(tokens[...end])).contains("\"") {
                return end
            }
            return tokens.count
        }

        /// All layers and heads at one position, `[layers * heads * headDim]`.
        func vector(_ z: HeadActivations, at position: Int) -> [Float] {
            guard let index = z.positions.firstIndex(of: position) else { return [] }
            let width = z.layers.count * z.heads.count * z.headDim
            return Array(z.values[(index * width)..<((index + 1) * width)])
        }

        func mean(_ positions: [Int], in z: HeadActivations) -> [Float] {
            var sum = [Float](repeating: 0, count: z.layers.count * z.heads.count * z.headDim)
            for position in positions {
                for (i, value) in vector(z, at: position).enumerated() { sum[i] += value }
            }
            let scale = 1 / Float(positions.count)
            return sum.map { $0 * scale }
        }
    }
}
