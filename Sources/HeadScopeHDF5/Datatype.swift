import CHDF5
import Foundation

/// The element type of a dataset or attribute, as stored in the file.
///
/// Writes use little-endian IEEE floats and two's-complement integers, and variable-length UTF-8
/// strings (which h5py returns as `str`). Reads accept any byte order; fixed-length strings (as
/// numpy's `S` dtype writes them) are readable but not writable.
public enum HDF5Datatype: Sendable, Hashable, CustomStringConvertible {
    /// IEEE 754 binary16, which h5py and numpy read as `<f2`.
    case float16
    case float32
    case float64
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64
    /// Variable-length string (UTF-8 when written here).
    case string
    /// Fixed-length string of `length` bytes (read only).
    case fixedString(length: Int)
    /// Anything else (compound, enum, bool, opaque, ...), described by HDF5's class name.
    case unsupported(String)

    public var description: String {
        switch self {
        case .float16: "float16"
        case .float32: "float32"
        case .float64: "float64"
        case .int8: "int8"
        case .uint8: "uint8"
        case .int16: "int16"
        case .uint16: "uint16"
        case .int32: "int32"
        case .uint32: "uint32"
        case .int64: "int64"
        case .uint64: "uint64"
        case .string: "variable-length string"
        case .fixedString(let length): "fixed-length string (\(length) bytes)"
        case .unsupported(let name): "unsupported type (\(name))"
        }
    }

    /// The Swift element type that reads this datatype without conversion, for messages.
    var swiftTypeName: String? {
        switch self {
        case .float16: "Float16 (or Float)"
        case .float32: "Float"
        case .float64: "Double"
        case .int8: "Int8"
        case .uint8: "UInt8"
        case .int16: "Int16"
        case .uint16: "UInt16"
        case .int32: "Int32"
        case .uint32: "UInt32"
        case .int64: "Int64"
        case .uint64: "UInt64"
        case .string, .fixedString: "String (readStrings)"
        case .unsupported: nil
        }
    }

    var isNumeric: Bool {
        switch self {
        case .string, .fixedString, .unsupported: false
        default: true
        }
    }

    /// A new HDF5 type id for storing this type in a file; the caller closes it.
    func makeFileType(_ context: ErrorContext) throws -> hid_t {
        switch self {
        case .float16: return try Self.makeHalf(base: hs_H5T_IEEE_F32LE(), context)
        case .float32: return try context.check(H5Tcopy(hs_H5T_IEEE_F32LE()))
        case .float64: return try context.check(H5Tcopy(hs_H5T_IEEE_F64LE()))
        case .int8: return try context.check(H5Tcopy(hs_H5T_STD_I8LE()))
        case .uint8: return try context.check(H5Tcopy(hs_H5T_STD_U8LE()))
        case .int16: return try context.check(H5Tcopy(hs_H5T_STD_I16LE()))
        case .uint16: return try context.check(H5Tcopy(hs_H5T_STD_U16LE()))
        case .int32: return try context.check(H5Tcopy(hs_H5T_STD_I32LE()))
        case .uint32: return try context.check(H5Tcopy(hs_H5T_STD_U32LE()))
        case .int64: return try context.check(H5Tcopy(hs_H5T_STD_I64LE()))
        case .uint64: return try context.check(H5Tcopy(hs_H5T_STD_U64LE()))
        case .string: return try Self.makeVariableString(context)
        case .fixedString, .unsupported:
            throw context.error(.unsupported, "writing \(self) is not supported",
                                hint: "store strings as .string (variable-length UTF-8)")
        }
    }

    /// A new HDF5 type id describing this type in memory (native byte order); the caller closes it.
    func makeMemoryType(_ context: ErrorContext) throws -> hid_t {
        switch self {
        case .float16: return try Self.makeHalf(base: hs_H5T_NATIVE_FLOAT(), context)
        case .float32: return try context.check(H5Tcopy(hs_H5T_NATIVE_FLOAT()))
        case .float64: return try context.check(H5Tcopy(hs_H5T_NATIVE_DOUBLE()))
        case .int8: return try context.check(H5Tcopy(hs_H5T_NATIVE_INT8()))
        case .uint8: return try context.check(H5Tcopy(hs_H5T_NATIVE_UINT8()))
        case .int16: return try context.check(H5Tcopy(hs_H5T_NATIVE_INT16()))
        case .uint16: return try context.check(H5Tcopy(hs_H5T_NATIVE_UINT16()))
        case .int32: return try context.check(H5Tcopy(hs_H5T_NATIVE_INT32()))
        case .uint32: return try context.check(H5Tcopy(hs_H5T_NATIVE_UINT32()))
        case .int64: return try context.check(H5Tcopy(hs_H5T_NATIVE_INT64()))
        case .uint64: return try context.check(H5Tcopy(hs_H5T_NATIVE_UINT64()))
        case .string: return try Self.makeVariableString(context)
        case .fixedString, .unsupported:
            throw context.error(.unsupported, "no memory type for \(self)")
        }
    }

    /// IEEE binary16 derived from a 32-bit float type (HDF5 1.10 has no predefined half type):
    /// sign bit 15, exponent bits 10-14 with bias 15, mantissa bits 0-9, 2 bytes.
    private static func makeHalf(base: hid_t, _ context: ErrorContext) throws -> hid_t {
        let type = try context.check(H5Tcopy(base))
        do {
            try context.check(H5Tset_fields(type, 15, 10, 5, 0, 10))
            try context.check(H5Tset_size(type, 2))
            try context.check(H5Tset_ebias(type, 15))
            return type
        } catch {
            H5Tclose(type)
            throw error
        }
    }

    private static func makeVariableString(_ context: ErrorContext) throws -> hid_t {
        let type = try context.check(H5Tcopy(hs_H5T_C_S1()))
        do {
            try context.check(H5Tset_size(type, hs_H5T_VARIABLE()))
            try context.check(H5Tset_cset(type, H5T_CSET_UTF8))
            try context.check(H5Tset_strpad(type, H5T_STR_NULLTERM))
            return type
        } catch {
            H5Tclose(type)
            throw error
        }
    }

    /// Classifies an HDF5 type id (from a dataset or attribute in a file).
    static func from(typeID type: hid_t) -> HDF5Datatype {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 4: return .float32
            case 8: return .float64
            case 2:
                var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
                guard H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0,
                      (spos, epos, esize, mpos, msize) == (15, 10, 5, 0, 10), H5Tget_ebias(type) == 15
                else { return .unsupported("2-byte float that is not IEEE half") }
                return .float16
            default: return .unsupported("\(size)-byte float")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .int8
            case (1, false): return .uint8
            case (2, true): return .int16
            case (2, false): return .uint16
            case (4, true): return .int32
            case (4, false): return .uint32
            case (8, true): return .int64
            case (8, false): return .uint64
            default: return .unsupported("\(size)-byte integer")
            }
        case H5T_STRING:
            return H5Tis_variable_str(type) > 0 ? .string : .fixedString(length: Int(size))
        case H5T_ENUM: return .unsupported("enum (h5py writes bool as an enum)")
        case H5T_COMPOUND: return .unsupported("compound")
        case H5T_ARRAY: return .unsupported("array")
        case H5T_VLEN: return .unsupported("variable-length sequence")
        case H5T_OPAQUE: return .unsupported("opaque")
        case H5T_REFERENCE: return .unsupported("reference")
        case H5T_BITFIELD: return .unsupported("bitfield")
        case H5T_TIME: return .unsupported("time")
        default: return .unsupported("unknown class")
        }
    }
}

/// A Swift number type that maps one-to-one onto an HDF5 datatype.
///
/// `Float`, `Double`, `Float16` and the fixed-width integers conform. Reads and writes are
/// exact-type: a float32 dataset is read as `[Float]`, not `[Double]`, so a mismatch between what a
/// file holds and what the code expects is an error instead of a silent conversion. The one
/// convenience is `Float` for float16 data, where both directions are well defined (widening is
/// exact; narrowing rounds to nearest even, as numpy's `astype(float16)` does).
public protocol HDF5Scalar: Sendable, Equatable {
    /// The datatype this Swift type is stored as.
    static var hdf5Datatype: HDF5Datatype { get }
    /// Wraps values as attribute elements.
    static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements
    /// Unwraps attribute elements of exactly this type, or nil.
    static func values(of elements: HDF5AttributeValue.Elements) -> [Self]?
}

extension Float16: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .float16 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .float16(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .float16(let v) = elements { v } else { nil }
    }
}

extension Float: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .float32 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .float32(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .float32(let v) = elements { v } else { nil }
    }
}

extension Double: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .float64 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .float64(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .float64(let v) = elements { v } else { nil }
    }
}

extension Int8: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .int8 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .int8(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .int8(let v) = elements { v } else { nil }
    }
}

extension UInt8: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .uint8 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .uint8(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .uint8(let v) = elements { v } else { nil }
    }
}

extension Int16: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .int16 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .int16(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .int16(let v) = elements { v } else { nil }
    }
}

extension UInt16: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .uint16 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .uint16(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .uint16(let v) = elements { v } else { nil }
    }
}

extension Int32: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .int32 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .int32(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .int32(let v) = elements { v } else { nil }
    }
}

extension UInt32: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .uint32 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .uint32(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .uint32(let v) = elements { v } else { nil }
    }
}

extension Int64: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .int64 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .int64(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .int64(let v) = elements { v } else { nil }
    }
}

extension UInt64: HDF5Scalar {
    public static var hdf5Datatype: HDF5Datatype { .uint64 }
    public static func attributeElements(_ values: [Self]) -> HDF5AttributeValue.Elements { .uint64(values) }
    public static func values(of elements: HDF5AttributeValue.Elements) -> [Self]? {
        if case .uint64(let v) = elements { v } else { nil }
    }
}

/// Raw element transfer shared by datasets and attributes: `transfer` is H5Dread/H5Awrite/... with
/// the memory type and buffer filled in.
enum ElementIO {
    /// Reads `count` elements of `T` (whose datatype is `T.hdf5Datatype`) through `transfer`.
    static func read<T: HDF5Scalar>(_: T.Type, count: Int, _ context: ErrorContext,
                                    _ transfer: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [T] {
        let memType = try T.hdf5Datatype.makeMemoryType(context)
        defer { H5Tclose(memType) }
        var failed = false
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            // Zero first so an early failure never exposes uninitialised memory as values.
            if let base = buffer.baseAddress {
                UnsafeMutableRawPointer(base).initializeMemory(as: UInt8.self, repeating: 0,
                                                               count: count * MemoryLayout<T>.stride)
                failed = transfer(memType, UnsafeMutableRawPointer(base)) < 0
            } else {
                var scratch: UInt64 = 0 // zero-element reads still go through the library
                failed = transfer(memType, &scratch) < 0
            }
            initialised = count
        }
        if failed { throw context.library() }
        return values
    }

    /// Writes `values` through `transfer`.
    static func write<T: HDF5Scalar>(_ values: [T], _ context: ErrorContext,
                                     _ transfer: (hid_t, UnsafeRawPointer) -> herr_t) throws {
        let memType = try T.hdf5Datatype.makeMemoryType(context)
        defer { H5Tclose(memType) }
        var scratch: UInt64 = 0 // a valid address for zero-element transfers
        let status = withUnsafePointer(to: &scratch) { scratchPointer in
            values.withUnsafeBytes { raw -> herr_t in
                transfer(memType, raw.baseAddress ?? UnsafeRawPointer(scratchPointer))
            }
        }
        if status < 0 { throw context.library() }
    }

    /// Reads `count` strings (variable- or fixed-length, per `fileType`) through `transfer`.
    static func readStrings(fileType: hid_t, count: Int, memorySpace: hid_t, _ context: ErrorContext,
                            _ transfer: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        if H5Tis_variable_str(fileType) > 0 {
            let memType = try HDF5Datatype.string.makeMemoryType(context)
            defer { H5Tclose(memType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(count, 1))
            let status = pointers.withUnsafeMutableBytes { transfer(memType, $0.baseAddress!) }
            if status < 0 { throw context.library() }
            let strings = pointers.prefix(count).map { $0.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes {
                H5Dvlen_reclaim(memType, memorySpace, hs_H5P_DEFAULT(), $0.baseAddress!)
            }
            return strings
        }
        // Fixed-length: read with the file's own string type, then cut each slot at its padding.
        let memType = try context.check(H5Tcopy(fileType))
        defer { H5Tclose(memType) }
        let width = H5Tget_size(memType)
        let spacePadded = H5Tget_strpad(memType) == H5T_STR_SPACEPAD
        var bytes = [UInt8](repeating: 0, count: max(count * width, 1))
        let status = bytes.withUnsafeMutableBytes { transfer(memType, $0.baseAddress!) }
        if status < 0 { throw context.library() }
        return (0..<count).map { index in
            var slot = bytes[(index * width)..<((index + 1) * width)]
            if let nul = slot.firstIndex(of: 0) { slot = slot[..<nul] }
            if spacePadded { while slot.last == 0x20 { slot = slot.dropLast() } }
            return String(decoding: slot, as: UTF8.self)
        }
    }

    /// Writes strings as variable-length UTF-8 through `transfer`. Strings are cut at an embedded
    /// NUL, since HDF5 stores C strings.
    static func writeStrings(_ strings: [String], _ context: ErrorContext,
                             _ transfer: (hid_t, UnsafeRawPointer) -> herr_t) throws {
        let memType = try HDF5Datatype.string.makeMemoryType(context)
        defer { H5Tclose(memType) }
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        var scratch: UInt64 = 0 // a valid address for zero-element transfers
        let status = withUnsafePointer(to: &scratch) { scratchPointer in
            pointers.withUnsafeBytes { raw -> herr_t in
                transfer(memType, raw.baseAddress ?? UnsafeRawPointer(scratchPointer))
            }
        }
        if status < 0 { throw context.library() }
    }
}
