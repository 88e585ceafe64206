import Foundation
import HeadScopeEngine
import HeadScopeRuntime
import Synchronization

/// A model whose behaviour under plans is known by construction (no weights, no images).
///
/// It reads the subquestion and the "Known so far" context out of the user text and answers:
/// - `Low` subquestions: the reference, unless the plan ablates the designated head (1, 2)
///   (scale below 0.01, zero, or replace), which makes it answer "99";
/// - `High` subquestions: "yes" (the reference), unless a context line gives a wrong answer to an
///   earlier subquestion, which makes it answer "no" (later reasoning depends on earlier steps);
/// - `Other` subquestions: the reference, except on items whose number is divisible by 3, where
///   it answers "red" — unless the plan adds a vector to head (0, 3) whose first component
///   exceeds 0.5 (a steering direction that repairs it).
/// No other head changes anything.
final class FakeRuntime: VLMRuntime {
    let identity: ModelIdentity
    let geometry: DecoderGeometry
    /// Reference answers by subquestion text.
    let gold: [String: String]
    private let counter = Mutex<Int>(0)
    /// Fail (as a crash would stop the run) once this many subquestions have been answered.
    let failAfter: Int?
    private let plans = Mutex<[InterpretabilityPlan]>([])

    static let designated = (layer: 1, head: 2)
    static let steeringHead = (layer: 0, head: 3)

    init(gold: [String: String], failAfter: Int? = nil, identity: ModelIdentity = ModelIdentity(id: "fake-vlm", sha256: "f00d"),
         geometry: DecoderGeometry = DecoderGeometry(layers: 3, heads: 4, headDim: 2)) {
        self.gold = gold
        self.failAfter = failAfter
        self.identity = identity
        self.geometry = geometry
    }

    /// Subquestions answered so far.
    var calls: Int { counter.withLock { $0 } }
    /// Distinct plans seen.
    var seenPlans: [InterpretabilityPlan] { plans.withLock { $0 } }

    func session(image: URL) throws -> any VLMSession { FakeSession(runtime: self) }
    func decode(_ ids: [Int]) -> String { "" }
    func encodeContinuation(_ text: String) -> [Int] { [] }

    static func ablates(_ plan: InterpretabilityPlan, layer: Int, head: Int) -> Bool {
        plan.edits.contains { edit in
            guard edit.layer == layer, edit.head == head, edit.tower == .language else { return false }
            switch edit.operation {
            case .scale(let factor): return factor < 0.01
            case .zero, .replace: return true
            case .add: return false
            }
        }
    }

    static func steers(_ plan: InterpretabilityPlan) -> Bool {
        plan.edits.contains { edit in
            guard edit.layer == steeringHead.layer, edit.head == steeringHead.head, case .add(let v) = edit.operation else { return false }
            return (v.first ?? 0) > 0.5
        }
    }

    struct Interrupted: Error {}

    func answer(userText: String, plan: InterpretabilityPlan) throws -> String {
        let count = counter.withLock { $0 += 1; return $0 }
        if let failAfter, count > failAfter { throw Interrupted() }
        plans.withLock { if !$0.contains(plan) { $0.append(plan) } }
        let lines = userText.split(separator: "\n").map(String.init)
        let subquestion = lines.first { $0.hasPrefix("Subquestion: ") }.map { String($0.dropFirst("Subquestion: ".count)) } ?? ""
        let reference = gold[subquestion] ?? "?"
        if subquestion.hasPrefix("Low") {
            return FakeRuntime.ablates(plan, layer: FakeRuntime.designated.layer, head: FakeRuntime.designated.head) ? "99" : reference
        }
        if subquestion.hasPrefix("High") {
            for line in lines where line.hasPrefix("- ") {
                let body = line.dropFirst(2)
                for (question, answer) in gold where body.hasPrefix(question + " ") {
                    if body.dropFirst(question.count + 1) != answer { return "no" }
                }
            }
            return reference
        }
        if subquestion.hasPrefix("Other"), let number = Int(subquestion.split(separator: " ").last ?? ""), number % 3 == 0 {
            return FakeRuntime.steers(plan) ? reference : "red"
        }
        return reference
    }
}

final class FakeSession: VLMSession {
    let runtime: FakeRuntime
    init(runtime: FakeRuntime) { self.runtime = runtime }

    func layout(userText: String, assistantPrefix: String) throws -> PromptLayout {
        PromptLayout(ids: Array(0..<10), imagePositions: [1, 2], imageGrid: (1, 2), userTextPositions: 3..<8, rolePositions: [8, 9])
    }

    func generate(userText: String, assistantPrefix: String, plan: InterpretabilityPlan, maxNewTokens: Int,
                  stopAfter: String?) throws -> GeneratedTurn {
        let answer = try runtime.answer(userText: userText, plan: plan)
        return GeneratedTurn(text: "\(answer)\"}]", tokens: [1, 2, 3], promptLength: 10, captures: Captures())
    }

    func lastPositionLogits(userText: String, assistantPrefix: String, plan: InterpretabilityPlan) throws -> ScoredPrompt {
        ScoredPrompt(logits: [], captures: Captures())
    }
}
