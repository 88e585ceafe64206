import Foundation

/// One subquestion of a chain: its text, short reference answer, and function label.
public struct Step: Equatable, Sendable {
    public var subquestion: String
    public var answer: String
    /// A label of the dataset's taxonomy.
    public var function: String

    public init(subquestion: String, answer: String, function: String) {
        self.subquestion = subquestion
        self.answer = answer
        self.function = function
    }

    /// The step as it appears in `items.jsonl`: keys subquestion, answer, function.
    public var json: OrderedJSON {
        .object([("subquestion", .string(subquestion)), ("answer", .string(answer)), ("function", .string(function))])
    }
}

/// A multiple-choice option: its letter and text.
public struct AnswerOption: Equatable, Sendable {
    public var letter: String
    public var text: String

    public init(letter: String, text: String) {
        self.letter = letter
        self.text = text
    }
}

/// One main question about one image with its ordered chain of labelled subquestions.
///
/// This is a line of `prepared/items.jsonl`; `json` fixes the key order documented in
/// docs/prepared-format.md so that two runs on the same input are byte-identical.
public struct PreparedItem: Equatable, Sendable {
    public var id: String
    public var imageID: String
    public var question: String
    public var options: [AnswerOption]
    public var finalAnswer: String
    /// Where the item came from: dataset adapter and source file (for example `cogvision:questions.json#12`).
    public var source: String
    public var split: String
    public var steps: [Step]
    /// Free-form string tags (for example `task`, `class`, `color`), written sorted by key.
    public var tags: [String: String]

    public init(id: String, imageID: String, question: String, options: [AnswerOption] = [], finalAnswer: String,
                source: String, split: String, steps: [Step], tags: [String: String] = [:]) {
        self.id = id
        self.imageID = imageID
        self.question = question
        self.options = options
        self.finalAnswer = finalAnswer
        self.source = source
        self.split = split
        self.steps = steps
        self.tags = tags
    }

    /// The item as one JSON object with keys id, image_id, question, options, final_answer,
    /// source, split, steps, tags, in that order.
    public var json: OrderedJSON {
        .object([
            ("id", .string(id)),
            ("image_id", .string(imageID)),
            ("question", .string(question)),
            ("options", .object(options.map { ($0.letter, .string($0.text)) })),
            ("final_answer", .string(finalAnswer)),
            ("source", .string(source)),
            ("split", .string(split)),
            ("steps", .array(steps.map(\.json))),
            ("tags", .object(tags.keys.sorted().map { ($0, .string(tags[$0] ?? "")) })),
        ])
    }

    /// Reads an item back from its JSON form (used by later stages and the tests).
    public init(json: OrderedJSON, source: String) throws {
        func string(_ key: String) throws -> String {
            guard let s = json[key]?.stringValue else {
                throw PrepareError.schema(path: source, entry: nil, key: key, message: "missing or not a string")
            }
            return s
        }
        id = try string("id")
        imageID = try string("image_id")
        question = try string("question")
        finalAnswer = try string("final_answer")
        self.source = try string("source")
        split = try string("split")
        options = (json["options"]?.objectValue ?? []).map { AnswerOption(letter: $0.0, text: $0.1.stringValue ?? "") }
        steps = try (json["steps"]?.arrayValue ?? []).map { step in
            guard let q = step["subquestion"]?.stringValue, let a = step["answer"]?.stringValue,
                  let f = step["function"]?.stringValue else {
                throw PrepareError.schema(path: source, entry: nil, key: "steps", message: "a step lacks subquestion, answer or function")
            }
            return Step(subquestion: q, answer: a, function: f)
        }
        var tags: [String: String] = [:]
        for (k, v) in json["tags"]?.objectValue ?? [] { tags[k] = v.stringValue ?? "" }
        self.tags = tags
    }
}

/// An item as an adapter reads it, before its image is validated and given a stable id.
public struct DraftItem: Equatable, Sendable {
    /// An id from the source, or nil to derive one.
    public var id: String?
    /// The image's path relative to the input root (as written in the question file).
    public var imagePath: String
    public var question: String
    public var options: [AnswerOption]
    public var finalAnswer: String
    public var source: String
    /// A split named by the source, or nil to assign one.
    public var split: String?
    public var steps: [Step]
    public var tags: [String: String]

    public init(id: String?, imagePath: String, question: String, options: [AnswerOption], finalAnswer: String,
                source: String, split: String?, steps: [Step], tags: [String: String] = [:]) {
        self.id = id
        self.imagePath = imagePath
        self.question = question
        self.options = options
        self.finalAnswer = finalAnswer
        self.source = source
        self.split = split
        self.steps = steps
        self.tags = tags
    }
}

/// Counts an adapter reports alongside its items: what was dropped and why.
public struct AdapterCounts: Equatable, Sendable {
    /// Steps dropped because their label is excluded by the taxonomy, per label.
    public var labelsDropped: [String: Int] = [:]
    /// Steps dropped because their label is unknown (only when unknown labels are skipped), per raw label.
    public var unknownLabelsSkipped: [String: Int] = [:]
    /// Raw label spellings that were normalised to a canonical label, per raw spelling.
    public var labelsNormalised: [String: Int] = [:]
    /// Questions skipped, per reason.
    public var itemsSkipped: [String: Int] = [:]

    public init() {}

    mutating func skip(_ reason: String) { itemsSkipped[reason, default: 0] += 1 }
}
