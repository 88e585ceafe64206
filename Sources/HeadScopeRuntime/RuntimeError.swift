import Foundation

/// A model folder, image or prompt the runtime cannot use: what failed, where, and what to do.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    /// The file or folder concerned, when there is one.
    public var location: String?
    public var message: String
    /// What to do about it, when there is something to say.
    public var hint: String?

    public init(_ message: String, location: String? = nil, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        if let hint { text += " (\(hint))" }
        return text
    }
}
