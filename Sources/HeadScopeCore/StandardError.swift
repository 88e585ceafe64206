#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to file descriptor 2, safe from any thread.
///
/// Uses `write(2)` directly rather than the C `stderr` stream, whose global is not
/// concurrency-safe in Swift 6, and so that a line reaches a Slurm log even if the process dies.
public enum StandardError {
    /// Writes `text` to stderr, retrying short writes and EINTR; errors are ignored because there
    /// is nowhere left to report them.
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = posixWrite(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Whether stderr is a terminal (so a redrawn progress line makes sense).
    public static var isTerminal: Bool { isatty(2) == 1 }
}

@inline(__always)
func posixWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, pointer, count)
    #else
    return Darwin.write(fd, pointer, count)
    #endif
}
