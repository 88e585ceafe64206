import HeadScopeCore

/// One CogShapes scene: a 224 x 224 canvas with non-overlapping flat shapes.
public struct CogShapesScene: Equatable, Sendable {
    /// One drawn object. Geometry is in whole pixels; `radius` is the circumscribed radius.
    public struct Object: Equatable, Sendable {
        public var shape: String
        public var color: String
        public var size: String
        public var centerX: Int
        public var centerY: Int
        public var radius: Int

        /// The pixel box `[x0, y0, x1, y1)` that contains the drawn shape.
        public var boundingBox: [Int] {
            [max(0, centerX - radius - 1), max(0, centerY - radius - 1),
             min(CogShapesScene.side, centerX + radius + 2), min(CogShapesScene.side, centerY + radius + 2)]
        }
    }

    /// The canvas side in pixels.
    public static let side = 224

    public var id: String
    public var kind: Kind
    public var split: String
    public var objects: [Object]

    /// What the scene is for.
    public enum Kind: String, Sendable {
        /// Several small and large shapes for multi-step questions.
        case questions
        /// One large main object among small distractors, for the naming (attribution) task.
        case mainObject = "main_object"
    }
}

/// The vocabulary CogShapes draws from: names, colors and radii. Plain data, kept in one place so
/// the generator, renderer and question templates agree.
public enum CogShapesVocabulary {
    public static let shapes = ["circle", "square", "triangle", "star"]
    public static let colors: [(name: String, rgb: (UInt8, UInt8, UInt8))] = [
        ("red", (220, 40, 40)), ("green", (40, 170, 60)), ("blue", (40, 80, 220)),
        ("yellow", (235, 200, 30)), ("purple", (150, 60, 190)), ("orange", (245, 130, 20)),
    ]
    public static let background: (UInt8, UInt8, UInt8) = (242, 242, 242)
    public static let smallRadius = 12
    public static let largeRadius = 22
    /// Corners per shape, the "language knowledge" a corner question recalls.
    public static let corners = ["circle": 0, "square": 4, "triangle": 3, "star": 10]

    static func rgb(_ color: String) -> (UInt8, UInt8, UInt8) {
        colors.first { $0.name == color }?.rgb ?? (0, 0, 0)
    }
}

extension CogShapesScene {
    /// Builds scene `index` for `seed`. Every scene draws from its own stream, so scene k does not
    /// depend on how many scenes are generated.
    public static func generate(seed: UInt64, index: Int) -> CogShapesScene {
        var rng = SplitMix64.stream(seed: seed, index: UInt64(index))
        let split = rng.below(5) == 0 ? "test" : "train"
        let id = "cogshapes-s\(seed)-\(String(index + 100_000).dropFirst())"
        // Every third scene is a main-object scene; the rest carry multi-step questions.
        if index % 3 == 2 {
            var objects: [Object] = []
            let main = Object(shape: rng.pick(CogShapesVocabulary.shapes),
                              color: rng.pick(CogShapesVocabulary.colors.map(\.name)),
                              size: "large", centerX: 0, centerY: 0, radius: rng.inRange(44...60))
            place(main, into: &objects, rng: &rng)
            let distractors = rng.inRange(1...3)
            for _ in 0..<distractors {
                let d = Object(shape: rng.pick(CogShapesVocabulary.shapes),
                               color: rng.pick(CogShapesVocabulary.colors.map(\.name)),
                               size: "small", centerX: 0, centerY: 0, radius: rng.inRange(8...11))
                place(d, into: &objects, rng: &rng)
            }
            return CogShapesScene(id: id, kind: .mainObject, split: split, objects: objects)
        }
        var objects: [Object] = []
        let count = rng.inRange(2...6)
        for _ in 0..<count {
            let large = rng.below(2) == 0
            let o = Object(shape: rng.pick(CogShapesVocabulary.shapes),
                           color: rng.pick(CogShapesVocabulary.colors.prefix(4).map(\.name)),
                           size: large ? "large" : "small", centerX: 0, centerY: 0,
                           radius: large ? CogShapesVocabulary.largeRadius : CogShapesVocabulary.smallRadius)
            place(o, into: &objects, rng: &rng)
        }
        return CogShapesScene(id: id, kind: .questions, split: split, objects: objects)
    }

    /// Places an object at a random spot that keeps a gap to every placed object; gives up
    /// (leaving the object out) after a fixed number of tries, which is deterministic too.
    private static func place(_ object: Object, into objects: inout [Object], rng: inout SplitMix64) {
        let margin = 4
        for _ in 0..<200 {
            var o = object
            o.centerX = rng.inRange((o.radius + margin)...(side - 1 - o.radius - margin))
            o.centerY = rng.inRange((o.radius + margin)...(side - 1 - o.radius - margin))
            let clear = objects.allSatisfy { other in
                let dx = other.centerX - o.centerX, dy = other.centerY - o.centerY
                let gap = other.radius + o.radius + 6
                return dx * dx + dy * dy >= gap * gap
            }
            if clear {
                objects.append(o)
                return
            }
        }
    }
}
