/// A failure to load or use a tokenizer: which file and key, what was wrong, and what to do.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or input) the problem was found in, e.g. `tokenizer.json`.
    public var file: String
    /// The JSON key path, when the problem is a specific entry (`model.merges[12]`).
    public var key: String?
    /// What was wrong.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// An error about `file` (and `key` in it), with a hint on what to do.
    public init(file: String, key: String? = nil, message: String, hint: String? = nil) {
        self.file = file
        self.key = key
        self.message = message
        self.hint = hint
    }

    /// "file (key): message; hint".
    public var description: String {
        var text = file
        if let key { text += " (\(key))" }
        text += ": \(message)"
        if let hint { text += "; \(hint)" }
        return text
    }
}
