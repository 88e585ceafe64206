import HeadScopeCore

/// Why the intervention stage refused its inputs or stopped: what failed, where, and what to do.
public struct InterventionError: HeadScopeError, Equatable {
    /// The file or directory concerned (empty when the problem is a setting).
    public var path: String
    public var message: String
    public var remedy: String?

    public init(_ path: String, _ message: String, remedy: String? = nil) {
        self.path = path
        self.message = message
        self.remedy = remedy
    }

    public var description: String {
        (path.isEmpty ? message : "\(path): \(message)") + (remedy.map { "; \($0)" } ?? "")
    }
}
