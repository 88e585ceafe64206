/// The HeadScope release every stage records in its manifest and prints with `--version`.
///
/// Kept in one place so a manifest can always be traced to the code that wrote it.
public enum ToolVersion {
    /// The semantic version of this build of HeadScope.
    public static let string = "0.1.0"
}
