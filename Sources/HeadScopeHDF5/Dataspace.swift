import CHDF5

/// A regular selection of an N-d dataset: `count[d]` elements along each dimension `d`, starting
/// at `start[d]` and `stride[d]` apart (1 when no stride is given).
///
/// Values read or written through a hyperslab are a dense row-major array of shape `count`.
public struct Hyperslab: Sendable, Hashable, CustomStringConvertible {
    public var start: [Int]
    public var count: [Int]
    public var stride: [Int]?

    public init(start: [Int], count: [Int], stride: [Int]? = nil) {
        self.start = start
        self.count = count
        self.stride = stride
    }

    /// Rows `rows` along the first dimension, everything along the others.
    public static func rows(_ rows: Range<Int>, of shape: [Int]) -> Hyperslab {
        Hyperslab(start: [rows.lowerBound] + Array(repeating: 0, count: max(shape.count - 1, 0)),
                  count: [rows.count] + shape.dropFirst())
    }

    /// The number of elements selected.
    public var elementCount: Int { count.reduce(1, *) }

    public var description: String {
        let parts = start.indices.map { d -> String in
            let step = stride?[d] ?? 1
            return step == 1 ? "\(start[d])+\(count[d])" : "\(start[d])+\(count[d])x\(step)"
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    /// Checks rank and bounds against `shape`, with a message that shows both.
    func validate(against shape: [Int], _ context: ErrorContext) throws {
        guard start.count == shape.count, count.count == shape.count,
              stride == nil || stride?.count == shape.count else {
            throw context.error(.shapeMismatch,
                                "hyperslab \(self) has rank \(start.count) but the dataset has shape \(shape)")
        }
        for d in shape.indices {
            let step = stride?[d] ?? 1
            guard start[d] >= 0, count[d] >= 0, step >= 1 else {
                throw context.error(.invalidArgument,
                                    "hyperslab \(self) has a negative start or count, or a stride below 1")
            }
            if count[d] > 0 && start[d] + (count[d] - 1) * step >= shape[d] {
                throw context.error(.outOfBounds,
                                    "hyperslab \(self) is out of bounds for shape \(shape) (dimension \(d) reaches index \(start[d] + (count[d] - 1) * step), extent \(shape[d]))")
            }
        }
    }

    /// Selects this hyperslab in `space` (replacing any selection).
    func select(in space: hid_t, _ context: ErrorContext) throws {
        let start = self.start.map { hsize_t($0) }
        let count = self.count.map { hsize_t($0) }
        let stride = self.stride?.map { hsize_t($0) }
        guard !start.isEmpty else { return } // scalar space: nothing to select
        let status = start.withUnsafeBufferPointer { startBuffer in
            count.withUnsafeBufferPointer { countBuffer in
                if let stride {
                    stride.withUnsafeBufferPointer {
                        H5Sselect_hyperslab(space, H5S_SELECT_SET, startBuffer.baseAddress,
                                            $0.baseAddress, countBuffer.baseAddress, nil)
                    }
                } else {
                    H5Sselect_hyperslab(space, H5S_SELECT_SET, startBuffer.baseAddress, nil,
                                        countBuffer.baseAddress, nil)
                }
            }
        }
        try context.check(status)
    }
}

/// Dataspace helpers.
enum Dataspace {
    /// A simple dataspace of `shape` (scalar when `shape` is empty); `maxShape` nil entries are
    /// unlimited. The caller closes it.
    static func create(_ shape: [Int], maxShape: [Int?]? = nil, _ context: ErrorContext) throws -> hid_t {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw context.error(.invalidArgument, "shape \(shape) has a negative extent")
        }
        if shape.isEmpty { return try context.check(H5Screate(H5S_SCALAR)) }
        let dims = shape.map { hsize_t($0) }
        if let maxShape {
            guard maxShape.count == shape.count else {
                throw context.error(.shapeMismatch, "max shape has rank \(maxShape.count) but shape \(shape) has rank \(shape.count)")
            }
            let maxDims = maxShape.map { $0.map { hsize_t($0) } ?? hs_H5S_UNLIMITED() }
            return try context.check(H5Screate_simple(Int32(dims.count), dims, maxDims))
        }
        return try context.check(H5Screate_simple(Int32(dims.count), dims, nil))
    }

    /// The current and maximum extents of `space` (nil max entries are unlimited).
    static func extents(of space: hid_t, _ context: ErrorContext) throws -> (shape: [Int], maxShape: [Int?]) {
        let rank = Int(try context.check(H5Sget_simple_extent_ndims(space)))
        guard rank > 0 else { return ([], []) }
        var dims = [hsize_t](repeating: 0, count: rank)
        var maxDims = [hsize_t](repeating: 0, count: rank)
        try context.check(H5Sget_simple_extent_dims(space, &dims, &maxDims))
        let unlimited = hs_H5S_UNLIMITED()
        return (dims.map { Int($0) }, maxDims.map { $0 == unlimited ? nil : Int($0) })
    }

    /// The number of elements in `space`'s extent (0 for a null space).
    static func elementCount(of space: hid_t, _ context: ErrorContext) throws -> Int {
        Int(try context.check(H5Sget_simple_extent_npoints(space)))
    }
}
