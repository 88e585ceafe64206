import Foundation
import HeadScopeCore

/// Why preparing a dataset failed: what, where (file, entry, key), and what to do about it.
public enum PrepareError: HeadScopeError {
    /// A file could not be read or written.
    case io(path: String, message: String, hint: String)
    /// A record does not have the expected shape.
    case schema(path: String, entry: Int?, key: String?, message: String)
    /// A configuration value is missing or wrong.
    case config(key: String, message: String)
    /// Labels outside the taxonomy, with where they occurred.
    case unknownLabels(path: String, labels: [String: [Int]])
    /// The input has nothing usable.
    case empty(path: String, message: String)
    /// The LLM endpoint failed in a way retries did not fix.
    case endpoint(url: String, message: String)
    /// An item references an image the input does not contain.
    case missingImage(path: String, image: String, root: String, others: Int)

    public var description: String {
        switch self {
        case let .io(path, message, hint):
            return "\(path): \(message); \(hint)"
        case let .schema(path, entry, key, message):
            var at = path
            if let entry { at += ", entry \(entry)" }
            if let key { at += ", key \"\(key)\"" }
            return "\(at): \(message)"
        case let .config(key, message):
            return "config key \"\(key)\": \(message)"
        case let .unknownLabels(path, labels):
            let list = labels.keys.sorted().map { label -> String in
                let entries = labels[label] ?? []
                let shown = entries.prefix(5).map(String.init).joined(separator: ", ")
                return "\"\(label)\" (entries \(shown)\(entries.count > 5 ? ", ..." : ""))"
            }.joined(separator: "; ")
            return "\(path): labels not in the taxonomy: \(list); add them to the taxonomy's labels, aliases or excluded, or set on_unknown_label: skip"
        case let .empty(path, message):
            return "\(path): \(message)"
        case let .endpoint(url, message):
            return "LLM endpoint \(url): \(message)"
        case let .missingImage(path, image, root, others):
            let more = others > 0 ? " (and \(others) other missing image\(others == 1 ? "" : "s"))" : ""
            return "\(path): image \"\(image)\" is not in the input \(root)\(more); fix the image path or add the image, or set prepare.on_missing_image: skip to skip such items"
        }
    }
}
