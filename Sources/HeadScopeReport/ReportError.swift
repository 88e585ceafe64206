import HeadScopeCore

/// Why the report could not be written: which artifact was unreadable and what to do.
///
/// A missing stage is not an error (the report says it is missing); an artifact that exists but
/// cannot be read is, because a report silently built around a corrupt file would mislead.
public struct ReportError: HeadScopeError, Equatable {
    /// The file (or directory) that failed.
    public var file: String
    /// What was wrong with it.
    public var message: String
    /// What the user can do about it.
    public var remedy: String?

    public init(file: String, _ message: String, remedy: String? = nil) {
        self.file = file
        self.message = message
        self.remedy = remedy
    }

    public var description: String {
        "\(file): \(message)" + (remedy.map { "; \($0)" } ?? "")
    }
}
