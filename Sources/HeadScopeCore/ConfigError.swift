/// A problem in a pipeline config, located precisely: file, line, column and key path, with what
/// was expected and what was found.
///
/// Printed as `pipelines/demo.yaml:7:15: extract.shard_rows: expected …, found …`, followed by
/// the offending source line with a caret under the column, the way compilers do it, so editors
/// and terminals can jump to the spot.
public struct ConfigError: HeadScopeError, Equatable {
    /// The config file as the user named it.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column (in Unicode scalars), when known.
    public var column: Int?
    /// The full key path (`extract.shard_rows`, `probe.layers[2]`), empty for the whole file.
    public var keyPath: String
    /// What is wrong: what was expected and what was found.
    public var message: String
    /// The source line, to be shown under the message; nil to omit.
    public var sourceLine: String?

    public init(file: String, line: Int?, column: Int?, keyPath: String, message: String,
                sourceLine: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
        self.sourceLine = sourceLine
    }

    /// The first line of the description: `file:line:column: key.path: message`.
    public var headline: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }

    public var description: String {
        guard let sourceLine, let line else { return headline }
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        var text = "\(headline)\n \(gutter) | \(sourceLine)"
        if let column, column >= 1 {
            // Keep tabs so the caret lines up under the same character in a terminal.
            let prefix = sourceLine.unicodeScalars.prefix(column - 1).map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n \(pad) | \(prefix)^"
        }
        return text
    }
}

/// Closest-match suggestions for misspelled keys and values.
public enum Suggestion {
    /// The candidate closest to `word` by edit distance (insertions, deletions, substitutions and
    /// swaps of neighbours each count 1), if it is close enough to be a plausible typo: at most
    /// one edit for short words, up to a third of the word's length, at most 3, and fewer than
    /// half its letters. Case and the
    /// difference between `-` and `_` are ignored first.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        func normalized(_ s: String) -> [Character] {
            Array(s.lowercased().replacingOccurrences(of: "-", with: "_"))
        }
        let target = normalized(word)
        let limit = min(3, max(1, target.count / 3))
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(target, normalized(candidate))
            // A single edit turns any one-letter word into any other: demand that most of the
            // word survives.
            let plausible = distance * 2 < max(target.count, candidate.count)
            if distance <= limit && plausible && distance < (best?.1 ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Optimal-string-alignment distance between two character arrays.
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
