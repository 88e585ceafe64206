import CHDF5
import Foundation

/// A failure in the HDF5 layer: what was attempted, on which file and object, and why.
///
/// Library failures carry HDF5's own error stack, flattened to one line (outermost call first,
/// then the deeper reasons), so the message names the real cause ("file signature not found",
/// "object 'x' doesn't exist") instead of a bare status code. Checks made on the Swift side
/// (types, shapes, bounds) use the same type with their own explanation.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad reason, for callers that react differently to different failures.
    public enum Kind: String, Sendable, Equatable {
        /// The HDF5 library reported a failure; `message` holds its error stack.
        case library
        /// The element type asked for does not match what the dataset or attribute holds.
        case typeMismatch
        /// Value counts or ranks do not match the dataset's shape.
        case shapeMismatch
        /// A hyperslab reaches outside the dataset's extent.
        case outOfBounds
        /// The file or object was already closed.
        case closed
        /// The request is valid HDF5 but this layer does not support it.
        case unsupported
        /// An argument is invalid on its face (negative size, empty name, ...).
        case invalidArgument
    }

    public var kind: Kind
    /// What was being done, e.g. "open dataset", "read attribute".
    public var operation: String
    /// The HDF5 file's path as given by the caller.
    public var file: String
    /// The object path inside the file (group, dataset or `object@attribute`), if any.
    public var object: String?
    /// The explanation: HDF5's error stack, or the Swift-side check that failed.
    public var message: String
    /// What to do about it, when there is something useful to say.
    public var hint: String?

    public init(_ kind: Kind, operation: String, file: String, object: String? = nil,
                message: String, hint: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.file = file
        self.object = object
        self.message = message
        self.hint = hint
    }

    /// The operating-system error number behind a failed read or write, when HDF5's file driver
    /// reported one (its message holds `errno = 28, error message = 'No space left on device'`);
    /// nil for failures that did not come from a system call.
    public var systemErrorNumber: Int32? {
        guard kind == .library, let marker = message.range(of: "errno = ") else { return nil }
        return Int32(message[marker.upperBound...].prefix { $0.isNumber })
    }

    public var description: String {
        // Operations without an object name the file itself ("open file '/x/y.h5'").
        var text = "HDF5: cannot \(operation)"
        text += object.map { " '\($0)' in file '\(file)'" } ?? " '\(file)'"
        text += ": \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }

    /// Builds an error from the calling thread's HDF5 error stack (HDF5 keeps one stack per thread
    /// in the threadsafe build, so this must run on the thread whose call just failed).
    static func fromLibrary(_ operation: String, file: String, object: String?) -> HDF5Error {
        let message = ErrorStack.currentMessage()
        return HDF5Error(.library, operation: operation, file: file, object: object,
                         message: message.isEmpty ? "the HDF5 library reported a failure" : message,
                         hint: hint(for: message))
    }

    /// Advice for the failures people meet most, recognised from HDF5's wording.
    private static func hint(for message: String) -> String? {
        let lower = message.lowercased()
        if lower.contains("no space left on device") { return "the disk is full" }
        if lower.contains("disk quota exceeded") { return "the disk quota is used up" }
        if lower.contains("file too large") { return "the file exceeds the file-size limit (ulimit -f)" }
        if lower.contains("signature not found") {
            return "the file is not an HDF5 file, or is truncated"
        }
        if lower.contains("no such file or directory") { return "check the path" }
        if lower.contains("file exists") || lower.contains("file already exists") {
            return "the file already exists; create it with mode .truncate to overwrite it"
        }
        if lower.contains("doesn't exist") || lower.contains("not found") {
            return "no object at that path; list the group's children to see what is there"
        }
        if lower.contains("already exists") { return "an object with that name already exists" }
        if lower.contains("no write intent") || lower.contains("read-only") {
            return "the file is open read-only; open it with mode .readWrite"
        }
        if lower.contains("unable to lock file") {
            return "another process holds the file open; close it there first"
        }
        return nil
    }
}

/// Reading HDF5's per-thread error stack into a one-line message.
enum ErrorStack {
    /// Collects the descriptions of every entry of the current thread's error stack.
    private final class Collector {
        var entries: [(function: String, description: String)] = []
    }

    static func currentMessage() -> String {
        let collector = Collector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        _ = H5Ewalk2(hs_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, entry, data in
            guard let entry, let data else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
            let function = entry.pointee.func_name.map { String(cString: $0) } ?? ""
            // Some descriptions span lines (file-open details); keep the message on one line.
            let description = (entry.pointee.desc.map { String(cString: $0) } ?? "")
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ")
            collector.entries.append((function, description))
            return 0
        }, box.toOpaque())
        H5Eclear2(hs_H5E_DEFAULT())
        guard let first = collector.entries.first else { return "" }
        // Outermost call (the API function the layer called) first, then the chain of reasons.
        var reasons: [String] = []
        for entry in collector.entries.dropFirst() where !entry.description.isEmpty {
            if reasons.last != entry.description { reasons.append(entry.description) }
        }
        // Deep stacks repeat the same failure at each layer; the innermost reasons say the most.
        let shown = reasons.count > 5 ? ["..."] + reasons.suffix(4) : reasons
        var text = "\(first.function)(): \(first.description)"
        if !shown.isEmpty { text += " <- " + shown.joined(separator: " <- ") }
        return text
    }
}

/// Library set-up shared by every call.
enum HDF5Library {
    /// Initialises the library once per process.
    private static let initialised: Bool = { hs_H5open() >= 0 }()

    /// Makes the calling thread ready for library calls: initialises the library and switches off
    /// HDF5's automatic printing of error stacks to stderr, which the threadsafe build keeps per
    /// thread (Swift tasks may land on any thread, so this runs before every operation; it is a
    /// cheap property set).
    static func prepareThread() {
        _ = initialised
        _ = hs_silence_error_printing()
    }
}

/// Where an operation happens, so failures can name the file and object.
struct ErrorContext {
    var operation: String
    var file: String
    var object: String?

    func library() -> HDF5Error { .fromLibrary(operation, file: file, object: object) }

    func error(_ kind: HDF5Error.Kind, _ message: String, hint: String? = nil) -> HDF5Error {
        HDF5Error(kind, operation: operation, file: file, object: object, message: message, hint: hint)
    }

    /// Throws the thread's library error when an HDF5 status or id is negative.
    @discardableResult
    func check<T: BinaryInteger>(_ result: T) throws -> T {
        if result < 0 { throw library() }
        return result
    }
}
