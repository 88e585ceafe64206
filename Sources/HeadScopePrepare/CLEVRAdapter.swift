import Foundation

/// Reads CLEVR-style questions with functional programs and decomposes each program into labelled
/// subquestions, answered by executing the program on the scene graph.
///
/// The label of each step comes from the taxonomy's `program_functions` map (for example
/// `filter_*` to a perception label, `relate` to relational reasoning, `count` and the integer
/// comparisons to math reasoning, `exist` and `equal_*` to decision-making); a function the map
/// leaves out yields no step. A question whose program fails on its scene, or whose stated answer
/// disagrees with the scene graph, is skipped and counted.
public struct CLEVRAdapter: Sendable {
    public var taxonomy: Taxonomy
    /// Folder of the images inside the input; `{split}` is replaced by the question's split.
    public var imageDirectory: String

    public init(taxonomy: Taxonomy, imageDirectory: String = "images") {
        self.taxonomy = taxonomy
        self.imageDirectory = imageDirectory
    }

    /// Parses a questions file against the scenes it refers to.
    public func read(questions data: Data, source: String, scenes: [String: CLEVRScene]) throws -> (items: [DraftItem], counts: AdapterCounts) {
        guard !taxonomy.programFunctions.isEmpty else {
            throw PrepareError.config(key: "taxonomy", message: "taxonomy \"\(taxonomy.name)\" has no program_functions map; CLEVR programs need one (see pipelines/taxonomies/clevr.json)")
        }
        let root = try JSONParser.parse(data, source: source)
        guard let questions = (root["questions"] ?? root).arrayValue else {
            throw PrepareError.schema(path: source, entry: nil, key: "questions", message: "expected an array of questions")
        }
        let sourceName = (source as NSString).lastPathComponent
        var counts = AdapterCounts()
        var items: [DraftItem] = []
        for (index, record) in questions.enumerated() {
            let entry = index + 1
            guard let question = record["question"]?.stringValue else {
                throw PrepareError.schema(path: source, entry: entry, key: "question", message: "missing or not a string")
            }
            guard let filename = record["image_filename"]?.stringValue else {
                throw PrepareError.schema(path: source, entry: entry, key: "image_filename", message: "missing or not a string")
            }
            let program = try CLEVRProgram(json: record["program"] ?? .null, source: source, entry: entry)
            guard let scene = scenes[filename] else {
                counts.skip("no scene graph for the image")
                continue
            }
            let traces: [CLEVRProgram.Trace]
            do { traces = try program.execute(on: scene) } catch {
                counts.skip("program does not run on its scene")
                continue
            }
            guard let final = traces.last?.value.answer else { continue }
            if let stated = record["answer"].flatMap(CogVisionAdapter.text),
               stated.lowercased() != final.lowercased() {
                counts.skip("stated answer disagrees with the scene graph")
                continue
            }
            var steps: [Step] = []
            for i in program.nodes.indices {
                guard let label = taxonomy.label(forProgramFunction: program.nodes[i].function),
                      let text = program.subquestion(node: i, traces: traces) else { continue }
                steps.append(Step(subquestion: text, answer: program.stepAnswer(node: i, traces: traces), function: label))
            }
            guard !steps.isEmpty else {
                counts.skip("no steps with a known label")
                continue
            }
            let split = record["split"]?.stringValue
            let questionIndex = record["question_index"]?.intValue ?? index
            let id = "clevr-\(split ?? "all")-\(questionIndex)"
            let directory = imageDirectory.replacingOccurrences(of: "{split}", with: split ?? "")
            let imagePath = directory.isEmpty ? filename : "\(directory)/\(filename)"
            items.append(DraftItem(id: id, imagePath: imagePath, question: question,
                                   options: OptionParser.options(in: question), finalAnswer: final,
                                   source: "clevr:\(sourceName)#\(entry)", split: split, steps: steps))
        }
        return (items, counts)
    }
}
