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
/// quietly as a fallback, but then errors are lost. A file that a full disk must not break (the
/// process cannot recover from a failed close with HDF5 1.10) is better built in memory with
/// `createInMemory` and written out by the caller.
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

    /// Creates a new HDF5 file that lives in memory until `closeReturningImage()` hands back its
    /// bytes (HDF5's core driver without a backing store); `name` is what errors show and what
    /// relative virtual-dataset sources are resolved against, so pass the path the image will be
    /// written to.
    ///
    /// For files that must not be left half-written by a failing disk: HDF5 1.10 cannot recover
    /// from a write that fails inside the library (a full disk makes `close()` fail and leaves a
    /// dangling file id that crashes the process at exit; HDFFV-11052, fixed in HDF5 1.14.1).
    /// Built in memory, the file never touches the disk inside HDF5, and the caller's own write of
    /// the image reports a full disk as an ordinary system error. The whole file is held in
    /// memory, growing `increment` bytes at a time.
    public static func createInMemory(name: String, increment: Int = 1 << 20) throws -> HDF5File {
        let context = ErrorContext(operation: "create in-memory file", file: name)
        HDF5Library.prepareThread()
        guard increment > 0 else { throw context.error(.invalidArgument, "the growth increment must be positive (got \(increment))") }
        let fapl = try makeAccessProperties(context)
        defer { H5Pclose(fapl) }
        try context.check(H5Pset_fapl_core(fapl, increment, false))
        let id = try context.check(H5Fcreate(name, hs_H5F_ACC_TRUNC(), hs_H5P_DEFAULT(), fapl))
        return try HDF5File(core: FileCore(path: name, id: id, isWritable: true))
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
    public func close() throws { _ = try core.close(takingImage: false) }

    /// Builds a file in memory with `build` (see `createInMemory`) and returns its bytes, for the
    /// caller to write atomically: a full disk is then an ordinary write error, never a failure
    /// inside HDF5.
    public static func buildImage(name: String, _ build: (HDF5File) throws -> Void) throws -> Data {
        let file = try createInMemory(name: name)
        do {
            try build(file)
        } catch {
            try? file.close()
            throw error
        }
        return try file.closeReturningImage()
    }

    /// Flushes and closes the file like `close()`, returning the complete file's bytes (for a
    /// file from `createInMemory`, what to write to disk; readable by any HDF5 reader).
    public func closeReturningImage() throws -> Data {
        try core.close(takingImage: true) ?? Data()
    }
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
    /// With `takingImage`, returns the flushed file's bytes (`H5Fget_file_image`).
    func close(takingImage: Bool) throws -> Data? {
        let context = ErrorContext(operation: "close file", file: path)
        return try locked {
            guard !closed else { throw context.error(.closed, "the file was already closed") }
            HDF5Library.prepareThread()
            // Closed whatever happens below: after a failed flush HDF5 1.10 frees the file but
            // keeps its id, which must never be used again (see `HDF5File.createInMemory`).
            closed = true
            var failure: HDF5Error?
            if isWritable && H5Fflush(id, H5F_SCOPE_LOCAL) < 0 { failure = context.library() }
            var image: Data?
            if takingImage && failure == nil {
                let imageContext = ErrorContext(operation: "take the image of file", file: path)
                let size = H5Fget_file_image(id, nil, 0)
                if size < 0 {
                    failure = imageContext.library()
                } else {
                    var bytes = Data(count: size)
                    let copied = bytes.withUnsafeMutableBytes { H5Fget_file_image(id, $0.baseAddress, size) }
                    if copied == size { image = bytes } else { failure = imageContext.library() }
                }
            }
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
            return image
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
