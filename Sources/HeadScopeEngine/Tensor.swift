/// A contiguous row-major fp32 tensor owned by the engine (weights after conversion, scratch).
///
/// A class so that large weights are shared, never copied; the storage is an unsafe buffer because
/// hot loops hand it straight to BLAS.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: UnsafeMutableBufferPointer<Float>

    /// A zero-filled tensor of the given shape.
    public init(shape: [Int]) {
        self.shape = shape
        let count = shape.reduce(1, *)
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: 0)
    }

    /// A tensor holding a copy of `values`.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: min(source.count, count)) }
        }
    }

    deinit { storage.deallocate() }

    public var count: Int { shape.reduce(1, *) }
    public var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }
    /// The values as a Swift array (a copy), for results and tests.
    public var values: [Float] { Array(storage.prefix(count)) }
}

/// A growable scratch buffer reused across calls so hot paths do not allocate per step.
final class Scratch {
    private(set) var buffer: UnsafeMutableBufferPointer<Float> = .allocate(capacity: 1)

    /// A pointer to at least `count` floats; the contents are unspecified.
    func pointer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
        }
        return buffer.baseAddress!
    }

    deinit { buffer.deallocate() }
}
