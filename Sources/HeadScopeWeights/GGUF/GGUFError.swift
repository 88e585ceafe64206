/// Why a GGUF file could not be read, with the file and the item concerned.
public struct GGUFError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
