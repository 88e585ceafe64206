import CCrypto
import Foundation

/// An incremental SHA-256 computation through OpenSSL's EVP interface (which uses the CPU's
/// SHA instructions where present, about 2 GB/s on this class of machine).
///
/// Feed bytes with `update`, then call `finalize()` once for the lowercase hex digest.
public final class SHA256Hasher {
    private var context: OpaquePointer?
    private var finished = false

    /// Starts a new hash. Throws only if OpenSSL cannot allocate or initialise a digest context.
    public init() throws {
        guard let context = EVP_MD_CTX_new() else {
            throw StageError("OpenSSL could not allocate a SHA-256 context (out of memory?)")
        }
        self.context = context
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw StageError("OpenSSL could not initialise SHA-256 (libcrypto misconfigured?)")
        }
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Adds raw bytes to the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256Hasher.update after finalize")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // EVP_DigestUpdate cannot fail for a software digest on a valid context.
        _ = EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds bytes to the hash.
    public func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Adds a string's UTF-8 bytes to the hash.
    public func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Finishes the hash and returns the 64-character lowercase hex digest.
    public func finalize() -> String {
        precondition(!finished, "SHA256Hasher.finalize called twice")
        finished = true
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &digest, &length)
        return ContentHash.hex(digest.prefix(Int(length)))
    }
}
