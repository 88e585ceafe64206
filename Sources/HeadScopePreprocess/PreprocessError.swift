/// What went wrong while configuring or running image preprocessing.
public enum PreprocessError: Error, CustomStringConvertible, Equatable {
    /// An image value whose size or layout is unusable.
    case invalidImage(String)
    /// An operation that does not apply to this image (for example resizing straight RGBA).
    case unsupported(String)
    /// A `preprocessor_config.json` that cannot be used: the file (if known), the key, and why.
    case invalidConfig(file: String?, key: String, reason: String)
    /// A processor class HeadScope does not implement.
    case unknownProcessorClass(file: String?, name: String)

    public var description: String {
        switch self {
        case .invalidImage(let message):
            return "invalid image: \(message)"
        case .unsupported(let message):
            return "unsupported preprocessing: \(message)"
        case .invalidConfig(let file, let key, let reason):
            return "\(file ?? "preprocessor config"): key '\(key)': \(reason)"
        case .unknownProcessorClass(let file, let name):
            let known = ImageProcessorKind.allCases.map(\.className).joined(separator: ", ")
            return "\(file ?? "preprocessor config"): image processor class '\(name)' is not supported "
                + "(supported: \(known)); check 'image_processor_type' or convert the checkpoint's "
                + "preprocessing to one of these"
        }
    }
}
