import CHDF5
import Foundation

/// One mapping of a virtual dataset: a region of a dataset in some file, shown at a region of the
/// virtual dataset.
public struct HDF5VirtualSource: Sendable, Hashable {
    /// Path of the source file, absolute or relative to the current directory (as for `open`).
    public var file: String
    /// Path of the source dataset inside its file.
    public var dataset: String
    /// Full shape of the source dataset.
    public var shape: [Int]
    /// The region of the source dataset to map; nil maps all of it.
    public var selection: Hyperslab?
    /// Where the region lands in the virtual dataset (same number of elements).
    public var destination: Hyperslab

    public init(file: String, dataset: String, shape: [Int], selection: Hyperslab? = nil,
                destination: Hyperslab) {
        self.file = file
        self.dataset = dataset
        self.shape = shape
        self.selection = selection
        self.destination = destination
    }
}

extension HDF5Group {
    /// Creates a virtual dataset that presents regions of datasets in other files (or this one)
    /// as one dataset, through HDF5's virtual dataset layout (`H5Pset_virtual`).
    ///
    /// **Source file names are stored relative to the directory of the file holding the virtual
    /// dataset** (for example `shard-00001.h5`, `shards/shard-00001.h5` or `../other/x.h5`; the
    /// holding file itself is stored as `.`). Readers (libhdf5 1.10+, h5py) resolve a relative
    /// source name first against `HDF5_VDS_PREFIX` if set, then against the directory of the
    /// virtual dataset's file, then against the current directory; so the index file and its
    /// shards can be moved or copied together, and opened from any current directory, as long as
    /// their relative placement is kept. A source that is missing when read shows as fill values
    /// (`fillValue`, else zero), as HDF5 defines; check shard completeness separately.
    ///
    /// - Parameters:
    ///   - datatype: element type presented by the virtual dataset (sources are converted to it).
    ///   - shape: extent of the virtual dataset (fixed).
    ///   - sources: the mappings; each destination must fit `shape` and match its source's element
    ///     count.
    ///   - fillValue: value shown where no source maps (numeric datatypes only).
    @discardableResult
    public func createVirtualDataset(_ path: String, datatype: HDF5Datatype, shape: [Int],
                                     sources: [HDF5VirtualSource], fillValue: Double? = nil) throws -> HDF5Dataset {
        let full = joinPath(self.path, path)
        let context = handle.context("create virtual dataset", full)
        let fileType = try datatype.makeFileType(context)
        defer { H5Tclose(fileType) }
        let virtualSpace = try Dataspace.create(shape, context)
        defer { H5Sclose(virtualSpace) }
        let dcpl = try context.check(H5Pcreate(hs_H5P_DATASET_CREATE()))
        defer { H5Pclose(dcpl) }
        if let fillValue {
            guard datatype.isNumeric else {
                throw context.error(.invalidArgument, "a fill value needs a numeric datatype, not \(datatype)")
            }
            var value = fillValue
            try context.check(H5Pset_fill_value(dcpl, hs_H5T_NATIVE_DOUBLE(), &value))
        }
        let holdingFile = handle.file.path
        for (index, source) in sources.enumerated() {
            let sourceContext = ErrorContext(operation: "map virtual source \(index) (\(source.file):\(source.dataset)) into",
                                             file: holdingFile, object: full)
            try source.destination.validate(against: shape, sourceContext)
            if let selection = source.selection { try selection.validate(against: source.shape, sourceContext) }
            let sourceCount = source.selection?.elementCount ?? source.shape.reduce(1, *)
            guard sourceCount == source.destination.elementCount else {
                throw sourceContext.error(.shapeMismatch,
                                          "the source region has \(sourceCount) elements but the destination \(source.destination) has \(source.destination.elementCount)")
            }
            let destinationSpace = try sourceContext.check(H5Scopy(virtualSpace))
            defer { H5Sclose(destinationSpace) }
            try source.destination.select(in: destinationSpace, sourceContext)
            let sourceSpace = try Dataspace.create(source.shape, sourceContext)
            defer { H5Sclose(sourceSpace) }
            if let selection = source.selection { try selection.select(in: sourceSpace, sourceContext) }
            let storedName = Self.relativeSourceName(source.file, holdingFile: holdingFile)
            try sourceContext.check(H5Pset_virtual(dcpl, destinationSpace, storedName, source.dataset, sourceSpace))
        }
        return try createDataset(path: path, fullPath: full, type: fileType, space: virtualSpace, dcpl: dcpl, context)
    }

    /// The name stored for a source file: its path relative to the holding file's directory
    /// ("." when it is the holding file itself). Symbolic links are resolved on both sides first
    /// so that, e.g., /tmp and /private/tmp agree.
    static func relativeSourceName(_ source: String, holdingFile: String) -> String {
        func components(_ path: String) -> [String] {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().pathComponents
        }
        let sourceParts = components(source)
        let holdingParts = components(holdingFile)
        if sourceParts == holdingParts { return "." }
        let directory = Array(holdingParts.dropLast())
        var common = 0
        while common < directory.count, common < sourceParts.count - 1, directory[common] == sourceParts[common] {
            common += 1
        }
        let ups = Array(repeating: "..", count: directory.count - common)
        return (ups + sourceParts[common...]).joined(separator: "/")
    }
}

extension HDF5Dataset {
    /// The mappings of a virtual dataset as stored: source file name (as written, usually
    /// relative), source dataset path. Empty for other layouts.
    public var virtualSources: [(file: String, dataset: String)] {
        get throws {
            let context = handle.context("query virtual mappings of dataset")
            return try handle.withID(context) { id in
                let dcpl = try context.check(H5Dget_create_plist(id))
                defer { H5Pclose(dcpl) }
                guard H5Pget_layout(dcpl) == H5D_VIRTUAL else { return [] }
                var count = 0
                try context.check(H5Pget_virtual_count(dcpl, &count))
                return try (0..<count).map { index in
                    func text(_ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws -> String {
                        let length = try context.check(get(nil, 0))
                        var buffer = [CChar](repeating: 0, count: length + 1)
                        try context.check(get(&buffer, buffer.count))
                        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    }
                    let file = try text { H5Pget_virtual_filename(dcpl, index, $0, $1) }
                    let dataset = try text { H5Pget_virtual_dsetname(dcpl, index, $0, $1) }
                    return (file, dataset)
                }
            }
        }
    }
}

extension HDF5Dataset {
    /// The source files of a virtual dataset that do not exist where HDF5 will first look: next
    /// to the file holding the virtual dataset for relative names (absolute names as they are).
    ///
    /// HDF5 reads an unreachable source as fill values without any error, so check this before
    /// trusting a virtual dataset (the activation index does, to tell a complete run from one with
    /// missing shards). `HDF5_VDS_PREFIX` and current-directory fallbacks are not consulted.
    public func missingVirtualSources() throws -> [String] {
        let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        var missing: [String] = []
        for name in Set(try virtualSources.map(\.file)).sorted() where name != "." {
            let url = name.hasPrefix("/") ? URL(fileURLWithPath: name) : directory.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: url.path) { missing.append(name) }
        }
        return missing
    }
}

