import Foundation
import Yams

/// A parsed `pipelines/*.yaml` file: the root mapping as a `ConfigNode` tree in which every node
/// remembers its line and column, so every later validation error can point at the source.
///
/// Relative paths in a config (read with `ConfigNode.path(_:)`) resolve against the config's
/// *project directory*, not the current directory, so a pipeline means the same thing wherever
/// `make` or a Slurm job is started from. The project directory is the parent of the config's
/// directory when that directory is named `pipelines` (the repository layout:
/// `pipelines/demo.yaml` says `data/demo` for `<repo>/data/demo`), and otherwise the directory
/// holding the config file (a config kept next to its own data). `load(_:baseDirectory:)` can
/// override it.
public struct ConfigFile: Sendable {
    /// The file as given.
    public let url: URL
    /// The directory relative paths resolve against.
    public let baseDirectory: URL
    /// The top-level mapping.
    public let root: ConfigNode

    /// Reads and parses a config file.
    public static func load(_ url: URL, baseDirectory: URL? = nil, displayPath: String? = nil) throws -> ConfigFile {
        let display = displayPath ?? url.relativePath
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw ConfigError(file: display, line: nil, column: nil, keyPath: "",
                              message: exists ? "cannot read the config: \(error)"
                                  : "no such config file (available configs live in pipelines/*.yaml)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: display, line: nil, column: nil, keyPath: "",
                              message: "the config is not valid UTF-8 text")
        }
        return try parse(text, file: display, url: url,
                         baseDirectory: baseDirectory ?? defaultBaseDirectory(for: url))
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String, url: URL? = nil, baseDirectory: URL) throws -> ConfigFile {
        let source = ConfigSource(displayPath: file, baseDirectory: baseDirectory, text: text)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw source.syntaxError(error)
        }
        guard let node else {
            throw ConfigError(file: file, line: 1, column: 1, keyPath: "",
                              message: "the config is empty; expected a mapping of stage sections")
        }
        let root = try ConfigNode.build(node, keyPath: "", keyPosition: nil, source: source)
        guard case .mapping = root.value else {
            throw root.error("expected a mapping (key: value lines) at the top level, found \(root.foundDescription)")
        }
        return ConfigFile(url: url ?? URL(fileURLWithPath: file), baseDirectory: baseDirectory, root: root)
    }

    /// The project directory for a config file (see the type's documentation).
    public static func defaultBaseDirectory(for url: URL) -> URL {
        let directory = url.standardizedFileURL.deletingLastPathComponent()
        if directory.lastPathComponent == "pipelines" {
            return directory.deletingLastPathComponent()
        }
        return directory
    }
}

/// The text and identity of one config, shared by all its nodes for error messages.
final class ConfigSource: Sendable {
    let displayPath: String
    let baseDirectory: URL
    let lines: [String]

    init(displayPath: String, baseDirectory: URL, text: String) {
        self.displayPath = displayPath
        self.baseDirectory = baseDirectory
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
    }

    func line(_ number: Int?) -> String? {
        guard let number, number >= 1, number <= lines.count else { return nil }
        return lines[number - 1]
    }

    func error(line: Int?, column: Int?, keyPath: String, _ message: String) -> ConfigError {
        ConfigError(file: displayPath, line: line, column: column, keyPath: keyPath, message: message,
                    sourceLine: self.line(line))
    }

    /// A YAML syntax error with the file, line and column where the parser gave up.
    func syntaxError(_ error: YamlError) -> ConfigError {
        func located(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> ConfigError {
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            if line(mark.line)?.contains("\t") == true {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return self.error(line: mark.line, column: mark.column, keyPath: "", message)
        }
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return located(problem, context, mark)
        case let .reader(problem, offset, _, yaml):
            var line: Int?
            if let offset {
                line = 1 + yaml.prefix(offset).reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            }
            return self.error(line: line, column: nil, keyPath: "", "cannot read the YAML text: \(problem)")
        default:
            return self.error(line: nil, column: nil, keyPath: "", "YAML error: \(error)")
        }
    }
}
