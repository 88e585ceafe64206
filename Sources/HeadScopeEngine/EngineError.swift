/// An error from loading a checkpoint or running the engine: what failed, where, and what to do.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    /// The broad class of failure, so callers can react without parsing messages.
    public enum Kind: String, Sendable {
        case io, format, missingTensor, shape, dtype, configuration, unsupported, input, plan
    }
    public var kind: Kind
    /// The file (or other location) the problem was found in, when there is one.
    public var location: String?
    public var message: String

    public init(_ kind: Kind, _ message: String, location: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}
