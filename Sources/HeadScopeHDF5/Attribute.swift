import CHDF5

/// The value of an attribute: typed elements and a shape (`[]` for a scalar, `[n]` for 1-D).
///
/// Written strings are variable-length UTF-8, so h5py returns `str`; reads also accept the
/// fixed-length strings numpy's `S` dtype produces, and any byte order of numbers.
public struct HDF5AttributeValue: Sendable, Equatable, CustomStringConvertible {
    /// The elements, tagged with their type.
    public enum Elements: Sendable, Equatable {
        case float16([Float16]), float32([Float]), float64([Double])
        case int8([Int8]), uint8([UInt8]), int16([Int16]), uint16([UInt16])
        case int32([Int32]), uint32([UInt32]), int64([Int64]), uint64([UInt64])
        case strings([String])

        var count: Int {
            switch self {
            case .float16(let v): v.count
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .int8(let v): v.count
            case .uint8(let v): v.count
            case .int16(let v): v.count
            case .uint16(let v): v.count
            case .int32(let v): v.count
            case .uint32(let v): v.count
            case .int64(let v): v.count
            case .uint64(let v): v.count
            case .strings(let v): v.count
            }
        }
    }

    public var elements: Elements
    /// `[]` for a scalar; otherwise the extents (attributes written here are at most 1-D).
    public var shape: [Int]

    public init(elements: Elements, shape: [Int]) {
        self.elements = elements
        self.shape = shape
    }

    /// A scalar string.
    public static func string(_ value: String) -> Self { Self(elements: .strings([value]), shape: []) }
    /// A 1-D array of strings.
    public static func strings(_ values: [String]) -> Self { Self(elements: .strings(values), shape: [values.count]) }
    /// A scalar number.
    public static func scalar<T: HDF5Scalar>(_ value: T) -> Self {
        Self(elements: T.attributeElements([value]), shape: [])
    }
    /// A 1-D array of numbers.
    public static func array<T: HDF5Scalar>(_ values: [T]) -> Self {
        Self(elements: T.attributeElements(values), shape: [values.count])
    }

    public var isScalar: Bool { shape.isEmpty }

    /// The string, if this is a single string.
    public var string: String? {
        if case .strings(let v) = elements, v.count == 1 { v[0] } else { nil }
    }

    /// The strings, if these are strings.
    public var strings: [String]? {
        if case .strings(let v) = elements { v } else { nil }
    }

    /// All elements as Int64 when they are integers that fit.
    public var int64s: [Int64]? {
        switch elements {
        case .int8(let v): v.map(Int64.init)
        case .uint8(let v): v.map(Int64.init)
        case .int16(let v): v.map(Int64.init)
        case .uint16(let v): v.map(Int64.init)
        case .int32(let v): v.map(Int64.init)
        case .uint32(let v): v.map(Int64.init)
        case .int64(let v): v
        case .uint64(let v): v.allSatisfy { $0 <= UInt64(Int64.max) } ? v.map { Int64($0) } : nil
        default: nil
        }
    }

    /// The integer, if this is a single integer that fits in Int64.
    public var int64: Int64? { int64s.flatMap { $0.count == 1 ? $0[0] : nil } }

    /// All elements as Double when they are numbers (integers beyond 2^53 lose precision).
    public var doubles: [Double]? {
        switch elements {
        case .float16(let v): v.map(Double.init)
        case .float32(let v): v.map(Double.init)
        case .float64(let v): v
        case .uint64(let v): v.map(Double.init)
        case .strings: nil
        default: int64s?.map(Double.init)
        }
    }

    /// The number, if this is a single number.
    public var double: Double? { doubles.flatMap { $0.count == 1 ? $0[0] : nil } }

    /// The elements as `T`, if they are stored as exactly that type.
    public func values<T: HDF5Scalar>(as _: T.Type) -> [T]? { T.values(of: elements) }

    var datatype: HDF5Datatype {
        switch elements {
        case .float16: .float16
        case .float32: .float32
        case .float64: .float64
        case .int8: .int8
        case .uint8: .uint8
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .uint32: .uint32
        case .int64: .int64
        case .uint64: .uint64
        case .strings: .string
        }
    }

    public var description: String {
        let body: String = switch elements {
        case .strings(let v): v.map { "\"\($0)\"" }.joined(separator: ", ")
        default: (doubles ?? []).map { "\($0)" }.joined(separator: ", ")
        }
        return isScalar ? body : "[\(body)]"
    }
}

/// The attributes of a group, dataset or file (h5py's `attrs`).
public struct HDF5Attributes: Sendable {
    let owner: ObjectHandle

    /// The attribute names, in name order.
    public func names() throws -> [String] {
        let context = owner.context("list attributes of")
        return try owner.withID(context) { id in
            final class Names { var values: [String] = [] }
            let names = Names()
            let box = Unmanaged.passRetained(names)
            defer { box.release() }
            var index: hsize_t = 0
            try context.check(H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().values.append(String(cString: name))
                return 0
            }, box.toOpaque()))
            return names.values
        }
    }

    /// Whether the attribute `name` exists.
    public func contains(_ name: String) throws -> Bool {
        let context = owner.context("look up attribute", "\(owner.path)@\(name)")
        return try owner.withID(context) { try context.check(H5Aexists($0, name)) > 0 }
    }

    /// Reads the attribute `name`.
    public func read(_ name: String) throws -> HDF5AttributeValue {
        let context = owner.context("read attribute", "\(owner.path)@\(name)")
        return try owner.withID(context) { id in
            let attribute = try context.check(H5Aopen(id, name, hs_H5P_DEFAULT()))
            defer { H5Aclose(attribute) }
            let type = try context.check(H5Aget_type(attribute))
            defer { H5Tclose(type) }
            let space = try context.check(H5Aget_space(attribute))
            defer { H5Sclose(space) }
            let shape = try Dataspace.extents(of: space, context).shape
            let count = try Dataspace.elementCount(of: space, context)
            func numbers<T: HDF5Scalar>(_: T.Type) throws -> [T] {
                try ElementIO.read(T.self, count: count, context) { H5Aread(attribute, $0, $1) }
            }
            let elements: HDF5AttributeValue.Elements
            switch HDF5Datatype.from(typeID: type) {
            case .float16: elements = .float16(try numbers(Float16.self))
            case .float32: elements = .float32(try numbers(Float.self))
            case .float64: elements = .float64(try numbers(Double.self))
            case .int8: elements = .int8(try numbers(Int8.self))
            case .uint8: elements = .uint8(try numbers(UInt8.self))
            case .int16: elements = .int16(try numbers(Int16.self))
            case .uint16: elements = .uint16(try numbers(UInt16.self))
            case .int32: elements = .int32(try numbers(Int32.self))
            case .uint32: elements = .uint32(try numbers(UInt32.self))
            case .int64: elements = .int64(try numbers(Int64.self))
            case .uint64: elements = .uint64(try numbers(UInt64.self))
            case .string, .fixedString:
                elements = .strings(try ElementIO.readStrings(fileType: type, count: count, memorySpace: space,
                                                              context) { H5Aread(attribute, $0, $1) })
            case .unsupported(let what):
                throw context.error(.unsupported, "its type is \(what)")
            }
            return HDF5AttributeValue(elements: elements, shape: shape)
        }
    }

    /// Writes the attribute `name`, replacing any attribute of that name.
    public func write(_ name: String, _ value: HDF5AttributeValue) throws {
        let context = owner.context("write attribute", "\(owner.path)@\(name)")
        guard value.shape.reduce(1, *) == value.elements.count else {
            throw context.error(.shapeMismatch, "shape \(value.shape) does not hold \(value.elements.count) elements")
        }
        try owner.withID(context) { id in
            if try context.check(H5Aexists(id, name)) > 0 { try context.check(H5Adelete(id, name)) }
            let type = try value.datatype.makeFileType(context)
            defer { H5Tclose(type) }
            let space = try Dataspace.create(value.shape, context)
            defer { H5Sclose(space) }
            let attribute = try context.check(H5Acreate2(id, name, type, space, hs_H5P_DEFAULT(), hs_H5P_DEFAULT()))
            var closed = false
            defer { if !closed { H5Aclose(attribute) } }
            func put<T: HDF5Scalar>(_ values: [T]) throws {
                try ElementIO.write(values, context) { H5Awrite(attribute, $0, $1) }
            }
            switch value.elements {
            case .float16(let v): try put(v)
            case .float32(let v): try put(v)
            case .float64(let v): try put(v)
            case .int8(let v): try put(v)
            case .uint8(let v): try put(v)
            case .int16(let v): try put(v)
            case .uint16(let v): try put(v)
            case .int32(let v): try put(v)
            case .uint32(let v): try put(v)
            case .int64(let v): try put(v)
            case .uint64(let v): try put(v)
            case .strings(let v): try ElementIO.writeStrings(v, context) { H5Awrite(attribute, $0, $1) }
            }
            closed = true
            try context.check(H5Aclose(attribute))
        }
    }

    /// Writes a scalar string attribute.
    public func write(_ name: String, _ value: String) throws { try write(name, .string(value)) }

    /// Writes a scalar numeric attribute.
    public func write<T: HDF5Scalar>(_ name: String, _ value: T) throws { try write(name, .scalar(value)) }

    /// Writes a 1-D numeric attribute.
    public func write<T: HDF5Scalar>(_ name: String, _ values: [T]) throws { try write(name, .array(values)) }

    /// Deletes the attribute `name`.
    public func delete(_ name: String) throws {
        let context = owner.context("delete attribute", "\(owner.path)@\(name)")
        try owner.withID(context) { try context.check(H5Adelete($0, name)) }
    }
}
