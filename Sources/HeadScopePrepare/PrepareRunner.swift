import Foundation
import HeadScopeArchive
import HeadScopeCore
import HeadScopeImageIO

/// Runs stage 1: reads the input (archive or folder) and question files, validates images, builds
/// labelled chains (from the source, a functional program, or the LLM decomposer) and publishes
/// `prepared/` atomically.
///
/// Work that is slow to redo lives in a work directory next to the output
/// (`.<output name>.work/`): the extracted archive (reused while the archive's hash is unchanged)
/// and one verdict per validated image, keyed by its content hash. LLM replies go to their own
/// cache. A run that is killed therefore resumes where it stopped, and produces the same bytes as
/// an uninterrupted one; the work directory is removed once `prepared/` is in place.
public struct PrepareRunner: Sendable {
    public var config: PrepareConfig
    public var progressMode: ProgressReporter.Mode

    public init(config: PrepareConfig, progressMode: ProgressReporter.Mode = .automatic()) {
        self.config = config
        self.progressMode = progressMode
    }

    /// What a finished run wrote.
    public struct Summary: Sendable {
        public var output: URL
        public var counts: [String: Int]
    }

    /// One validated image as recorded in `images.jsonl`.
    struct ImageRecord {
        var id: String
        var sourcePath: String
        var sha256: String
        var fileExtension: String
        var url: URL
        var width: Int
        var height: Int
        var mask: (url: URL, width: Int, height: Int)?
        var annotations: OrderedJSON?
        var file: String { "images/\(id).\(fileExtension)" }
    }

    public func run() async throws -> Summary {
        var manifest = Manifest(stage: "prepare", configuration: config.json)
        if let generate = config.generate {
            let generator = CogShapesGenerator(seed: generate.seed, count: generate.count)
            Log.info("generating CogShapes (seed \(generate.seed), \(generate.count) scenes) into \(config.recorded(generate.archive))")
            let progress = ProgressReporter(label: "generate", total: generate.count, unit: "scenes", mode: progressMode)
            let summary = try generator.writeArchive(to: generate.archive, progress: progress)
            progress.finish()
            if !summary.wrote { Log.info("the archive is unchanged") }
        }
        let parent = config.output.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw PrepareError.io(path: parent.path, message: "cannot create the output directory", hint: "check permissions")
        }
        _ = try? AtomicFile.removeStaleTemporaries(in: parent)
        let work = parent.appendingPathComponent(".\(config.output.lastPathComponent).work")
        try makeDirectory(work.appendingPathComponent("validated"))

        // Input root: the folder itself, or the archive extracted into the work directory.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: config.input.path, isDirectory: &isDirectory) else {
            throw PrepareError.io(path: config.input.path, message: "the input does not exist",
                                  hint: "set prepare.input to an archive or a folder of images")
        }
        manifest.inputs.append(try Manifest.Input.hashing(role: isDirectory.boolValue ? "input_folder" : "input_archive",
                                                          url: config.input, recordedPath: config.recorded(config.input)))
        var counts: [String: Int] = [:]
        let root: URL
        if isDirectory.boolValue {
            root = config.input.standardizedFileURL
        } else {
            let extracted = try extract(work: work)
            root = extracted.root
            counts["archive_entries_skipped"] = extracted.skipped
        }

        // Question files and the taxonomy.
        let taxonomyURL = try locate(config.taxonomy, in: root, key: "taxonomy", manifest: &manifest)
        let taxonomy = try Taxonomy.load(from: taxonomyURL)
        let questionsURL = try locate(config.questions, in: root, key: "questions", manifest: &manifest)
        let questionData = try read(questionsURL)
        let sourceName = config.recorded(questionsURL)
        let drafts: [DraftItem]
        var adapterCounts: AdapterCounts
        switch config.format {
        case .cogvision:
            (drafts, adapterCounts) = try CogVisionAdapter(taxonomy: taxonomy, unknownLabels: config.onUnknownLabel)
                .read(questionData, source: sourceName)
        case .clevr:
            let scenesURL = try locate(config.scenes ?? "scenes.json", in: root, key: "scenes", manifest: &manifest)
            let scenes = try CLEVRScene.load(try read(scenesURL), source: config.recorded(scenesURL))
            (drafts, adapterCounts) = try CLEVRAdapter(taxonomy: taxonomy, imageDirectory: config.imageDirectory)
                .read(questions: questionData, source: sourceName, scenes: scenes)
        case .vqa:
            (drafts, adapterCounts) = try VQAAdapter().read(questionData, source: sourceName)
        }
        var annotations: [String: OrderedJSON] = [:]
        if let name = config.annotations {
            let url = try locate(name, in: root, key: "annotations", manifest: &manifest)
            guard let pairs = try JSONParser.parse(try read(url), source: config.recorded(url)).objectValue else {
                throw PrepareError.schema(path: config.recorded(url), entry: nil, key: nil,
                                          message: "annotations must be an object keyed by image path")
            }
            for (key, value) in pairs { annotations[key] = value }
        }

        // Images: each distinct path once, in first-use order.
        var paths: [String] = []
        var seen = Set<String>()
        for draft in drafts where seen.insert(draft.imagePath).inserted { paths.append(draft.imagePath) }
        let progress = ProgressReporter(label: "images", total: paths.count, unit: "images", mode: progressMode)
        var images: [String: ImageRecord] = [:]
        var missing = Set<String>(), bad = Set<String>()
        for path in paths {
            defer { progress.advance() }
            guard let url = resolve(path, in: root), FileManager.default.fileExists(atPath: url.path) else {
                missing.insert(path)
                continue
            }
            guard let data = try? Data(contentsOf: url) else {
                Log.warning("skipping image \(path): cannot read the file")
                bad.insert(path)
                continue
            }
            let sha = try ContentHash.sha256(data)
            switch try validate(data, sha: sha, name: path, work: work) {
            case .failure(let reason):
                Log.warning("skipping image \(path): \(reason)")
                bad.insert(path)
            case .success(let size):
                var record = ImageRecord(id: PrepareRunner.imageID(sha: sha, path: path), sourcePath: path, sha256: sha,
                                         fileExtension: PrepareRunner.fileExtension(of: data), url: url,
                                         width: size.width, height: size.height)
                if var annotation = annotations[path] {
                    if let maskPath = annotation["mask"]?.stringValue {
                        guard let maskURL = resolve(maskPath, in: root), FileManager.default.fileExists(atPath: maskURL.path) else {
                            Log.warning("skipping image \(path): its mask \(maskPath) is missing")
                            bad.insert(path)
                            continue
                        }
                        let maskData = try read(maskURL)
                        let verdict = try validate(maskData, sha: try ContentHash.sha256(maskData), name: maskPath, work: work)
                        guard case .success(let maskSize) = verdict, maskSize.width == size.width, maskSize.height == size.height else {
                            Log.warning("skipping image \(path): its mask \(maskPath) is unreadable or not \(size.width)x\(size.height)")
                            bad.insert(path)
                            continue
                        }
                        record.mask = (maskURL, maskSize.width, maskSize.height)
                        if case .object(let pairs) = annotation { annotation = .object(pairs.filter { $0.0 != "mask" }) }
                    }
                    record.annotations = annotation
                }
                images[path] = record
            }
        }
        progress.finish()
        if let first = missing.sorted().first, config.onMissingImage == .error,
           let draft = drafts.first(where: { $0.imagePath == first }) {
            throw PrepareError.missingImage(path: draft.source, image: first, root: config.recorded(root), others: missing.count - 1)
        }

        // Items, with chains from the source or the LLM.
        var decomposer: LLMDecomposer?
        if config.format == .vqa, let endpoint = config.llm {
            decomposer = try LLMDecomposer(endpoint: endpoint,
                                           prompt: DecompositionPrompt(taxonomy: taxonomy, minSteps: config.minSteps, maxSteps: config.maxSteps),
                                           cacheDirectory: config.llmCache)
        }
        let needChains = drafts.filter { $0.steps.isEmpty && images[$0.imagePath] != nil }.count
        let chainProgress = decomposer == nil ? nil
            : ProgressReporter(label: "decompose", total: needChains, unit: "items", mode: progressMode)
        var items: [PreparedItem] = []
        var ids = Set<String>()
        for (index, draft) in drafts.enumerated() {
            guard let image = images[draft.imagePath] else {
                adapterCounts.skip(missing.contains(draft.imagePath) ? "image missing" : "image unreadable")
                continue
            }
            var steps = draft.steps
            if steps.isEmpty, let decomposer {
                do {
                    steps = try await decomposer.decompose(question: draft.question, answer: draft.finalAnswer)
                } catch let failure as LLMDecomposer.Failure {
                    Log.warning("\(draft.source): \(failure.description); item skipped")
                    adapterCounts.skip("no valid LLM decomposition")
                    chainProgress?.advance()
                    continue
                }
                chainProgress?.advance()
            }
            let id = draft.id ?? "item-\(index + 1)"
            guard ids.insert(id).inserted else {
                throw PrepareError.schema(path: draft.source, entry: nil, key: "id", message: "id \"\(id)\" occurs twice; ids must be unique")
            }
            items.append(PreparedItem(id: id, imageID: image.id, question: draft.question, options: draft.options,
                                      finalAnswer: draft.finalAnswer, source: draft.source,
                                      split: draft.split ?? split(forImageSHA: image.sha256), steps: steps, tags: draft.tags))
        }
        chainProgress?.finish()
        if let decomposer {
            Log.info("LLM: \(await decomposer.requestsSent) request(s) sent, \(await decomposer.cacheHits) answer(s) from the cache")
        }
        guard !items.isEmpty else {
            throw PrepareError.empty(path: sourceName, message: "no usable items (\(drafts.count) read; skipped: \(describe(adapterCounts.itemsSkipped))); nothing was written")
        }

        // Counts.
        let usedImages = Set(items.map(\.imageID))
        let records = images.values.filter { usedImages.contains($0.id) }.sorted { $0.id < $1.id }
        counts["items"] = items.count
        counts["steps"] = items.reduce(0) { $0 + $1.steps.count }
        for label in taxonomy.labels { counts["steps.\(label)"] = 0 }
        for item in items { for step in item.steps { counts["steps.\(step.function)", default: 0] += 1 } }
        counts["images_ok"] = records.count
        counts["images_skipped"] = bad.count
        counts["images_missing"] = missing.count
        counts["items_skipped"] = adapterCounts.itemsSkipped.values.reduce(0, +)
        for (reason, n) in adapterCounts.itemsSkipped { counts["items_skipped.\(reason)"] = n }
        counts["labels_dropped"] = adapterCounts.labelsDropped.values.reduce(0, +)
        for (label, n) in adapterCounts.labelsDropped { counts["labels_dropped.\(label)"] = n }
        counts["labels_normalised"] = adapterCounts.labelsNormalised.values.reduce(0, +)
        counts["unknown_labels_skipped"] = adapterCounts.unknownLabelsSkipped.values.reduce(0, +)
        for (label, n) in adapterCounts.unknownLabelsSkipped { counts["unknown_labels_skipped.\(label)"] = n }
        for item in items { counts["split.\(item.split)", default: 0] += 1 }

        // Publish.
        let itemsText = items.map { $0.json.serialized() + "\n" }.joined()
        let imagesText = records.map { imageLine($0) + "\n" }.joined()
        let taxonomyText = taxonomy.json.prettySerialized()
        try AtomicDirectory.create(at: config.output) { directory in
            try makeDirectory(directory.appendingPathComponent("images"))
            if records.contains(where: { $0.mask != nil }) { try makeDirectory(directory.appendingPathComponent("masks")) }
            for record in records {
                try copy(record.url, to: directory.appendingPathComponent(record.file))
                if let mask = record.mask { try copy(mask.url, to: directory.appendingPathComponent("masks/\(record.id).png")) }
            }
            try Data(itemsText.utf8).write(to: directory.appendingPathComponent("items.jsonl"))
            try Data(imagesText.utf8).write(to: directory.appendingPathComponent("images.jsonl"))
            try Data(taxonomyText.utf8).write(to: directory.appendingPathComponent("taxonomy.json"))
            manifest.counts = counts
            manifest.outputs = try ["items.jsonl", "images.jsonl", "taxonomy.json"].map {
                try Manifest.Output.hashing($0, in: directory)
            }
            manifest.finish()
            try manifest.save(inDirectory: directory)
        }
        try? FileManager.default.removeItem(at: work)
        Log.info("prepared \(items.count) items with \(counts["steps"] ?? 0) steps over \(records.count) images into \(config.recorded(config.output))")
        return Summary(output: config.output, counts: counts)
    }

    // MARK: Pieces

    /// Images above this many pixels (64 Mi, e.g. 8192 x 8192) count as unreadable: validation
    /// decodes each image fully, and a decompression bomb should not take the machine down.
    public static let maxImagePixels = 1 << 26

    /// A stable image id: the first 12 hex digits of the content hash and the file's stem.
    static func imageID(sha: String, path: String) -> String {
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let safe = String(stem.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".")) ? c : "_"
        })
        return "\(sha.prefix(12))-\(safe.isEmpty ? "image" : safe)"
    }

    /// The stored file's extension, from the content (not the source name).
    static func fileExtension(of data: Data) -> String {
        switch ImageFileFormat(sniffing: data) {
        case .some(.jpeg): return "jpg"
        default: return "png"
        }
    }

    /// `test` for about `testFraction` of images, chosen by content hash (stable across runs and
    /// machines, and the same for every question about one image).
    func split(forImageSHA sha: String) -> String {
        let bucket = Int(sha.prefix(8), radix: 16) ?? 0
        return Double(bucket) / Double(UInt32.max) < config.testFraction ? "test" : "train"
    }

    private func imageLine(_ r: ImageRecord) -> String {
        var pairs: [(String, OrderedJSON)] = [
            ("id", .string(r.id)), ("file", .string(r.file)), ("width", .number(Double(r.width))),
            ("height", .number(Double(r.height))), ("sha256", .string(r.sha256)), ("source", .string(r.sourcePath)),
        ]
        if r.mask != nil { pairs.append(("mask", .string("masks/\(r.id).png"))) }
        if let annotations = r.annotations { pairs.append(("annotations", annotations)) }
        return OrderedJSON.object(pairs).serialized()
    }

    /// Extracts the archive into the work directory, or reuses an extraction of the same bytes.
    private func extract(work: URL) throws -> (root: URL, skipped: Int) {
        let sha = try ContentHash.file(at: config.input)
        let target = work.appendingPathComponent("extracted")
        let marker = work.appendingPathComponent("extracted.json")
        if let data = try? Data(contentsOf: marker), let json = try? JSONParser.parse(data, source: marker.path),
           json["sha256"]?.stringValue == sha, FileManager.default.fileExists(atPath: target.path) {
            Log.info("reusing the extracted archive")
            return (target, json["skipped"]?.intValue ?? 0)
        }
        try? FileManager.default.removeItem(at: target)
        try? FileManager.default.removeItem(at: marker)
        Log.info("extracting \(config.recorded(config.input))")
        let options = ExtractionOptions(policy: config.skipHostileEntries ? .skipHostileEntries : .failOnHostileEntry)
        let summary: ExtractionSummary
        do {
            summary = try ArchiveExtractor(options: options).extract(archiveAt: config.input, into: target)
        } catch let error as ArchiveError where error.isHostileEntry {
            throw StageError(error.description, remedy: "the archive is refused as a whole; set prepare.on_hostile_entry: skip to leave such entries out")
        }
        for skipped in summary.skipped { Log.warning("archive entry skipped: \(skipped.reason)") }
        let record = OrderedJSON.object([("sha256", .string(sha)), ("skipped", .number(Double(summary.skipped.count)))])
        try AtomicFile.write(record.serialized(), to: marker)
        return (target, summary.skipped.count)
    }

    /// Decodes an image once; the verdict is kept in the work directory under its content hash.
    private func validate(_ data: Data, sha: String, name: String, work: URL) throws -> Result<(width: Int, height: Int), ValidationFailure> {
        let marker = work.appendingPathComponent("validated/\(sha).json")
        if let cached = try? Data(contentsOf: marker), let json = try? JSONParser.parse(cached, source: marker.path) {
            if let w = json["width"]?.intValue, let h = json["height"]?.intValue { return .success((w, h)) }
            if let reason = json["error"]?.stringValue { return .failure(ValidationFailure(reason: reason)) }
        }
        let verdict: OrderedJSON
        let result: Result<(width: Int, height: Int), ValidationFailure>
        do {
            let image = try RasterImage(data: data, name: name, maxPixels: PrepareRunner.maxImagePixels)
            verdict = .object([("width", .number(Double(image.width))), ("height", .number(Double(image.height)))])
            result = .success((image.width, image.height))
        } catch {
            let reason = String(describing: error)
            verdict = .object([("error", .string(reason))])
            result = .failure(ValidationFailure(reason: reason))
        }
        try AtomicFile.write(verdict.serialized(), to: marker)
        return result
    }

    struct ValidationFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// A path from a question file, inside the input root; nil when it would leave the root.
    private func resolve(_ path: String, in root: URL) -> URL? {
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { return nil }
        return root.appendingPathComponent(path).standardizedFileURL
    }

    /// Finds a named file inside the input, else relative to the project directory (or absolute);
    /// files outside the input are recorded as manifest inputs.
    private func locate(_ name: String, in root: URL, key: String, manifest: inout Manifest) throws -> URL {
        if !name.hasPrefix("/"), let inside = resolve(name, in: root), FileManager.default.fileExists(atPath: inside.path) {
            return inside
        }
        let outside = name.hasPrefix("/") ? URL(fileURLWithPath: name)
            : config.baseDirectory.appendingPathComponent(name).standardizedFileURL
        guard FileManager.default.fileExists(atPath: outside.path) else {
            throw PrepareError.io(path: name, message: "the \(key) file is neither in the input (\(config.recorded(root))) nor at \(outside.path)",
                                  hint: "fix prepare.\(key)")
        }
        manifest.inputs.append(try Manifest.Input.hashing(role: key, url: outside, recordedPath: config.recorded(outside)))
        return outside
    }

    private func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw PrepareError.io(path: url.path, message: "cannot read the file", hint: "check that it exists and is readable")
        }
    }

    private func copy(_ source: URL, to target: URL) throws {
        do { try FileManager.default.copyItem(at: source, to: target) } catch {
            throw PrepareError.io(path: target.path, message: "cannot copy \(source.path) here", hint: "check free space and permissions")
        }
    }

    private func describe(_ skipped: [String: Int]) -> String {
        skipped.isEmpty ? "none" : skipped.keys.sorted().map { "\($0): \(skipped[$0] ?? 0)" }.joined(separator: ", ")
    }
}

func makeDirectory(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw PrepareError.io(path: url.path, message: "cannot create the directory", hint: "check permissions")
    }
}
