import Foundation
import HeadScopeHDF5
import Testing
import TestSupport

/// Bad input gives a clear `HDF5Error` (naming file, object and cause), never a crash.
@Suite struct ErrorTests {
    @Test func openingAMissingFile() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("missing.h5").path
        expectHDF5Error(.library, containing: ["open file", path, "No such file or directory", "H5Fopen"]) {
            _ = try HDF5File.open(path)
        }
    }

    @Test func openingANonHDF5File() throws {
        let url = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("notes.h5")
        try Data("just some text, not HDF5\n".utf8).write(to: url)
        expectHDF5Error(.library, containing: ["open file", url.path, "signature not found", "not an HDF5 file"]) {
            _ = try HDF5File.open(url.path)
        }
    }

    @Test func readingAMissingDataset() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("f.h5").path
        let file = try HDF5File.create(path)
        try file.root.createGroup("g")
        expectHDF5Error(.library, containing: ["open dataset", "'/g/nope'", path, "H5Dopen2", "not found"]) {
            _ = try file.root.openDataset("g/nope")
        }
        expectHDF5Error(.library, containing: ["read attribute", "/g@missing"]) {
            _ = try file.root.openGroup("g").attributes.read("missing")
        }
        try file.close()
    }

    @Test func wrongTypeReads() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("f.h5").path
        let file = try HDF5File.create(path)
        let ints = try file.root.createDataset("ints", values: [Int32(1), 2], shape: [2])
        expectHDF5Error(.typeMismatch, containing: ["'/ints'", "holds int32, not Float", "read it as Int32"]) {
            _ = try ints.read(as: Float.self)
        }
        expectHDF5Error(.typeMismatch, containing: ["holds int32, not String"]) { _ = try ints.readStrings() }
        expectHDF5Error(.typeMismatch, containing: ["holds int32, not Int64"]) { try ints.write([Int64(1), 2]) }
        let text = try file.root.createDataset("text", strings: ["a"])
        expectHDF5Error(.typeMismatch, containing: ["variable-length string, not Double"]) {
            _ = try text.read(as: Double.self)
        }
        try file.close()
    }

    @Test func hyperslabOutOfBoundsAndShapeErrors() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("f.h5").path
        let file = try HDF5File.create(path)
        let d = try file.root.createDataset("m", values: wave(12), shape: [3, 4])
        expectHDF5Error(.outOfBounds, containing: ["'/m'", "out of bounds for shape [3, 4]", "dimension 1 reaches index 5"]) {
            _ = try d.read(as: Float.self, Hyperslab(start: [0, 2], count: [1, 4]))
        }
        expectHDF5Error(.outOfBounds, containing: ["dimension 0 reaches index 4"]) {
            try d.write([Float(0), 0], to: Hyperslab(start: [0, 0], count: [2, 1], stride: [4, 1]))
        }
        expectHDF5Error(.shapeMismatch, containing: ["rank 1", "shape [3, 4]"]) {
            _ = try d.read(as: Float.self, Hyperslab(start: [0], count: [1]))
        }
        expectHDF5Error(.shapeMismatch, containing: ["got 5 values for 12 elements"]) { try d.write(wave(5)) }
        expectHDF5Error(.outOfBounds, containing: ["resize dataset", "[4, 4] does not fit the maximum shape"]) {
            try d.setExtent([4, 4])
        }
        // Creating over an existing name.
        expectHDF5Error(.library, containing: ["create dataset", "already exists"]) {
            _ = try file.root.createDataset("m", datatype: .int8, shape: [1])
        }
        expectHDF5Error(.invalidArgument, containing: ["needs a chunked layout"]) {
            _ = try file.root.createDataset("grow", datatype: .int8, shape: [0], options: HDF5DatasetOptions(maxShape: [nil]))
        }
        try file.close()
    }

    @Test func writingToAReadOnlyFile() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("f.h5").path
        try HDF5File.create(path).close()
        let file = try HDF5File.open(path, mode: .readOnly)
        expectHDF5Error(.library, containing: ["create group", "'/g'", "open read-only"]) {
            _ = try file.root.createGroup("g")
        }
        try file.close()
    }
}
