import Foundation

/// A CLEVR functional program and its deterministic execution on a scene graph.
///
/// Execution follows the CLEVR reference executor; alongside each node's value it builds a noun
/// phrase ("red cubes left of the large sphere") so the decomposer can phrase one subquestion per
/// meaningful step with the answer the scene graph gives.
public struct CLEVRProgram: Sendable {
    public struct Node: Sendable, Equatable {
        public var function: String
        public var inputs: [Int]
        public var values: [String]
    }

    public var nodes: [Node]

    /// Reads a program in any of CLEVR's spellings: `{"function", "inputs", "value_inputs"}`
    /// (CLEVR v1.0), `{"type", "inputs", "side_inputs"}` (the generator), or `"filter_color[red]"`.
    public init(json: OrderedJSON, source: String, entry: Int) throws {
        guard let array = json.arrayValue, !array.isEmpty else {
            throw PrepareError.schema(path: source, entry: entry, key: "program", message: "missing or empty")
        }
        nodes = try array.enumerated().map { i, node in
            guard var function = (node["function"] ?? node["type"])?.stringValue else {
                throw PrepareError.schema(path: source, entry: entry, key: "program[\(i)].function", message: "missing or not a string")
            }
            var values = (node["value_inputs"] ?? node["side_inputs"])?.arrayValue?.compactMap(\.stringValue) ?? []
            if let open = function.firstIndex(of: "["), function.hasSuffix("]") {
                values.append(String(function[function.index(after: open)..<function.index(before: function.endIndex)]))
                function = String(function[..<open])
            }
            let inputs = node["inputs"]?.arrayValue?.compactMap(\.intValue) ?? []
            guard inputs.allSatisfy({ $0 >= 0 && $0 < i }) else {
                throw PrepareError.schema(path: source, entry: entry, key: "program[\(i)].inputs",
                                          message: "inputs must name earlier nodes of the program")
            }
            return Node(function: function, inputs: inputs, values: values)
        }
    }

    /// A node's result.
    public enum Value: Equatable, Sendable {
        case objects([Int])
        case object(Int)
        case attribute(String)
        case number(Int)
        case boolean(Bool)

        /// The value as a short answer: yes/no, a decimal number, an attribute value.
        public var answer: String {
            switch self {
            case .objects(let set): return String(set.count)
            case .object(let o): return String(o)
            case .attribute(let a): return a
            case .number(let n): return String(n)
            case .boolean(let b): return b ? "yes" : "no"
            }
        }
    }

    /// Why a program could not run on a scene.
    public struct ExecutionError: Error, CustomStringConvertible, Sendable {
        public var node: Int
        public var function: String
        public var message: String
        public var description: String { "program node \(node) (\(function)): \(message)" }
    }

    /// A noun phrase for a node's objects, grown as filters and relations apply.
    struct Phrase: Sendable {
        var attributes: [String: String] = [:]
        var qualifier: String? = nil

        var words: String {
            let adjectives = ["size", "color", "material"].compactMap { attributes[$0] }
            return adjectives.joined(separator: " ")
        }
        var plural: String {
            let noun = attributes["shape"].map { $0 + "s" } ?? "objects"
            return [words, noun, qualifier ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        }
        var definite: String {
            let noun = attributes["shape"] ?? "object"
            return "the " + [words, noun, qualifier ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        }
    }

    /// One executed node: its value and the phrase describing what it denotes.
    struct Trace {
        var value: Value
        var phrase: Phrase
        /// For query nodes: the object and attribute asked about.
        var queried: (object: Phrase, attribute: String)?
    }

    static let relationPhrases = ["left": "left of", "right": "right of", "front": "in front of", "behind": "behind"]

    /// Runs the program on a scene and returns every node's trace (the last is the answer).
    func execute(on scene: CLEVRScene) throws -> [Trace] {
        var traces: [Trace] = []
        for (i, node) in nodes.enumerated() {
            func fail(_ message: String) -> ExecutionError { ExecutionError(node: i, function: node.function, message: message) }
            func input(_ k: Int) throws -> Trace {
                guard k < node.inputs.count else { throw fail("expects \(k + 1) input(s)") }
                return traces[node.inputs[k]]
            }
            func objects(_ k: Int) throws -> ([Int], Phrase) {
                let t = try input(k)
                guard case .objects(let set) = t.value else { throw fail("input \(k) is not a set of objects") }
                return (set, t.phrase)
            }
            func object(_ k: Int) throws -> (Int, Phrase) {
                let t = try input(k)
                guard case .object(let o) = t.value else { throw fail("input \(k) is not a single object") }
                return (o, t.phrase)
            }
            func value(_ k: Int) throws -> String {
                guard k < node.values.count else { throw fail("expects a value input") }
                return node.values[k]
            }
            let f = node.function
            if f == "scene" {
                traces.append(Trace(value: .objects(Array(scene.objects.indices)), phrase: Phrase()))
            } else if f.hasPrefix("filter_") {
                let attribute = String(f.dropFirst("filter_".count))
                guard CLEVRScene.attributeNames.contains(attribute) else { throw fail("unknown attribute \(attribute)") }
                let (set, phrase) = try objects(0)
                let wanted = try value(0)
                var next = phrase
                next.attributes[attribute] = wanted
                traces.append(Trace(value: .objects(set.filter { scene.objects[$0].attributes[attribute] == wanted }), phrase: next))
            } else if f == "unique" {
                let (set, phrase) = try objects(0)
                guard set.count == 1 else { throw fail("\"\(phrase.plural)\" matches \(set.count) objects, not exactly one") }
                traces.append(Trace(value: .object(set[0]), phrase: phrase))
            } else if f == "relate" {
                let (o, phrase) = try object(0)
                let relation = try value(0)
                guard let lists = scene.relationships[relation], let words = CLEVRProgram.relationPhrases[relation] else {
                    throw fail("the scene has no relationship \"\(relation)\"")
                }
                traces.append(Trace(value: .objects(lists[o].sorted()), phrase: Phrase(qualifier: "\(words) \(phrase.definite)")))
            } else if f.hasPrefix("same_") {
                let attribute = String(f.dropFirst("same_".count))
                let (o, phrase) = try object(0)
                let mine = scene.objects[o].attributes[attribute]
                let others = scene.objects.indices.filter { $0 != o && scene.objects[$0].attributes[attribute] == mine }
                traces.append(Trace(value: .objects(others), phrase: Phrase(qualifier: "with the same \(attribute) as \(phrase.definite)")))
            } else if f.hasPrefix("query_") {
                let attribute = String(f.dropFirst("query_".count))
                let (o, phrase) = try object(0)
                guard let v = scene.objects[o].attributes[attribute] else { throw fail("unknown attribute \(attribute)") }
                traces.append(Trace(value: .attribute(v), phrase: phrase, queried: (phrase, attribute)))
            } else if f == "count" {
                let (set, phrase) = try objects(0)
                traces.append(Trace(value: .number(set.count), phrase: phrase))
            } else if f == "exist" {
                let (set, phrase) = try objects(0)
                traces.append(Trace(value: .boolean(!set.isEmpty), phrase: phrase))
            } else if f == "union" || f == "intersect" {
                let (a, pa) = try objects(0)
                let (b, pb) = try objects(1)
                let result = f == "union" ? Set(a).union(b).sorted() : Set(a).intersection(b).sorted()
                let joiner = f == "union" ? "or" : "and also"
                traces.append(Trace(value: .objects(result), phrase: Phrase(qualifier: "that are \(pa.plural) \(joiner) \(pb.plural)")))
            } else if f.hasPrefix("equal_") && f != "equal_integer" {
                let a = try input(0), b = try input(1)
                guard case .attribute(let va) = a.value, case .attribute(let vb) = b.value else { throw fail("inputs are not attributes") }
                traces.append(Trace(value: .boolean(va == vb), phrase: a.phrase))
            } else if f == "equal_integer" || f == "less_than" || f == "greater_than" {
                let a = try input(0), b = try input(1)
                guard case .number(let na) = a.value, case .number(let nb) = b.value else { throw fail("inputs are not numbers") }
                let result = f == "equal_integer" ? na == nb : (f == "less_than" ? na < nb : na > nb)
                traces.append(Trace(value: .boolean(result), phrase: a.phrase))
            } else {
                throw fail("unknown program function")
            }
        }
        return traces
    }

    /// The answer to a node's subquestion: yes/no for a filter ("are there any ...?"), the number
    /// of objects for a relation, the node's value otherwise.
    func stepAnswer(node i: Int, traces: [Trace]) -> String {
        if nodes[i].function.hasPrefix("filter_"), case .objects(let set) = traces[i].value {
            return set.isEmpty ? "no" : "yes"
        }
        return traces[i].value.answer
    }

    /// The subquestion a node asks, or nil when the node only wires others (scene, unique,
    /// union, intersect).
    func subquestion(node i: Int, traces: [Trace]) -> String? {
        let node = nodes[i]
        let f = node.function
        let t = traces[i]
        func inputTrace(_ k: Int) -> Trace? { k < node.inputs.count ? traces[node.inputs[k]] : nil }
        if f.hasPrefix("filter_") { return "Are there any \(t.phrase.plural)?" }
        if f == "relate" || f.hasPrefix("same_") {
            return "How many objects are there \(t.phrase.qualifier ?? "")?"
        }
        if f.hasPrefix("query_"), let q = t.queried { return "What \(q.attribute) is \(q.object.definite)?" }
        if f == "count" { return "How many \(t.phrase.plural) are there?" }
        if f == "exist" { return "Is there any \(t.phrase.definite.dropFirst(4))?" }
        if f.hasPrefix("equal_") && f != "equal_integer",
           let a = inputTrace(0)?.queried, let b = inputTrace(1)?.queried {
            return "Do \(a.object.definite) and \(b.object.definite) have the same \(a.attribute)?"
        }
        if f == "equal_integer" || f == "less_than" || f == "greater_than",
           let a = inputTrace(0), let b = inputTrace(1) {
            let comparison = f == "equal_integer" ? "equal to" : (f == "less_than" ? "less than" : "greater than")
            return "Is the number of \(a.phrase.plural) \(comparison) the number of \(b.phrase.plural)?"
        }
        return nil
    }
}
