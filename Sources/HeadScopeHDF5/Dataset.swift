import CHDF5

/// How a new dataset is laid out on disk.
///
/// Without a chunk shape the dataset is contiguous (and cannot be compressed or extended). With
/// one it is chunked, optionally byte-shuffled and gzip-compressed (applied in that order, as h5py
/// does); these are the filters every HDF5 reader has without plugins.
public struct HDF5DatasetOptions: Sendable, Hashable {
    /// Chunk extents, one per dimension; nil means contiguous layout.
    public var chunkShape: [Int]?
    /// Maximum extents, one per dimension, nil entries unlimited; nil means the initial shape.
    /// Any unlimited or larger-than-shape dimension needs a chunk shape.
    public var maxShape: [Int?]?
    /// gzip (deflate) level 0...9, or nil for no compression.
    public var gzipLevel: Int?
    /// Whether to byte-shuffle before compression (helps floats compress).
    public var shuffle: Bool

    public init(chunkShape: [Int]? = nil, maxShape: [Int?]? = nil, gzipLevel: Int? = nil, shuffle: Bool = false) {
        self.chunkShape = chunkShape
        self.maxShape = maxShape
        self.gzipLevel = gzipLevel
        self.shuffle = shuffle
    }

    /// Contiguous layout, no filters.
    public static let contiguous = HDF5DatasetOptions()

    /// Chunked with shuffle + gzip (level 4 unless given).
    public static func chunked(_ chunkShape: [Int], gzipLevel: Int? = 4, shuffle: Bool = true,
                               maxShape: [Int?]? = nil) -> HDF5DatasetOptions {
        HDF5DatasetOptions(chunkShape: chunkShape, maxShape: maxShape, gzipLevel: gzipLevel, shuffle: shuffle)
    }

    /// Builds the dataset creation property list; the caller closes it.
    func makeCreationProperties(rank: Int, _ context: ErrorContext) throws -> hid_t {
        let dcpl = try context.check(H5Pcreate(hs_H5P_DATASET_CREATE()))
        do {
            if let chunkShape {
                guard chunkShape.count == rank, chunkShape.allSatisfy({ $0 >= 1 }) else {
                    throw context.error(.invalidArgument,
                                        "chunk shape \(chunkShape) must have rank \(rank) and extents of at least 1")
                }
                try context.check(H5Pset_chunk(dcpl, Int32(rank), chunkShape.map { hsize_t($0) }))
                if shuffle { try context.check(H5Pset_shuffle(dcpl)) }
                if let gzipLevel {
                    guard (0...9).contains(gzipLevel) else {
                        throw context.error(.invalidArgument, "gzip level \(gzipLevel) is outside 0...9")
                    }
                    try context.check(H5Pset_deflate(dcpl, UInt32(gzipLevel)))
                }
            } else if gzipLevel != nil || shuffle {
                throw context.error(.invalidArgument, "compression and shuffle need a chunked layout",
                                    hint: "set chunkShape")
            }
            return dcpl
        } catch {
            H5Pclose(dcpl)
            throw error
        }
    }
}

/// A filter in a chunked dataset's pipeline.
public enum HDF5Filter: Sendable, Hashable {
    case deflate(level: Int)
    case shuffle
    case fletcher32
    case other(id: Int, name: String)
}

extension HDF5Group {
    /// Creates a dataset of `datatype` and `shape` (filled with zeros / empty strings until
    /// written), creating missing intermediate groups.
    public func createDataset(_ path: String, datatype: HDF5Datatype, shape: [Int],
                              options: HDF5DatasetOptions = .contiguous) throws -> HDF5Dataset {
        let full = joinPath(self.path, path)
        let context = handle.context("create dataset", full)
        if let maxShape = options.maxShape, maxShape.count == shape.count, options.chunkShape == nil,
           zip(shape, maxShape).contains(where: { $1 == nil || $1! > $0 }) {
            throw context.error(.invalidArgument, "an extendible dataset (max shape \(maxShape.map { $0.map(String.init) ?? "unlimited" })) needs a chunked layout",
                                hint: "set options.chunkShape")
        }
        let fileType = try datatype.makeFileType(context)
        defer { H5Tclose(fileType) }
        let space = try Dataspace.create(shape, maxShape: options.maxShape, context)
        defer { H5Sclose(space) }
        let dcpl = try options.makeCreationProperties(rank: shape.count, context)
        defer { H5Pclose(dcpl) }
        return try createDataset(path: path, fullPath: full, type: fileType, space: space, dcpl: dcpl, context)
    }

    /// Creates a dataset holding `values` (row-major, `shape.reduce(1, *)` of them), stored as
    /// `T`'s datatype unless `storedAs` says otherwise (only `.float16` for `Float` values).
    @discardableResult
    public func createDataset<T: HDF5Scalar>(_ path: String, values: [T], shape: [Int],
                                             storedAs: HDF5Datatype? = nil,
                                             options: HDF5DatasetOptions = .contiguous) throws -> HDF5Dataset {
        let dataset = try createDataset(path, datatype: storedAs ?? T.hdf5Datatype, shape: shape, options: options)
        try dataset.write(values)
        return dataset
    }

    /// Creates a 1-D variable-length UTF-8 string dataset holding `strings`.
    @discardableResult
    public func createDataset(_ path: String, strings: [String],
                              options: HDF5DatasetOptions = .contiguous) throws -> HDF5Dataset {
        let dataset = try createDataset(path, datatype: .string, shape: [strings.count], options: options)
        try dataset.writeStrings(strings)
        return dataset
    }

    /// Creates the dataset from prepared type, space and creation properties.
    func createDataset(path: String, fullPath: String, type: hid_t, space: hid_t, dcpl: hid_t,
                       _ context: ErrorContext) throws -> HDF5Dataset {
        let id = try handle.withID(context) { groupID -> hid_t in
            let lcpl = try context.check(H5Pcreate(hs_H5P_LINK_CREATE()))
            defer { H5Pclose(lcpl) }
            try context.check(H5Pset_create_intermediate_group(lcpl, 1))
            return try context.check(H5Dcreate2(groupID, path, type, space, lcpl, dcpl, hs_H5P_DEFAULT()))
        }
        return HDF5Dataset(handle: ObjectHandle(file: handle.file, id: id, path: fullPath))
    }
}

/// A dataset: an N-d array of one element type, read and written whole or by hyperslab.
///
/// Element types are strict (see `HDF5Scalar`): reading an int32 dataset as `[Float]` is an error
/// of kind `.typeMismatch`, never a silent conversion; the exception is `Float` for float16 data.
public final class HDF5Dataset: Sendable {
    let handle: ObjectHandle

    init(handle: ObjectHandle) { self.handle = handle }

    /// The dataset's absolute path in its file.
    public var path: String { handle.path }

    /// The path of the file the dataset lives in.
    public var filePath: String { handle.file.path }

    /// The dataset's attributes.
    public var attributes: HDF5Attributes { HDF5Attributes(owner: handle) }

    // MARK: Queries

    /// The current extent of each dimension (empty for a scalar dataset).
    public var shape: [Int] { get throws { try extents().shape } }

    /// The maximum extent of each dimension; nil is unlimited.
    public var maxShape: [Int?] { get throws { try extents().maxShape } }

    /// The element type stored in the file.
    public var datatype: HDF5Datatype {
        get throws {
            let context = handle.context("query datatype of dataset")
            return try handle.withID(context) { try Self.storedType($0, context) }
        }
    }

    /// The chunk extents, or nil for contiguous (and compact or virtual) layout.
    public var chunkShape: [Int]? {
        get throws {
            let context = handle.context("query layout of dataset")
            return try handle.withID(context) { id in
                let dcpl = try context.check(H5Dget_create_plist(id))
                defer { H5Pclose(dcpl) }
                guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
                var dims = [hsize_t](repeating: 0, count: 32)
                let rank = try context.check(H5Pget_chunk(dcpl, 32, &dims))
                return dims.prefix(Int(rank)).map { Int($0) }
            }
        }
    }

    /// Whether the dataset is virtual (maps parts of other datasets).
    public var isVirtual: Bool {
        get throws {
            let context = handle.context("query layout of dataset")
            return try handle.withID(context) { id in
                let dcpl = try context.check(H5Dget_create_plist(id))
                defer { H5Pclose(dcpl) }
                return H5Pget_layout(dcpl) == H5D_VIRTUAL
            }
        }
    }

    /// The filter pipeline, in application order.
    public var filters: [HDF5Filter] {
        get throws {
            let context = handle.context("query filters of dataset")
            return try handle.withID(context) { id in
                let dcpl = try context.check(H5Dget_create_plist(id))
                defer { H5Pclose(dcpl) }
                let count = try context.check(H5Pget_nfilters(dcpl))
                return try (0..<UInt32(count)).map { index in
                    var flags: UInt32 = 0, config: UInt32 = 0
                    var valueCount = 8
                    var values = [UInt32](repeating: 0, count: 8)
                    var name = [CChar](repeating: 0, count: 256)
                    let filter = try context.check(H5Pget_filter2(dcpl, index, &flags, &valueCount, &values,
                                                                  name.count, &name, &config))
                    switch filter {
                    case H5Z_FILTER_DEFLATE: return .deflate(level: valueCount > 0 ? Int(values[0]) : 0)
                    case H5Z_FILTER_SHUFFLE: return .shuffle
                    case H5Z_FILTER_FLETCHER32: return .fletcher32
                    default:
                        let text = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                        return .other(id: Int(filter), name: text)
                    }
                }
            }
        }
    }

    private func extents() throws -> (shape: [Int], maxShape: [Int?]) {
        let context = handle.context("query shape of dataset")
        return try handle.withID(context) { id in
            let space = try context.check(H5Dget_space(id))
            defer { H5Sclose(space) }
            return try Dataspace.extents(of: space, context)
        }
    }

    static func storedType(_ id: hid_t, _ context: ErrorContext) throws -> HDF5Datatype {
        let type = try context.check(H5Dget_type(id))
        defer { H5Tclose(type) }
        return HDF5Datatype.from(typeID: type)
    }

    // MARK: Numeric reads and writes

    /// Reads the whole dataset, or the `selection`, as a row-major array.
    public func read<T: HDF5Scalar>(as _: T.Type = T.self, _ selection: Hyperslab? = nil) throws -> [T] {
        let context = handle.context(selection.map { "read hyperslab \($0) of dataset" } ?? "read dataset")
        return try handle.withID(context) { id in
            let stored = try Self.storedType(id, context)
            return try withSelection(id, selection, context) { memorySpace, fileSpace, count in
                if T.hdf5Datatype == stored {
                    return try ElementIO.read(T.self, count: count, context) {
                        H5Dread(id, $0, memorySpace, fileSpace, hs_H5P_DEFAULT(), $1)
                    }
                }
                if T.self == Float.self && stored == .float16 {
                    let halves = try ElementIO.read(Float16.self, count: count, context) {
                        H5Dread(id, $0, memorySpace, fileSpace, hs_H5P_DEFAULT(), $1)
                    }
                    if let widened = halves.map({ Float($0) }) as? [T] { return widened }
                }
                throw Self.mismatch(stored: stored, requested: "\(T.self)", context)
            }
        }
    }

    /// Writes `values` (row-major) to the whole dataset, or to the `selection`.
    public func write<T: HDF5Scalar>(_ values: [T], to selection: Hyperslab? = nil) throws {
        let context = handle.context(selection.map { "write hyperslab \($0) of dataset" } ?? "write dataset")
        try handle.withID(context) { id in
            let stored = try Self.storedType(id, context)
            try withSelection(id, selection, context) { memorySpace, fileSpace, count in
                guard values.count == count else {
                    throw context.error(.shapeMismatch, "got \(values.count) values for \(count) elements")
                }
                if T.hdf5Datatype == stored {
                    try ElementIO.write(values, context) {
                        H5Dwrite(id, $0, memorySpace, fileSpace, hs_H5P_DEFAULT(), $1)
                    }
                } else if stored == .float16, let floats = values as? [Float] {
                    // Round in Swift (to nearest even, like numpy) rather than in HDF5's soft
                    // conversion, so the stored halves match what numpy would store.
                    try ElementIO.write(floats.map { Float16($0) }, context) {
                        H5Dwrite(id, $0, memorySpace, fileSpace, hs_H5P_DEFAULT(), $1)
                    }
                } else {
                    throw Self.mismatch(stored: stored, requested: "\(T.self)", context)
                }
            }
        }
    }

    // MARK: String reads and writes

    /// Reads a string dataset (variable- or fixed-length), whole or by `selection`.
    public func readStrings(_ selection: Hyperslab? = nil) throws -> [String] {
        let context = handle.context(selection.map { "read hyperslab \($0) of dataset" } ?? "read dataset")
        return try handle.withID(context) { id in
            let type = try context.check(H5Dget_type(id))
            defer { H5Tclose(type) }
            guard H5Tget_class(type) == H5T_STRING else {
                throw Self.mismatch(stored: HDF5Datatype.from(typeID: type), requested: "String", context)
            }
            return try withSelection(id, selection, context) { memorySpace, fileSpace, count in
                // Reclaiming variable-length memory needs a space describing the memory buffer.
                let reclaimSpace = memorySpace == hs_H5S_ALL() ? fileSpace : memorySpace
                return try ElementIO.readStrings(fileType: type, count: count, memorySpace: reclaimSpace, context) {
                    H5Dread(id, $0, memorySpace, fileSpace, hs_H5P_DEFAULT(), $1)
                }
            }
        }
    }

    /// Writes variable-length UTF-8 strings to the whole dataset, or to the `selection`.
    public func writeStrings(_ strings: [String], to selection: Hyperslab? = nil) throws {
        let context = handle.context(selection.map { "write hyperslab \($0) of dataset" } ?? "write dataset")
        try handle.withID(context) { id in
            let stored = try Self.storedType(id, context)
            guard stored == .string else { throw Self.mismatch(stored: stored, requested: "String", context) }
            try withSelection(id, selection, context) { memorySpace, fileSpace, count in
                guard strings.count == count else {
                    throw context.error(.shapeMismatch, "got \(strings.count) strings for \(count) elements")
                }
                try ElementIO.writeStrings(strings, context) {
                    H5Dwrite(id, $0, memorySpace, fileSpace, hs_H5P_DEFAULT(), $1)
                }
            }
        }
    }

    // MARK: Extending

    /// Changes the current extent (within the maximum shape; chunked datasets only). Growing
    /// exposes fill values (zeros) until written.
    public func setExtent(_ shape: [Int]) throws {
        let context = handle.context("resize dataset")
        try handle.withID(context) { id in
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw context.error(.invalidArgument, "shape \(shape) has a negative extent")
            }
            let maxShape = try self.maxShape
            guard shape.count == maxShape.count,
                  zip(shape, maxShape).allSatisfy({ $1 == nil || $0 <= $1! }) else {
                throw context.error(.outOfBounds,
                                    "new shape \(shape) does not fit the maximum shape \(maxShape.map { $0.map(String.init) ?? "unlimited" })",
                                    hint: "create the dataset with a larger options.maxShape")
            }
            try context.check(H5Dset_extent(id, shape.map { hsize_t($0) }))
        }
    }

    /// Appends rows along the first dimension: `values` holds whole rows (a multiple of the
    /// product of the other extents).
    public func append<T: HDF5Scalar>(_ values: [T]) throws {
        try handle.file.locked { // one lock span: no other task can append in between
            let slab = try growForAppend(elementCount: values.count)
            try write(values, to: slab)
        }
    }

    /// Appends strings to a 1-D extendible string dataset.
    public func appendStrings(_ strings: [String]) throws {
        try handle.file.locked {
            let slab = try growForAppend(elementCount: strings.count)
            try writeStrings(strings, to: slab)
        }
    }

    private func growForAppend(elementCount: Int) throws -> Hyperslab {
        let context = handle.context("append to dataset")
        var shape = try self.shape
        guard let rows = shape.first else {
            throw context.error(.shapeMismatch, "a scalar dataset has no rows to append to")
        }
        let rowSize = shape.dropFirst().reduce(1, *)
        guard rowSize > 0, elementCount % rowSize == 0 else {
            throw context.error(.shapeMismatch,
                                "\(elementCount) values are not whole rows of \(rowSize) (shape \(shape))")
        }
        let newRows = elementCount / rowSize
        shape[0] = rows + newRows
        try setExtent(shape)
        return Hyperslab.rows(rows..<(rows + newRows), of: shape)
    }

    /// Closes the dataset now, reporting failure; otherwise it closes when released.
    public func close() throws { try handle.close() }

    // MARK: Helpers

    /// Prepares memory and file dataspaces for the whole dataset or a hyperslab, and runs `body`
    /// with them and the element count.
    private func withSelection<R>(_ id: hid_t, _ selection: Hyperslab?, _ context: ErrorContext,
                                  _ body: (hid_t, hid_t, Int) throws -> R) throws -> R {
        let fileSpace = try context.check(H5Dget_space(id))
        defer { H5Sclose(fileSpace) }
        guard let selection else {
            let count = try Dataspace.elementCount(of: fileSpace, context)
            return try body(hs_H5S_ALL(), fileSpace, count)
        }
        let shape = try Dataspace.extents(of: fileSpace, context).shape
        try selection.validate(against: shape, context)
        try selection.select(in: fileSpace, context)
        let memorySpace = try Dataspace.create(selection.count, context)
        defer { H5Sclose(memorySpace) }
        return try body(memorySpace, fileSpace, selection.elementCount)
    }

    static func mismatch(stored: HDF5Datatype, requested: String, _ context: ErrorContext) -> HDF5Error {
        context.error(.typeMismatch, "it holds \(stored), not \(requested)",
                      hint: stored.swiftTypeName.map { "read it as \($0)" })
    }
}
