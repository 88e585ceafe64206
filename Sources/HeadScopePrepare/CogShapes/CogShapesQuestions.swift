import HeadScopeCore

/// Question templates for CogShapes scenes: main questions with chains of labelled subquestions,
/// every answer computed from the scene (one word or a number).
public enum CogShapesQuestions {
    /// The taxonomy CogShapes declares (written as `taxonomy.json` into the generated archive).
    public static let taxonomy = Taxonomy(
        name: "cogshapes",
        labels: [lowVision, highVision, spatial, relational, math, language, inference, decision],
        excluded: [],
        descriptions: [
            lowVision: "perceiving colors and simple visual attributes",
            highVision: "recognising objects and shapes",
            spatial: "locating objects and judging positions and distances",
            relational: "relating objects to each other",
            math: "counting and comparing quantities",
            language: "recalling facts about words and concepts",
            inference: "drawing a conclusion from earlier answers",
            decision: "choosing the final answer or option",
        ])

    static let lowVision = "Low-Level Vision Reception"
    static let highVision = "High-Level Vision Reception"
    static let spatial = "Spatial Perception"
    static let relational = "Relational Reasoning"
    static let math = "Math Reasoning"
    static let language = "Language Knowledge Recall"
    static let inference = "Inference"
    static let decision = "Decision-Making"

    /// One generated main question.
    public struct Question: Equatable, Sendable {
        public var template: String
        public var question: String
        public var finalAnswer: String
        public var steps: [Step]
        public var tags: [String: String]
    }

    /// Every question the scene supports, in a fixed template order.
    public static func questions(for scene: CogShapesScene, rng: inout SplitMix64) -> [Question] {
        switch scene.kind {
        case .mainObject:
            guard let main = scene.objects.first else { return [] }
            return [Question(
                template: "main_object",
                question: "What is the main object in this image? Answer with one word.",
                finalAnswer: main.shape,
                steps: [Step(subquestion: "What is the main object in this image? Answer with one word.",
                             answer: main.shape, function: highVision)],
                tags: ["task": "main_object", "class": main.shape, "color": main.color,
                       "size": String(main.radius)])]
        case .questions:
            return [countLeft(scene, rng: &rng), compareCounts(scene, rng: &rng),
                    nearestOption(scene, rng: &rng), corners(scene, rng: &rng)].compactMap { $0 }
        }
    }

    /// Objects whose color no other object shares (they can be named by color alone).
    private static func uniquelyColored(_ scene: CogShapesScene) -> [Int] {
        scene.objects.indices.filter { i in
            scene.objects.filter { $0.color == scene.objects[i].color }.count == 1
        }
    }

    private static func count(_ scene: CogShapesScene, _ test: (CogShapesScene.Object) -> Bool) -> Int {
        scene.objects.filter(test).count
    }

    /// "How many red objects are left of the blue object?"
    static func countLeft(_ scene: CogShapesScene, rng: inout SplitMix64) -> Question? {
        let candidates = uniquelyColored(scene).filter { r in
            scene.objects.indices.allSatisfy { $0 == r || abs(scene.objects[$0].centerX - scene.objects[r].centerX) >= 6 }
        }
        guard !candidates.isEmpty, scene.objects.count >= 2 else { return nil }
        let ref = scene.objects[rng.pick(candidates)]
        let others = scene.objects.filter { $0 != ref }
        let color = rng.pick(others.map(\.color))
        let left = others.filter { $0.centerX < ref.centerX }
        let answer = left.filter { $0.color == color }.count
        let named = "the \(ref.color) \(ref.shape)"
        return Question(
            template: "count_left",
            question: "How many \(color) objects are to the left of the \(ref.color) object?",
            finalAnswer: String(answer),
            steps: [
                Step(subquestion: "How many \(color) objects are there in the image?",
                     answer: String(count(scene) { $0.color == color }), function: lowVision),
                Step(subquestion: "What shape is the \(ref.color) object?", answer: ref.shape, function: highVision),
                Step(subquestion: "How many objects are to the left of \(named)?", answer: String(left.count), function: spatial),
                Step(subquestion: "How many of the objects to the left of \(named) are \(color)?",
                     answer: String(answer), function: relational),
            ],
            tags: ["task": "count_left"])
    }

    /// "Are there more red objects than circles?"
    static func compareCounts(_ scene: CogShapesScene, rng: inout SplitMix64) -> Question? {
        guard !scene.objects.isEmpty else { return nil }
        let color = rng.pick(scene.objects.map(\.color))
        let shape = rng.pick(CogShapesVocabulary.shapes)
        let nColor = count(scene) { $0.color == color }
        let nShape = count(scene) { $0.shape == shape }
        let more = nColor > nShape ? "yes" : "no"
        return Question(
            template: "compare_counts",
            question: "Are there more \(color) objects than \(shape)s in the image? Answer yes or no.",
            finalAnswer: more,
            steps: [
                Step(subquestion: "How many \(color) objects are there?", answer: String(nColor), function: lowVision),
                Step(subquestion: "How many \(shape)s are there?", answer: String(nShape), function: highVision),
                Step(subquestion: "Is the number of \(color) objects greater than the number of \(shape)s?",
                     answer: more, function: math),
                Step(subquestion: "So, are there more \(color) objects than \(shape)s? Answer yes or no.",
                     answer: more, function: decision),
            ],
            tags: ["task": "compare_counts"])
    }

    /// "Which shape is the object nearest to the blue object? Choose one option from the following: A... D..."
    static func nearestOption(_ scene: CogShapesScene, rng: inout SplitMix64) -> Question? {
        func distance2(_ a: CogShapesScene.Object, _ b: CogShapesScene.Object) -> Int {
            let dx = a.centerX - b.centerX, dy = a.centerY - b.centerY
            return dx * dx + dy * dy
        }
        let candidates = uniquelyColored(scene).filter { r in
            let ref = scene.objects[r]
            let d = scene.objects.filter { $0 != ref }.map { distance2($0, ref) }.sorted()
            guard let first = d.first else { return false }
            // The nearest object must be clearly nearest: at least 10 px closer than the next.
            guard d.count > 1 else { return true }
            let a = Double(first).squareRoot(), b = Double(d[1]).squareRoot()
            return b - a >= 10
        }
        guard !candidates.isEmpty else { return nil }
        let ref = scene.objects[rng.pick(candidates)]
        guard let nearest = scene.objects.filter({ $0 != ref }).min(by: { distance2($0, ref) < distance2($1, ref) }) else { return nil }
        let order = rng.shuffled(CogShapesVocabulary.shapes)
        let letters = ["A", "B", "C", "D", "E", "F"]
        let listed = order.enumerated().map { "\(letters[$0.offset]). \($0.element)" }.joined(separator: " ")
        guard let position = order.firstIndex(of: nearest.shape) else { return nil }
        let letter = letters[position]
        let named = "the \(ref.color) \(ref.shape)"
        return Question(
            template: "nearest_option",
            question: "Which shape is the object nearest to the \(ref.color) object? Choose one option from the following: \(listed)",
            finalAnswer: letter,
            steps: [
                Step(subquestion: "What shape is the \(ref.color) object?", answer: ref.shape, function: highVision),
                Step(subquestion: "Which object is nearest to \(named)? Answer with its color.",
                     answer: nearest.color, function: spatial),
                Step(subquestion: "What shape is the \(nearest.color) object nearest to \(named)?",
                     answer: nearest.shape, function: highVision),
                Step(subquestion: "Which option is a \(nearest.shape)? Answer with the letter.",
                     answer: letter, function: decision),
            ],
            tags: ["task": "nearest_option"])
    }

    /// "How many corners does the green object have?"
    static func corners(_ scene: CogShapesScene, rng: inout SplitMix64) -> Question? {
        let candidates = uniquelyColored(scene)
        guard !candidates.isEmpty else { return nil }
        let ref = scene.objects[rng.pick(candidates)]
        let n = String(CogShapesVocabulary.corners[ref.shape] ?? 0)
        return Question(
            template: "corners",
            question: "How many corners does the \(ref.color) object have?",
            finalAnswer: n,
            steps: [
                Step(subquestion: "What shape is the \(ref.color) object?", answer: ref.shape, function: highVision),
                Step(subquestion: "How many corners does a \(ref.shape) have?", answer: n, function: language),
                Step(subquestion: "So, how many corners does the \(ref.color) object have?", answer: n, function: inference),
            ],
            tags: ["task": "corners"])
    }
}
