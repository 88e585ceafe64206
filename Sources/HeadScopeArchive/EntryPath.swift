/// Checks on paths and link targets taken from archive headers, before they touch the disk.
enum EntryPath {
    /// The cleaned components of an entry path, relative to the target directory: `.` and empty
    /// components are dropped; absolute paths, `..` anywhere, NUL bytes and backslashes (Windows
    /// separators that would hide a `..`) are refused.
    static func components(of path: String) throws(ArchiveError.HostileReason) -> [String] {
        if path.hasPrefix("/") { throw .absolutePath }
        if path.contains("\0") || path.contains("\\") { throw .invalidPath }
        var parts: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw .parentTraversal }
            parts.append(String(part))
        }
        return parts
    }

    /// Whether a symbolic link at `parent` (components below the target directory) pointing at
    /// `target` stays inside the target directory, whatever other links the archive creates.
    ///
    /// A relative target may climb with leading `..` components no higher than the target
    /// directory, then only descend. A `..` after a descending component is refused even when
    /// it looks harmless, because that component could itself be a link (`s -> .` makes `s/..`
    /// the directory above the target). Every link checked this way resolves inside, and links
    /// are never placed under other links, so resolving any chain of them stays inside too.
    static func symlinkStaysInside(target: String, parent: [String]) -> Bool {
        if target.isEmpty || target.hasPrefix("/") || target.contains("\0") { return false }
        var depth = parent.count
        var descending = false
        for part in target.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if descending || depth == 0 { return false }
                depth -= 1
            } else {
                descending = true
            }
        }
        return true
    }
}
