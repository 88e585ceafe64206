import Foundation
import HeadScopeHDF5
import Testing
import TestSupport

/// Cross-ecosystem checks: files written here are read by h5py and h5dump, and files h5py wrote
/// are read here, comparing values exactly.
@Suite struct InteropTests {
    /// Values shared by the writer and the checks.
    static let f32 = wave(8 * 6)
    static let i8: [Int8] = [Int8.min, -1, 0, 1, Int8.max]
    static let u8: [UInt8] = [0, 7, 128, 255]
    static let i32: [Int32] = [Int32.min, -123_456, 0, Int32.max]
    static let i64: [Int64] = [Int64.min, -5_000_000_000, 0, Int64.max]
    static let names = ["alpha", "βeta ✓", "", "with space"]
    static let shard0 = wave(4 * 3, phase: 1)
    static let shard1 = wave(2 * 3, phase: 2)

    /// Writes the cross-ecosystem file: <dir>/set/main.h5 with shards under <dir>/set/shards/.
    static func writeSwiftFile(in set: URL) throws -> URL {
        let shards = set.appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: shards, withIntermediateDirectories: true)
        for (index, values) in [shard0, shard1].enumerated() {
            let shard = try HDF5File.create(shards.appendingPathComponent("shard\(index).h5").path)
            try shard.root.createDataset("z", values: values, shape: [values.count / 3, 3])
            try shard.close()
        }
        let url = set.appendingPathComponent("main.h5")
        let file = try HDF5File.create(url.path)
        try file.attributes.write("title", "HeadScope activations ✓")
        try file.attributes.write("version", Int64(2))
        try file.attributes.write("scale", 0.1 as Double)
        let data = try file.root.createGroup("data")
        try data.attributes.write("dims", [Int32(8), 6])
        let z = try data.createDataset("f32", values: f32, shape: [8, 6], options: .chunked([4, 6], gzipLevel: 5))
        try z.attributes.write("labels", .strings(["q", "k", "v"]))
        try z.attributes.write("weights", [Float(0.1), -2.5])
        try z.attributes.write("half", Float16(0.1))
        try data.createDataset("f16", values: f32, shape: [8, 6], storedAs: .float16,
                               options: .chunked([4, 6], gzipLevel: 5))
        try data.createDataset("f64", values: f32.prefix(5).map { Double($0) / 7 }, shape: [5])
        try data.createDataset("i8", values: i8, shape: [5])
        try data.createDataset("u8", values: u8, shape: [2, 2])
        try data.createDataset("i32", values: i32, shape: [4], options: .chunked([2], gzipLevel: 9))
        try data.createDataset("i64", values: i64, shape: [4])
        try data.createDataset("names", strings: names)
        let grow = try file.root.createDataset("grow", datatype: .float32, shape: [0, 3],
                                               options: .chunked([2, 3], maxShape: [nil, 3]))
        try grow.append([Float(1.5), 2.5, 3.5])
        try grow.append([Float(-1), -2, -3, 4, 5, 6])
        // Virtual: shard0 rows 1..<4 then all of shard1 (2 rows), as one [5, 3] dataset.
        try file.root.createVirtualDataset("vds", datatype: .float32, shape: [5, 3], sources: [
            HDF5VirtualSource(file: shards.appendingPathComponent("shard0.h5").path, dataset: "/z", shape: [4, 3],
                              selection: Hyperslab(start: [1, 0], count: [3, 3]),
                              destination: Hyperslab(start: [0, 0], count: [3, 3])),
            HDF5VirtualSource(file: shards.appendingPathComponent("shard1.h5").path, dataset: "/z", shape: [2, 3],
                              destination: Hyperslab(start: [3, 0], count: [2, 3])),
        ])
        try file.close()
        return url
    }

    static var expectedVirtual: [Float] { Array(shard0[3...]) + shard1 }

    static let readerScript = #"""
import h5py, json, os, sys, numpy as np
f = h5py.File(sys.argv[1], "r")
def info(d):
    return {"dtype": d.dtype.str, "shape": list(d.shape), "chunks": list(d.chunks) if d.chunks else None,
            "compression": d.compression, "opts": d.compression_opts, "shuffle": d.shuffle,
            "maxshape": [-1 if m is None else m for m in d.maxshape]}
def attr(v):
    # Numbers travel as repr strings: exact, and independent of the JSON parser's float handling.
    if isinstance(v, np.ndarray):
        return {"type": "ndarray", "dtype": v.dtype.str, "values": [x if isinstance(x, str) else repr(x.item()) for x in v]}
    if isinstance(v, str):
        return {"type": "str", "value": v}
    return {"type": type(v).__name__, "dtype": v.dtype.str, "value": repr(v.item())}
out = {"cwd": os.getcwd()}
for name in ["data/f32", "data/f16", "data/f64", "data/i8", "data/u8", "data/i32", "grow", "vds"]:
    out[name] = info(f[name]); out[name]["values"] = [repr(x) for x in f[name][...].ravel().tolist()]
out["data/i64"] = info(f["data/i64"]); out["data/i64"]["values"] = [str(x) for x in f["data/i64"][...]]
out["data/names"] = info(f["data/names"]); out["data/names"]["values"] = list(f["data/names"].asstr()[...])
out["names_encoding"] = h5py.check_string_dtype(f["data/names"].dtype).encoding
out["f16_equals_numpy_rounding"] = bool(np.array_equal(f["data/f16"][...], f["data/f32"][...].astype(np.float16)))
out["vds_is_virtual"] = f["vds"].is_virtual
out["vds_sources"] = sorted(s.file_name for s in f["vds"].virtual_sources())
out["attrs"] = {k: attr(f.attrs[k]) for k in f.attrs}
out["attrs_data"] = {k: attr(f["data"].attrs[k]) for k in f["data"].attrs}
out["attrs_f32"] = {k: attr(f["data/f32"].attrs[k]) for k in f["data/f32"].attrs}
print(json.dumps(out))
"""#

    @Test func h5pyReadsWhatSwiftWrote() throws {
        let scratch = try TestSupport.scratchDirectory("hdf5-interop")
        let set = scratch.appendingPathComponent("set")
        _ = try Self.writeSwiftFile(in: set)
        // Move the whole set elsewhere, and read from an unrelated current directory: the virtual
        // dataset's relative source names must still resolve.
        let moved = scratch.appendingPathComponent("elsewhere/moved-set")
        try FileManager.default.createDirectory(at: moved.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: set, to: moved)
        let elsewhere = try TestSupport.scratchDirectory("hdf5-cwd")
        let result = try TestSupport.run(try TestSupport.python,
                                         ["-c", Self.readerScript, moved.appendingPathComponent("main.h5").path],
                                         currentDirectory: elsewhere)
        #expect(result.status == 0, "\(result.stderr)")
        let out = try jsonObject(result.stdout)
        func dataset(_ name: String) -> [String: Any] { out[name] as? [String: Any] ?? [:] }

        let f32 = dataset("data/f32")
        #expect(f32["dtype"] as? String == "<f4")
        #expect(f32["shape"] as? [Int] == [8, 6])
        #expect(f32["chunks"] as? [Int] == [4, 6])
        #expect(f32["compression"] as? String == "gzip")
        #expect(f32["opts"] as? Int == 5)
        #expect(f32["shuffle"] as? Bool == true)
        #expect(numbers(f32["values"]) == Self.f32.map { Double($0) })

        let f16 = dataset("data/f16")
        #expect(f16["dtype"] as? String == "<f2")
        #expect(f16["compression"] as? String == "gzip")
        #expect(numbers(f16["values"]) == Self.f32.map { Double(Float16($0)) })
        #expect(out["f16_equals_numpy_rounding"] as? Bool == true)

        #expect(dataset("data/f64")["dtype"] as? String == "<f8")
        #expect(numbers(dataset("data/f64")["values"]) == Self.f32.prefix(5).map { Double($0) / 7 })
        #expect(dataset("data/f64")["chunks"] is NSNull)
        #expect(dataset("data/i8")["dtype"] as? String == "|i1")
        #expect(numbers(dataset("data/i8")["values"]) == Self.i8.map { Double($0) })
        #expect(dataset("data/u8")["dtype"] as? String == "|u1")
        #expect(dataset("data/u8")["shape"] as? [Int] == [2, 2])
        #expect(numbers(dataset("data/u8")["values"]) == Self.u8.map { Double($0) })
        #expect(dataset("data/i32")["dtype"] as? String == "<i4")
        #expect(dataset("data/i32")["opts"] as? Int == 9)
        #expect(numbers(dataset("data/i32")["values"]) == Self.i32.map { Double($0) })
        #expect(dataset("data/i64")["dtype"] as? String == "<i8")
        #expect(dataset("data/i64")["values"] as? [String] == Self.i64.map { String($0) })
        #expect(dataset("data/names")["values"] as? [String] == Self.names)
        #expect(out["names_encoding"] as? String == "utf-8")

        let grow = dataset("grow")
        #expect(grow["shape"] as? [Int] == [3, 3])
        #expect(grow["maxshape"] as? [Int] == [-1, 3])
        #expect(numbers(grow["values"]) == [1.5, 2.5, 3.5, -1, -2, -3, 4, 5, 6])

        #expect(out["vds_is_virtual"] as? Bool == true)
        #expect(out["vds_sources"] as? [String] == ["shards/shard0.h5", "shards/shard1.h5"])
        #expect(numbers(dataset("vds")["values"]) == Self.expectedVirtual.map { Double($0) })

        let attrs = out["attrs"] as? [String: [String: Any]] ?? [:]
        #expect(attrs["title"]?["type"] as? String == "str")
        #expect(attrs["title"]?["value"] as? String == "HeadScope activations ✓")
        #expect(attrs["version"]?["dtype"] as? String == "<i8")
        #expect(attrs["version"]?["value"] as? String == "2")
        #expect(attrs["scale"]?["dtype"] as? String == "<f8")
        #expect(numbers(attrs["scale"]?["value"]) == [0.1])
        let dataAttrs = out["attrs_data"] as? [String: [String: Any]] ?? [:]
        #expect(dataAttrs["dims"]?["dtype"] as? String == "<i4")
        #expect(dataAttrs["dims"]?["values"] as? [String] == ["8", "6"])
        let zAttrs = out["attrs_f32"] as? [String: [String: Any]] ?? [:]
        #expect(zAttrs["labels"]?["values"] as? [String] == ["q", "k", "v"])
        #expect(zAttrs["labels"]?["dtype"] as? String == "|O")
        #expect(zAttrs["weights"]?["dtype"] as? String == "<f4")
        #expect(numbers(zAttrs["weights"]?["values"]) == [Double(Float(0.1)), -2.5])
        #expect(zAttrs["half"]?["dtype"] as? String == "<f2")
        #expect(numbers(zAttrs["half"]?["value"]) == [Double(Float16(0.1))])

        // The moved set also reads back through this layer, from this process's own directory, with
        // one source file already open here (HDF5 shares the open file; close degrees must agree).
        let openShard = try HDF5File.open(moved.appendingPathComponent("shards/shard0.h5").path)
        let back = try HDF5File.open(moved.appendingPathComponent("main.h5").path)
        let vds = try back.root.openDataset("vds")
        #expect(try vds.isVirtual)
        #expect(try vds.missingVirtualSources().isEmpty)
        #expect(try vds.virtualSources.map(\.file) == ["shards/shard0.h5", "shards/shard1.h5"])
        #expect(try vds.read(as: Float.self) == Self.expectedVirtual)
        #expect(try vds.read(as: Float.self, Hyperslab(start: [2, 1], count: [2, 2])) ==
                [Self.shard0[10], Self.shard0[11], Self.shard1[1], Self.shard1[2]])
        try back.close()
        #expect(try openShard.root.openDataset("z").read(as: Float.self) == Self.shard0)
        try openShard.close()

        // A missing shard reads as fill values (HDF5's rule), so it must be detectable.
        try FileManager.default.removeItem(at: moved.appendingPathComponent("shards/shard1.h5"))
        let partial = try HDF5File.open(moved.appendingPathComponent("main.h5").path)
        let partialVDS = try partial.root.openDataset("vds")
        #expect(try partialVDS.missingVirtualSources() == ["shards/shard1.h5"])
        #expect(try partialVDS.read(as: Float.self) == Array(Self.expectedVirtual.prefix(9)) + Array(repeating: 0, count: 6))
        try partial.close()
    }

    @Test func h5dumpReadsWhatSwiftWrote() throws {
        let url = try Self.writeSwiftFile(in: try TestSupport.scratchDirectory("hdf5-dump").appendingPathComponent("set"))
        let header = try TestSupport.shell("h5dump -H -p '\(url.path)'")
        #expect(header.contains("DATASET \"f32\""))
        #expect(header.contains("H5T_IEEE_F32LE"))
        #expect(header.contains("DEFLATE { LEVEL 5 }"))
        #expect(header.contains("SHUFFLE"))
        #expect(header.contains("DATASET \"vds\""))
        #expect(header.contains("H5T_STRING"))
        #expect(header.contains("H5T_CSET_UTF8"))
        #expect(header.contains("( 3, 3 ) / ( H5S_UNLIMITED, 3 )"))
        let values = try TestSupport.shell("h5dump -d /data/i32 '\(url.path)'")
        #expect(values.contains("-2147483648, -123456, 0, 2147483647"))
    }

    static let writerScript = #"""
import h5py, json, os, sys, numpy as np
rng = np.random.default_rng(7)
a = rng.standard_normal((5, 7)).astype(np.float32)
exp = {}
with h5py.File("src0.h5", "w") as s: s["x"] = np.arange(3, dtype=np.float32) + 0.25
with h5py.File("src1.h5", "w") as s: s["x"] = -np.arange(2, dtype=np.float32) - 0.5
with h5py.File("py.h5", "w") as f:
    f.create_dataset("f32", data=a, chunks=(2, 7), compression="gzip", compression_opts=6, shuffle=True)
    f["f16"] = a.astype(np.float16)
    f["f64"] = rng.standard_normal(4)
    f["i8"] = np.array([-128, -1, 0, 127], dtype=np.int8)
    f["u8"] = np.array([[0, 1], [254, 255]], dtype=np.uint8)
    f["i32"] = np.array([-2**31, 5, 2**31 - 1], dtype=np.int32)
    f["i64"] = np.array([-2**63, -5, 2**63 - 1], dtype=np.int64)
    f.create_dataset("names", data=["alpha", "βeta ✓", ""], dtype=h5py.string_dtype())
    f["fixed"] = np.array([b"ab", b"cde"], dtype="S4")
    g = f.create_dataset("grow", shape=(0, 2), maxshape=(None, 2), chunks=(4, 2), dtype="f4")
    g.resize((2, 2)); g[0:2] = [[1, 2], [3, 4]]
    g.resize((3, 2)); g[2] = [5.5, 6.5]
    layout = h5py.VirtualLayout(shape=(5,), dtype="f4")
    layout[0:3] = h5py.VirtualSource("src0.h5", "x", shape=(3,))
    layout[3:5] = h5py.VirtualSource("src1.h5", "x", shape=(2,))
    f.create_virtual_dataset("vds", layout, fillvalue=-1)
    f.attrs["title"] = "h5py ✓"
    f.attrs["fixed"] = np.bytes_(b"fixed")
    f.attrs["f32"] = np.float32(0.1)
    f.attrs["f16"] = np.float16(0.1)
    f.attrs["i64"] = np.int64(-9)
    f.attrs["u16"] = np.uint16(65535)
    f.attrs["pyint"] = 7
    f.attrs["pyfloat"] = 0.3
    f.attrs["ints"] = np.arange(3, dtype=np.int32)
    f.attrs["floats"] = np.array([0.5, 1 / 3])
    f.attrs["strs"] = ["a", "bc"]
    f["f32"].attrs["unit"] = "logit"
    # Numbers travel as repr strings: exact, and independent of the JSON parser's float handling.
    exp["f32"] = [repr(x) for x in a.ravel().tolist()]
    exp["f16"] = [repr(x) for x in a.astype(np.float16).astype(np.float64).ravel().tolist()]
    exp["f64"] = [repr(x) for x in f["f64"][...].tolist()]
    exp["f32attr"] = [repr(float(np.float32(0.1)))]
    exp["f16attr"] = [repr(float(np.float16(0.1)))]
print(json.dumps(exp))
"""#

    @Test func swiftReadsWhatH5pyWrote() throws {
        let dir = try TestSupport.scratchDirectory("hdf5-h5py")
        let result = try TestSupport.run(try TestSupport.python, ["-c", Self.writerScript], currentDirectory: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try jsonObject(result.stdout)
        let file = try HDF5File.open(dir.appendingPathComponent("py.h5").path)
        let r = file.root

        let f32 = try r.openDataset("f32")
        #expect(try f32.datatype == .float32)
        #expect(try f32.shape == [5, 7])
        #expect(try f32.chunkShape == [2, 7])
        #expect(try f32.filters == [.shuffle, .deflate(level: 6)])
        #expect(try f32.read(as: Float.self).map(Double.init) == numbers(expected["f32"]))
        #expect(try f32.attributes.read("unit").string == "logit")
        let f16 = try r.openDataset("f16")
        #expect(try f16.datatype == .float16)
        #expect(try f16.read(as: Float16.self).map(Double.init) == numbers(expected["f16"]))
        #expect(try f16.read(as: Float.self).map(Double.init) == numbers(expected["f16"]))
        #expect(try r.openDataset("f64").read(as: Double.self) == numbers(expected["f64"]))
        #expect(try r.openDataset("i8").read(as: Int8.self) == [-128, -1, 0, 127])
        #expect(try r.openDataset("u8").read(as: UInt8.self) == [0, 1, 254, 255])
        #expect(try r.openDataset("u8").shape == [2, 2])
        #expect(try r.openDataset("i32").read(as: Int32.self) == [Int32.min, 5, Int32.max])
        #expect(try r.openDataset("i64").read(as: Int64.self) == [Int64.min, -5, Int64.max])
        #expect(try r.openDataset("names").readStrings() == ["alpha", "βeta ✓", ""])
        #expect(try r.openDataset("fixed").datatype == .fixedString(length: 4))
        #expect(try r.openDataset("fixed").readStrings() == ["ab", "cde"])
        let grow = try r.openDataset("grow")
        #expect(try grow.maxShape == [nil, 2])
        #expect(try grow.read(as: Float.self) == [1, 2, 3, 4, 5.5, 6.5])

        // h5py stored the source names relative ("src0.h5"); this process runs elsewhere.
        let vds = try r.openDataset("vds")
        #expect(try vds.isVirtual)
        #expect(try vds.virtualSources.map(\.file) == ["src0.h5", "src1.h5"])
        #expect(try vds.read(as: Float.self) == [0.25, 1.25, 2.25, -0.5, -1.5])

        let attrs = file.attributes
        #expect(try attrs.read("title") == .string("h5py ✓"))
        #expect(try attrs.read("fixed").string == "fixed")
        #expect(try attrs.read("f32").values(as: Float.self).map { $0.map(Double.init) } == numbers(expected["f32attr"]))
        #expect(try attrs.read("f16").values(as: Float16.self).map { $0.map(Double.init) } == numbers(expected["f16attr"]))
        #expect(try attrs.read("i64") == .scalar(Int64(-9)))
        #expect(try attrs.read("u16") == .scalar(UInt16(65535)))
        #expect(try attrs.read("pyint").int64 == 7)
        #expect(try attrs.read("pyint").isScalar)
        #expect(try attrs.read("pyfloat") == .scalar(0.3 as Double))
        #expect(try attrs.read("ints") == .array([Int32(0), 1, 2]))
        #expect(try attrs.read("floats") == .array([0.5, 1.0 / 3.0]))
        #expect(try attrs.read("strs") == .strings(["a", "bc"]))
        try file.close()
    }
}
