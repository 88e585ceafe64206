import HeadScopeCore

/// An attribution step that failed: what, where, and what to do.
public struct AttributionError: HeadScopeError, Equatable {
    public var message: String
    public var remedy: String?

    public init(_ message: String, remedy: String? = nil) {
        self.message = message
        self.remedy = remedy
    }

    public var description: String {
        remedy.map { "\(message) (\($0))" } ?? message
    }
}
