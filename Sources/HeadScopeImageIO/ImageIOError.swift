/// Why an image could not be read, converted or written, naming the file (or the name given for
/// in-memory data).
public struct ImageIOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, for callers that branch on it.
    public enum Reason: String, Sendable, Equatable {
        /// The bytes are neither PNG nor JPEG.
        case unknownFormat
        /// The codec rejected the data: corrupt, truncated or unsupported.
        case decodingFailed
        case encodingFailed
        /// Pixel count and geometry disagree, or the image is too large.
        case invalidGeometry
        /// The file could not be read or written.
        case fileSystem
    }

    /// The file path, or the caller's name for in-memory data.
    public var name: String
    public var reason: Reason
    /// The codec's or the system's own message.
    public var detail: String

    public init(name: String, reason: Reason, detail: String) {
        self.name = name
        self.reason = reason
        self.detail = detail
    }

    public var description: String {
        switch reason {
        case .unknownFormat:
            "\(name): not a PNG or JPEG image (\(detail)); convert it to PNG or JPEG"
        case .decodingFailed:
            "\(name): cannot decode image: \(detail); the file is corrupt, truncated or of an "
                + "unsupported kind"
        case .encodingFailed:
            "\(name): cannot encode PNG: \(detail)"
        case .invalidGeometry:
            "\(name): \(detail)"
        case .fileSystem:
            "\(name): \(detail)"
        }
    }
}
