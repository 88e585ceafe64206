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

extension RuntimeError {
    /// A JSON decoding failure as the key path and the reason (`edits[0].layer: missing`).
    public static func decoding(_ error: DecodingError, what: String, location: String) -> RuntimeError {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(root)" : text)
        }
        let reason: String
        switch error {
        case .keyNotFound(let key, let context): reason = "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(let type, let context): reason = "\(path(context.codingPath)): expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context): reason = "\(path(context.codingPath)): expected \(type), found null"
        case .dataCorrupted(let context): reason = "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: reason = "\(error)"
        }
        return RuntimeError("\(what): \(reason)", location: location)
    }
}
