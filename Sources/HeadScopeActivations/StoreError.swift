import HeadScopeCore

/// Why an activation store could not be written or read.
public struct StoreError: HeadScopeError {
    public var path: String
    public var message: String
    public var remedy: String?

    public init(_ path: String, _ message: String, remedy: String? = nil) {
        self.path = path
        self.message = message
        self.remedy = remedy
    }

    public var description: String {
        "\(path): \(message)" + (remedy.map { "; \($0)" } ?? "")
    }
}
