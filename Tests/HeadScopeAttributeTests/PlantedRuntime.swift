import Foundation
import HeadScopeCore
@testable import HeadScopeEngine
import HeadScopeRuntime
@testable import HeadScopeAttribute

/// A fake model whose answer depends on image flow through a known set of heads.
///
/// Target logit = b0 + sum of planted weights over planted heads that keep image access (a head
/// has lost it when the plan carries a KVReplacement for it at the image positions) + small
/// noise seeded by the set of ablated heads; every other logit is 0 except token 4 at 1.
/// Blocking the final token's attention to object image tokens in a layer holding a planted
/// head costs `objectFlow` per such layer. Planted sets depend on the image's class, read from
/// the image file name (`...-circle-...` or `...-square-...`).
final class PlantedRuntime: VLMRuntime, @unchecked Sendable {
    static let layers = 4, heads = 4, headDim = 2, vocabulary = 10, target = 3
    /// Layout: BOS, 16 image tokens (4 x 4 grid), 5 question tokens, 2 role tokens.
    static let imagePositions = Array(1...16)
    static let questionPositions = 17..<22
    static let rolePositions = [22, 23]

    static let plantedCircle: [HeadID: Float] = [HeadID(layer: 0, head: 1): 2.0, HeadID(layer: 1, head: 3): 1.5,
                                                  HeadID(layer: 2, head: 0): 1.2, HeadID(layer: 3, head: 2): 0.8]
    static let plantedSquare: [HeadID: Float] = [HeadID(layer: 0, head: 0): 1.8, HeadID(layer: 1, head: 1): 1.4,
                                                  HeadID(layer: 2, head: 3): 1.1, HeadID(layer: 3, head: 3): 0.9]
    static func planted(for image: URL) -> [HeadID: Float] {
        image.lastPathComponent.contains("square") ? plantedSquare : plantedCircle
    }

    let b0: Float = 0.5
    let noise: Double
    let objectFlow: Float = 1.0
    /// Model runs so far (thread-unsafe on purpose: tests run the stage on one thread).
    var calls = 0
    var plans: [InterpretabilityPlan] = []
    var recordPlans = false
    /// Two heads that carry the same information: the answer gains `weight` when either keeps
    /// image access (single-head ablation cannot see them).
    var redundantPair: (HeadID, HeadID, Float)?
    /// Throw on the run after this many (nil: never), to test interrupted stages.
    var failAfter: Int?

    init(noise: Double = 0.05) { self.noise = noise }

    var identity: ModelIdentity { ModelIdentity(id: "planted", sha256: String(repeating: "ab", count: 32)) }
    var geometry: DecoderGeometry { DecoderGeometry(layers: Self.layers, heads: Self.heads, headDim: Self.headDim) }
    func session(image: URL) throws -> any VLMSession { PlantedSession(runtime: self, image: image) }
    func decode(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: " ") }
    func encodeContinuation(_ text: String) -> [Int] { text.isEmpty ? [] : [Self.target, 7] }

    static var layout: PromptLayout {
        PromptLayout(ids: Array(repeating: 5, count: 24), imagePositions: imagePositions, imageGrid: (rows: 4, columns: 4),
                     userTextPositions: questionPositions, rolePositions: rolePositions)
    }
}

final class PlantedSession: VLMSession {
    let runtime: PlantedRuntime
    let image: URL
    init(runtime: PlantedRuntime, image: URL) {
        self.runtime = runtime
        self.image = image
    }

    func layout(userText: String, assistantPrefix: String) throws -> PromptLayout { PlantedRuntime.layout }

    func generate(userText: String, assistantPrefix: String, plan: InterpretabilityPlan, maxNewTokens: Int,
                  stopAfter: String?) throws -> GeneratedTurn {
        GeneratedTurn(text: "", tokens: [], promptLength: 24, captures: Captures())
    }

    /// A key/value value that differs per image, layer, head, position and component.
    func kv(_ layer: Int, _ head: Int, _ position: Int, _ d: Int, value: Bool) -> Float {
        let seed = SplitMix64.streamSeed(UInt64(layer * 1000 + head * 100 + d + (value ? 7 : 0)), image.lastPathComponent)
        var rng = SplitMix64(seed: seed &+ UInt64(position))
        return Float(rng.nextUnit())
    }

    func lastPositionLogits(userText: String, assistantPrefix: String, plan: InterpretabilityPlan) throws -> ScoredPrompt {
        runtime.calls += 1
        if let limit = runtime.failAfter, runtime.calls > limit {
            throw AttributionError("planted model: simulated failure at run \(runtime.calls)")
        }
        if runtime.recordPlans { runtime.plans.append(plan) }
        let L = PlantedRuntime.layers, H = PlantedRuntime.heads, D = PlantedRuntime.headDim
        var captures = Captures()
        for request in plan.kvCaptures {
            guard case .list(let positions) = request.positions else { continue }
            var keys: [Float] = [], values: [Float] = []
            for p in positions { for l in 0..<L { for h in 0..<H { for d in 0..<D {
                keys.append(kv(l, h, p, d, value: false)); values.append(kv(l, h, p, d, value: true))
            } } } }
            captures.keys.append(HeadActivations(tower: .language, layers: Array(0..<L), heads: Array(0..<H), headDim: D, positions: positions, values: keys))
            captures.values.append(HeadActivations(tower: .language, layers: Array(0..<L), heads: Array(0..<H), headDim: D, positions: positions, values: values))
        }
        for request in plan.attentionCaptures {
            guard case .list(let queries) = request.positions else { continue }
            let keyCount = 24
            var probs: [Float] = []
            for _ in queries { for l in 0..<L { for h in 0..<H {
                // Head (l, h) puts (l + h) / 8 of its mass on the image, spread evenly.
                let mass = Float(l + h) / 8
                for k in 0..<keyCount {
                    probs.append(PlantedRuntime.imagePositions.contains(k) ? mass / 16 : (1 - mass) / Float(keyCount - 16))
                }
            } } }
            captures.attention.append(AttentionProbabilities(tower: .language, layers: Array(0..<L), heads: Array(0..<H),
                                                             queryPositions: queries, keyCount: keyCount, values: probs))
        }
        // Heads whose image flow the plan cuts.
        var ablated = Set<HeadID>()
        for r in plan.kvReplacements where r.positions == PlantedRuntime.imagePositions {
            ablated.insert(HeadID(layer: r.layer, head: r.head))
        }
        let planted = PlantedRuntime.planted(for: image)
        var logit = runtime.b0
        for (head, weight) in planted where !ablated.contains(head) { logit += weight }
        if let (a, b, weight) = runtime.redundantPair, !ablated.contains(a) || !ablated.contains(b) { logit += weight }
        // Knockout: final token blocked from object tokens in a layer with a planted head.
        let objectCells = Set([5, 6, 9, 10].map { PlantedRuntime.imagePositions[$0] })
        for block in plan.blocks {
            guard case .list(let q) = block.queryPositions, case .list(let k) = block.keyPositions,
                  q.contains(23), !objectCells.isDisjoint(with: k) else { continue }
            for layer in block.layers ?? Array(0..<L) {
                let heads = block.heads ?? Array(0..<H)
                if planted.keys.contains(where: { $0.layer == layer && heads.contains($0.head) }) { logit -= runtime.objectFlow }
            }
        }
        var key = ablated.map { UInt64(PlantedRuntime.heads * $0.layer + $0.head) }.sorted().reduce(UInt64(17)) { $0 &* 31 &+ $1 }
        key ^= UInt64(plan.blocks.count)
        var rng = SplitMix64(seed: SplitMix64.streamSeed(key, image.lastPathComponent))
        logit += Float(runtime.noise * rng.nextGaussian())
        var logits = [Float](repeating: 0, count: PlantedRuntime.vocabulary)
        logits[4] = 1
        logits[PlantedRuntime.target] = logit
        return ScoredPrompt(logits: logits, captures: captures)
    }
}
