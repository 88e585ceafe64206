import CHDF5
import Foundation

/// An open HDF5 file.
///
/// ```swift
/// let file = try HDF5File.create("shard.h5")
/// let z = try file.root.createDataset("z", datatype: .float32, shape: [n, 64],
///                                     options: .chunked([16, 64]))
/// try z.write(values)
/// try file.root.attributes.write("schema_version", .scalar(Int64(1)))
/// try file.close()
/// ```
///
/// **Closing.** `close()` flushes and closes the file and reports failure (a full disk, a lost
/// mount), which matters for the write-to-temporary-then-rename protocol of the activation store:
/// only a file whose `close()` returned is complete. Dropping the last reference closes the file
/// quietly as a fallback, but then errors are lost.
///
/// `close()` has "strong" semantics: it first closes every group, dataset and attribute still
/// open through this file, then the file, so the file is really closed when it returns (HDF5's
/// default "weak" close would keep the file open until the last object handle goes, making a
/// successful `close()` mean nothing). Later use of those handles throws `HDF5Error` of kind
/// `.closed`. This is done by hand rather than with the `H5F_CLOSE_STRONG` close degree, on
/// purpose: HDF5 opens the source files of a virtual dataset with the weak degree, and refuses to
/// open a file that is already open with a different degree. With `H5F_CLOSE_STRONG`, reading a
/// virtual dataset while one of its sources is open in this process fails inside HDF5, and the
/// unreadable source silently reads as fill values. Files therefore keep HDF5's default degree.
/// One consequence: a file also held open by HDF5 itself (as the source of an open virtual
/// dataset) stays open underneath until that dataset closes; its data were flushed by `close()`.
///
/// **Threads.** The Debian HDF5 build is threadsafe with one global lock, so library calls from
/// several threads are serialised inside HDF5. On top of that each file has a recursive lock
/// that every operation on the file or its objects holds, so "is it still open?" and the call
/// that uses the handle happen atomically, and a `close()` on one task cannot pull a handle out
/// from under a read on another. Handle types are therefore `Sendable`: they are final classes
/// whose only mutable state (the open/closed flags) is guarded by that lock, hence
/// `@unchecked Sendable` on the internal handle classes. Concurrent reads of one file are safe but
/// not parallel; use one file per task to overlap I/O with compute.
public final class HDF5File: Sendable {
    /// How `create` treats an existing file.
    public enum CreateMode: Sendable {
        /// Replace an existing file.
        case truncate
        /// Fail if the file exists.
        case exclusive
    }

    /// How `open` accesses the file.
    public enum OpenMode: Sendable {
        case readOnly
        case readWrite
    }

    let core: FileCore

    /// The root group `/`; its attributes are the file's attributes (h5py's `File.attrs`).
    public let root: HDF5Group

    /// The path the file was opened with.
    public var path: String { core.path }

    /// Whether the file was opened for writing.
    public var isWritable: Bool { core.isWritable }

    private init(core: FileCore) throws {
        self.core = core
        let context = ErrorContext(operation: "open root group", file: core.path, object: "/")
        let rootID = try core.withOpenFile(context) { fileID in
            try context.check(H5Gopen2(fileID, "/", hs_H5P_DEFAULT()))
        }
        root = HDF5Group(handle: ObjectHandle(file: core, id: rootID, path: "/"))
    }

    /// Creates a new HDF5 file at `path`.
    public static func create(_ path: String, mode: CreateMode = .truncate) throws -> HDF5File {
        let context = ErrorContext(operation: "create file", file: path)
        HDF5Library.prepareThread()
        let fapl = try makeAccessProperties(context)
        defer { H5Pclose(fapl) }
        let flags = mode == .truncate ? hs_H5F_ACC_TRUNC() : hs_H5F_ACC_EXCL()
        let id = try context.check(H5Fcreate(path, flags, hs_H5P_DEFAULT(), fapl))
        return try HDF5File(core: FileCore(path: path, id: id, isWritable: true))
    }

    /// Opens an existing HDF5 file at `path`.
    public static func open(_ path: String, mode: OpenMode = .readOnly) throws -> HDF5File {
        let context = ErrorContext(operation: "open file", file: path)
        HDF5Library.prepareThread()
        let fapl = try makeAccessProperties(context)
        defer { H5Pclose(fapl) }
        let flags = mode == .readOnly ? hs_H5F_ACC_RDONLY() : hs_H5F_ACC_RDWR()
        let id = try context.check(H5Fopen(path, flags, fapl))
        return try HDF5File(core: FileCore(path: path, id: id, isWritable: mode == .readWrite))
    }

    /// File access properties: HDF5's defaults (sec2 driver, weak close degree; see the type's
    /// documentation for why the close degree stays weak).
    private static func makeAccessProperties(_ context: ErrorContext) throws -> hid_t {
        try context.check(H5Pcreate(hs_H5P_FILE_ACCESS()))
    }

    /// The file's attributes (those of the root group).
    public var attributes: HDF5Attributes { root.attributes }

    /// Whether `close()` has run.
    public var isClosed: Bool { core.isClosed }

    /// Writes everything buffered for this file to disk (HDF5's `H5Fflush`, global scope).
    public func flush() throws {
        let context = ErrorContext(operation: "flush file", file: path)
        try core.withOpenFile(context) { try context.check(H5Fflush($0, H5F_SCOPE_GLOBAL)) }
    }

    /// Flushes and closes the file and every object still open in it; throws if HDF5 reports a
    /// failure (the file may then be incomplete). Closing twice is an error of kind `.closed`.
    public func close() throws { try core.close() }
}

/// The file handle proper, shared by the `HDF5File` and every object opened from it, so objects
/// keep the file alive and the file's lock guards them all.
final class FileCore: @unchecked Sendable {
    let path: String
    let isWritable: Bool
    private let id: hid_t
    private var closed = false
    let lock = NSRecursiveLock()

    init(path: String, id: hid_t, isWritable: Bool) {
        self.path = path
        self.id = id
        self.isWritable = isWritable
    }

    var isClosed: Bool { locked { closed } }

    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` with the file id while holding the lock, after checking the file is open.
    @discardableResult
    func withOpenFile<R>(_ context: ErrorContext, _ body: (hid_t) throws -> R) throws -> R {
        try locked {
            guard !closed else {
                throw context.error(.closed, "the file was already closed", hint: "reopen it with HDF5File.open")
            }
            HDF5Library.prepareThread()
            return try body(id)
        }
    }

    /// Flushes, closes every object still open through this file id, then closes the file, so
    /// the file is really closed when this returns (see `HDF5File` on why not H5F_CLOSE_STRONG).
    func close() throws {
        let context = ErrorContext(operation: "close file", file: path)
        try locked {
            guard !closed else { throw context.error(.closed, "the file was already closed") }
            HDF5Library.prepareThread()
            closed = true // HDF5 releases the id even when the final flush fails
            var failure: HDF5Error?
            if isWritable && H5Fflush(id, H5F_SCOPE_LOCAL) < 0 { failure = context.library() }
            let kinds = hs_H5F_OBJ_LOCAL_OPEN_OBJECTS()
            let openCount = H5Fget_obj_count(id, kinds)
            if openCount > 0 {
                var ids = [hid_t](repeating: -1, count: openCount)
                let found = H5Fget_obj_ids(id, kinds, openCount, &ids)
                for objectID in ids.prefix(max(found, 0)) {
                    let status = H5Iget_type(objectID) == H5I_ATTR ? H5Aclose(objectID) : H5Oclose(objectID)
                    if status < 0 && failure == nil { failure = context.library() }
                }
            }
            if H5Fclose(id) < 0 && failure == nil { failure = context.library() }
            if let failure { throw failure }
        }
    }

    deinit {
        if !closed {
            HDF5Library.prepareThread()
            H5Fclose(id)
        }
    }
}

/// An open group, dataset or attribute-bearing object: its id, its path, and the file it lives in.
final class ObjectHandle: @unchecked Sendable {
    let file: FileCore
    let id: hid_t
    let path: String
    private var closed = false

    init(file: FileCore, id: hid_t, path: String) {
        self.file = file
        self.id = id
        self.path = path
    }

    func context(_ operation: String, _ object: String? = nil) -> ErrorContext {
        ErrorContext(operation: operation, file: file.path, object: object ?? path)
    }

    /// Runs `body` with the object's id while holding the file's lock, after checking that both the
    /// file and the object are open.
    @discardableResult
    func withID<R>(_ context: ErrorContext, _ body: (hid_t) throws -> R) throws -> R {
        try file.withOpenFile(context) { _ in
            guard !closed else { throw context.error(.closed, "the object '\(path)' was already closed") }
            return try body(id)
        }
    }

    var isClosed: Bool { file.locked { closed || file.isClosed } }

    func close() throws {
        let context = self.context("close object")
        try file.withOpenFile(context) { _ in
            guard !closed else { throw context.error(.closed, "the object was already closed") }
            closed = true
            try context.check(H5Oclose(id))
        }
    }

    deinit {
        // `FileCore.close()` has closed this id already.
        file.locked {
            if !closed && !file.isClosed {
                HDF5Library.prepareThread()
                H5Oclose(id)
            }
        }
    }
}

/// Joins a parent object path and a child path (absolute child paths stand alone).
func joinPath(_ parent: String, _ child: String) -> String {
    if child.hasPrefix("/") { return child }
    return parent.hasSuffix("/") ? parent + child : parent + "/" + child
}
