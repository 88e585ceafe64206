import Foundation
import HeadScopeHDF5
import Testing
import TestSupport

/// Write-then-read checks within the Swift layer: layout, types, selections, extents, closing.
@Suite struct RoundTripTests {
    @Test func groupsAndListing() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("groups.h5").path
        let file = try HDF5File.create(path)
        let a = try file.root.createGroup("a/b") // intermediate group created
        try a.createDataset("x", values: [Int32(1), 2, 3], shape: [3])
        try file.root.createGroup("c")
        #expect(try file.root.contains("a"))
        #expect(try file.root.contains("/a/b/x"))
        #expect(try !file.root.contains("a/nope/x"))
        #expect(try !file.root.contains("zzz"))
        #expect(try file.root.childNames() == ["a", "c"])
        let b = try file.root.openGroup("a/b")
        #expect(b.path == "/a/b")
        #expect(try b.children() == [HDF5Group.Child(name: "x", kind: .dataset)])
        #expect(try file.root.openGroup("a").children() == [HDF5Group.Child(name: "b", kind: .group)])
        try file.close()

        let reopened = try HDF5File.open(path)
        #expect(try reopened.root.openDataset("a/b/x").read(as: Int32.self) == [1, 2, 3])
        #expect(!reopened.isWritable)
        try reopened.close()
    }

    @Test func everyNumericTypeRoundTrips() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("types.h5").path
        let file = try HDF5File.create(path)
        let g = file.root
        let floats = wave(12)
        try g.createDataset("f32", values: floats, shape: [3, 4])
        try g.createDataset("f64", values: floats.map { Double($0) / 3 }, shape: [12])
        try g.createDataset("f16", values: floats, shape: [3, 4], storedAs: .float16)
        try g.createDataset("f16native", values: floats.map { Float16($0) }, shape: [12])
        try g.createDataset("i8", values: [Int8.min, -1, 0, Int8.max], shape: [4])
        try g.createDataset("u8", values: [UInt8(0), 1, 200, 255], shape: [2, 2])
        try g.createDataset("i32", values: [Int32.min, -7, Int32.max], shape: [3])
        try g.createDataset("i64", values: [Int64.min, 5_000_000_000, Int64.max], shape: [3])
        try g.createDataset("s", strings: ["", "ascii", "ünïcödé ✓", "tab\tnew\nline"])
        try file.close()

        let r = try HDF5File.open(path).root
        #expect(try r.openDataset("f32").read(as: Float.self) == floats)
        #expect(try r.openDataset("f32").shape == [3, 4])
        #expect(try r.openDataset("f64").read(as: Double.self) == floats.map { Double($0) / 3 })
        let half = try r.openDataset("f16")
        #expect(try half.datatype == .float16)
        #expect(try half.read(as: Float16.self) == floats.map { Float16($0) })
        #expect(try half.read(as: Float.self) == floats.map { Float(Float16($0)) })
        #expect(try r.openDataset("f16native").read(as: Float16.self) == floats.map { Float16($0) })
        #expect(try r.openDataset("i8").read(as: Int8.self) == [Int8.min, -1, 0, Int8.max])
        #expect(try r.openDataset("u8").read(as: UInt8.self) == [0, 1, 200, 255])
        #expect(try r.openDataset("i32").read(as: Int32.self) == [Int32.min, -7, Int32.max])
        #expect(try r.openDataset("i64").read(as: Int64.self) == [Int64.min, 5_000_000_000, Int64.max])
        #expect(try r.openDataset("i64").datatype == .int64)
        #expect(try r.openDataset("s").readStrings() == ["", "ascii", "ünïcödé ✓", "tab\tnew\nline"])
        #expect(try r.openDataset("s").datatype == .string)
    }

    @Test func chunkedLayoutAndFilters() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("chunks.h5").path
        let file = try HDF5File.create(path)
        let values = wave(6 * 5 * 4)
        let chunked = try file.root.createDataset("z", values: values, shape: [6, 5, 4],
                                                  options: .chunked([2, 5, 4], gzipLevel: 7))
        #expect(try chunked.chunkShape == [2, 5, 4])
        #expect(try chunked.filters == [.shuffle, .deflate(level: 7)])
        let plain = try file.root.createDataset("plain", values: values, shape: [120])
        #expect(try plain.chunkShape == nil)
        #expect(try plain.filters == [])
        let gzipOnly = try file.root.createDataset("g", values: values, shape: [120],
                                                   options: HDF5DatasetOptions(chunkShape: [50], gzipLevel: 1))
        #expect(try gzipOnly.filters == [.deflate(level: 1)])
        try file.close()
        #expect(try HDF5File.open(path).root.openDataset("z").read(as: Float.self) == values)
    }

    @Test func hyperslabReadsAndWrites() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("slabs.h5").path
        let file = try HDF5File.create(path)
        // 3-d dataset, value = 100*i + 10*j + k, so every selected element names its position.
        let shape = [4, 5, 3]
        var values: [Int32] = []
        for i in 0..<4 { for j in 0..<5 { for k in 0..<3 { values.append(Int32(100 * i + 10 * j + k)) } } }
        let d = try file.root.createDataset("cube", values: values, shape: shape, options: .chunked([2, 2, 3]))

        let slab = try d.read(as: Int32.self, Hyperslab(start: [1, 2, 0], count: [2, 2, 2]))
        #expect(slab == [120, 121, 130, 131, 220, 221, 230, 231])
        let strided = try d.read(as: Int32.self, Hyperslab(start: [0, 0, 2], count: [2, 3, 1], stride: [3, 2, 1]))
        #expect(strided == [2, 22, 42, 302, 322, 342])
        let rows = try d.read(as: Int32.self, .rows(3..<4, of: shape))
        #expect(rows == Array(values[45..<60]))

        try d.write([Int32](repeating: -1, count: 4), to: Hyperslab(start: [0, 1, 1], count: [2, 1, 2], stride: [2, 1, 1]))
        let after = try d.read(as: Int32.self)
        var expected = values
        for (i, k) in [(0, 1), (0, 2), (2, 1), (2, 2)] { expected[i * 15 + 1 * 3 + k] = -1 }
        #expect(after == expected)

        let strings = try file.root.createDataset("names", strings: ["a", "b", "c", "d", "e"])
        #expect(try strings.readStrings(Hyperslab(start: [1], count: [2], stride: [2])) == ["b", "d"])
        try strings.writeStrings(["X", "Y"], to: Hyperslab(start: [3], count: [2]))
        #expect(try strings.readStrings() == ["a", "b", "c", "X", "Y"])
        try file.close()
    }

    @Test func extendibleDatasetsGrowByRows() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("grow.h5").path
        let file = try HDF5File.create(path)
        let d = try file.root.createDataset("rows", datatype: .float32, shape: [0, 3],
                                            options: .chunked([4, 3], maxShape: [nil, 3]))
        #expect(try d.maxShape == [nil, 3])
        try d.append([Float(1), 2, 3])
        try d.append([Float(4), 5, 6, 7, 8, 9])
        #expect(try d.shape == [3, 3])
        #expect(try d.read(as: Float.self) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let labels = try file.root.createDataset("labels", datatype: .string, shape: [0],
                                                 options: .chunked([8], gzipLevel: nil, shuffle: false, maxShape: [nil]))
        try labels.appendStrings(["one"])
        try labels.appendStrings(["two", "three"])
        #expect(try labels.readStrings() == ["one", "two", "three"])
        try file.close()
        let r = try HDF5File.open(path).root
        #expect(try r.openDataset("rows").read(as: Float.self, .rows(1..<3, of: [3, 3])) == [4, 5, 6, 7, 8, 9])
    }

    @Test func attributesOnFileGroupAndDataset() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("attrs.h5").path
        let file = try HDF5File.create(path)
        try file.attributes.write("title", "HeadScope ✓")
        try file.attributes.write("version", Int64(3))
        let g = try file.root.createGroup("g")
        try g.attributes.write("scale", 0.125 as Double)
        try g.attributes.write("dims", [Int32(2), 3, 4])
        let d = try g.createDataset("d", values: [UInt8(1)], shape: [1])
        try d.attributes.write("names", .strings(["q", "k", "v"]))
        try d.attributes.write("half", .scalar(Float16(1.5)))
        try d.attributes.write("weights", [Float(0.5), -2])
        try d.attributes.write("weights", [Float(7)]) // replaces
        try file.close()

        let r = try HDF5File.open(path)
        #expect(try r.attributes.names() == ["title", "version"])
        #expect(try r.attributes.read("title").string == "HeadScope ✓")
        #expect(try r.attributes.read("version") == .scalar(Int64(3)))
        let rg = try r.root.openGroup("g")
        #expect(try rg.attributes.read("scale").double == 0.125)
        #expect(try rg.attributes.read("dims") == .array([Int32(2), 3, 4]))
        #expect(try rg.attributes.read("dims").int64s == [2, 3, 4])
        let rd = try rg.openDataset("d")
        #expect(try rd.attributes.read("names").strings == ["q", "k", "v"])
        #expect(try rd.attributes.read("half").values(as: Float16.self) == [1.5])
        #expect(try rd.attributes.read("weights") == .array([Float(7)]))
        #expect(try rd.attributes.contains("weights"))
        #expect(try !rd.attributes.contains("nope"))
    }

    @Test func closeClosesOpenObjectsAndLaterUseThrows() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("close.h5").path
        let file = try HDF5File.create(path)
        let d = try file.root.createDataset("d", values: [Int64(42)], shape: [1])
        let attribute = d.attributes // an attribute-bearing handle, still referenced below
        try file.flush()
        #if os(Linux)
        #expect(openDescriptors(for: path) == 1)
        #endif
        try file.close() // d is still referenced: close() closes it too
        #expect(file.isClosed)
        #if os(Linux)
        #expect(openDescriptors(for: path) == 0) // really closed, not deferred
        #endif
        expectHDF5Error(.closed, containing: ["closed"]) { _ = try attribute.names() }
        expectHDF5Error(.closed, containing: ["closed", "/d"]) { _ = try d.read(as: Int64.self) }
        expectHDF5Error(.closed, containing: ["close file"]) { try file.close() }
        // Really closed on disk: the file opens again, read-write, with the data in it.
        let again = try HDF5File.open(path, mode: .readWrite)
        #expect(try again.root.openDataset("d").read(as: Int64.self) == [42])
        try again.close()
    }

    @Test func createExclusiveRefusesExistingFile() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("once.h5").path
        try HDF5File.create(path, mode: .exclusive).close()
        expectHDF5Error(.library, containing: ["create file", path]) {
            _ = try HDF5File.create(path, mode: .exclusive)
        }
        try HDF5File.create(path, mode: .truncate).close()
    }

    @Test func inMemoryFilesNeverTouchTheDiskAndTheirImageIsAFile() throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("memory.h5").path
        // A small growth increment, so the image outgrows its first allocation several times.
        let file = try HDF5File.createInMemory(name: path, increment: 4096)
        let values = wave(40 * 64)
        try file.root.createDataset("z", values: values, shape: [40, 64], options: .chunked([8, 64], gzipLevel: 4))
        try file.root.createDataset("names", strings: ["a", "ünïcödé"])
        try file.attributes.write("rows", Int64(40))
        #expect(!FileManager.default.fileExists(atPath: path))
        let image = try file.closeReturningImage()
        #expect(!FileManager.default.fileExists(atPath: path))
        try image.write(to: URL(fileURLWithPath: path))
        let reopened = try HDF5File.open(path)
        #expect(try reopened.root.openDataset("z").read(as: Float.self) == values)
        #expect(try reopened.root.openDataset("names").readStrings() == ["a", "ünïcödé"])
        #expect(try reopened.attributes.read("rows").int64 == 40)
        try reopened.close()
        expectHDF5Error(.closed, containing: ["already closed"]) { _ = try file.closeReturningImage() }
    }

    @Test func concurrentReadsFromTasks() async throws {
        let path = try TestSupport.scratchDirectory("hdf5").appendingPathComponent("tasks.h5").path
        let file = try HDF5File.create(path)
        let values = wave(64 * 16)
        let d = try file.root.createDataset("z", values: values, shape: [64, 16], options: .chunked([8, 16]))
        let rows = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for row in 0..<64 {
                group.addTask { (row, try d.read(as: Float.self, .rows(row..<(row + 1), of: [64, 16]))) }
            }
            var collected: [Int: [Float]] = [:]
            for try await (row, values) in group { collected[row] = values }
            return collected
        }
        for row in 0..<64 { #expect(rows[row] == Array(values[(row * 16)..<((row + 1) * 16)])) }
        try file.close()
    }
}

#if os(Linux)
/// How many of this process's file descriptors point at `path`.
func openDescriptors(for path: String) -> Int {
    let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return entries.filter { entry in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) == target
    }.count
}
#endif
