import Foundation
import HeadScopeArchive
import HeadScopeCore
import HeadScopeImageIO

/// Generates the built-in CogShapes dataset as a tar.gz that the normal archive route prepares.
///
/// The archive holds `images/<scene>.png` (224 x 224 RGB), `masks/<scene>.png` (8-bit label map:
/// 0 background, k for the scene's k-th object), `questions.json` (CogVision records with `id`,
/// `split` and `tags`), `annotations.json` (per image: its mask and objects) and `taxonomy.json`.
/// Everything is a function of (seed, count): the same arguments give the same archive bytes.
public struct CogShapesGenerator: Sendable {
    public var seed: UInt64
    public var count: Int

    public init(seed: UInt64, count: Int) {
        self.seed = seed
        self.count = count
    }

    /// The archive's file name for these settings.
    public var archiveName: String { "cogshapes-s\(seed)-n\(count).tar.gz" }

    /// What one generation produced.
    public struct Summary: Sendable, Equatable {
        public var scenes: Int
        public var questions: Int
        /// Whether the archive was (re)written; false when an identical one was already there.
        public var wrote: Bool
    }

    /// The archive's files, in archive order.
    public func files(progress: ProgressReporter? = nil) throws -> [(path: String, data: Data)] {
        var files: [(String, Data)] = []
        var records: [OrderedJSON] = []
        var annotations: [(String, OrderedJSON)] = []
        for index in 0..<count {
            let scene = CogShapesScene.generate(seed: seed, index: index)
            var rng = SplitMix64.stream(seed: seed ^ 0x5155_4553_5449_4F4E, index: UInt64(index)) // questions' own stream
            let raster = CogShapesRenderer.render(scene)
            let image = try RasterImage(width: raster.width, height: raster.height, format: .rgb, pixels: raster.rgb)
            let mask = try RasterImage(width: raster.width, height: raster.height, format: .gray, pixels: raster.labels)
            let imagePath = "images/\(scene.id).png", maskPath = "masks/\(scene.id).png"
            files.append((imagePath, try image.pngData()))
            files.append((maskPath, try mask.pngData()))
            annotations.append((imagePath, .object([
                ("mask", .string(maskPath)),
                ("kind", .string(scene.kind.rawValue)),
                ("objects", .array(scene.objects.enumerated().map { k, o in
                    .object([("label", .number(Double(k + 1))), ("shape", .string(o.shape)), ("color", .string(o.color)),
                             ("size", .string(o.size)), ("center", .array([.number(Double(o.centerX)), .number(Double(o.centerY))])),
                             ("radius", .number(Double(o.radius))),
                             ("bbox", .array(o.boundingBox.map { .number(Double($0)) }))])
                })),
            ])))
            for (q, question) in CogShapesQuestions.questions(for: scene, rng: &rng).enumerated() {
                var tags = question.tags
                tags["scene"] = scene.id
                records.append(.object([
                    ("id", .string("\(scene.id)-q\(q)")),
                    ("question", .string(question.question)),
                    ("final_answer", .string(question.finalAnswer)),
                    ("image_path", .string(imagePath)),
                    ("split", .string(scene.split)),
                    ("tags", .object(tags.keys.sorted().map { ($0, .string(tags[$0] ?? "")) })),
                    ("generated", .array(question.steps.map { step in
                        .object([("subquestion", .string(step.subquestion)), ("answer", .string(step.answer)),
                                 ("cognitive_skill", .string(step.function))])
                    })),
                ]))
            }
            progress?.advance()
        }
        files.append(("questions.json", Data(OrderedJSON.array(records).prettySerialized().utf8)))
        files.append(("annotations.json", Data(OrderedJSON.object(annotations).prettySerialized().utf8)))
        files.append(("taxonomy.json", Data(CogShapesQuestions.taxonomy.json.prettySerialized().utf8)))
        return files
    }

    /// Writes the archive to `url` atomically; leaves an identical existing archive untouched
    /// (so `make` sees nothing new).
    @discardableResult
    public func writeArchive(to url: URL, progress: ProgressReporter? = nil) throws -> Summary {
        let files = try files(progress: progress)
        let questions = files.first { $0.path == "questions.json" }
            .flatMap { try? JSONParser.parse($0.data, source: "questions.json").arrayValue?.count } ?? 0
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fresh = AtomicFile.temporaryURL(for: url)
        defer { try? FileManager.default.removeItem(at: fresh) }
        let writer = try ArchiveWriter(creating: fresh, format: .tarGzip)
        for directory in ["images", "masks"] { try writer.addDirectory(directory) }
        for file in files { try writer.addFile(file.path, data: file.data) }
        try writer.finish()
        if let old = try? ContentHash.file(at: url), old == (try ContentHash.file(at: fresh)) {
            return Summary(scenes: count, questions: questions, wrote: false)
        }
        try AtomicFile.replace(url) { temporary in
            try FileManager.default.moveItem(at: fresh, to: temporary)
        }
        return Summary(scenes: count, questions: questions, wrote: true)
    }
}
