import Foundation

extension URL {
    /// A path as a user gives it (a flag, a config's own location): absolute as it stands, else
    /// relative to the working directory; standardised and without a base URL, so `path` and
    /// messages show the whole path.
    public init(commandLinePath text: String) {
        let url = text.hasPrefix("/") ? URL(fileURLWithPath: text)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(text)
        self = url.standardizedFileURL
    }
}
