/// A resolved `size` / `crop_size` (transformers' `SizeDict` with one of its valid key sets).
public enum TargetSize: Sendable, Hashable {
    /// Resize to exactly this size.
    case exact(height: Int, width: Int)
    /// Scale so the shorter side becomes `shortestEdge`; the longer side is truncated.
    case shortestEdge(Int)
    /// Scale the shorter side to `shortestEdge` unless the longer side would pass `longestEdge`.
    case shortestAndLongestEdge(shortest: Int, longest: Int)
    /// Scale, keeping the aspect ratio, to fit inside `maxHeight` x `maxWidth`.
    case fitWithin(maxHeight: Int, maxWidth: Int)

    /// Interprets a JSON size value as transformers' `get_size_dict` does. An integer means a square
    /// when `defaultToSquare` is true and the shortest edge otherwise; a list is `[height, width]`.
    static func resolve(_ value: SizeValue, defaultToSquare: Bool, key: String, file: String?) throws -> TargetSize {
        // Far above any model's input, and small enough that size arithmetic cannot overflow.
        let maximum = 1 << 16
        func bad(_ reason: String) -> PreprocessError { .invalidConfig(file: file, key: key, reason: reason) }
        func positive(_ values: Int...) throws {
            guard values.allSatisfy({ $0 > 0 && $0 <= maximum }) else {
                throw bad("sizes must be between 1 and \(maximum), got \(values)")
            }
        }
        switch value {
        case .integer(let n):
            try positive(n)
            return defaultToSquare ? .exact(height: n, width: n) : .shortestEdge(n)
        case .list(let values):
            guard values.count == 2 else { throw bad("a size list must be [height, width], got \(values)") }
            try positive(values[0], values[1])
            return .exact(height: values[0], width: values[1])
        case .dictionary(let entries):
            let keys = Set(entries.keys)
            if keys == ["height", "width"], let h = entries["height"], let w = entries["width"] {
                try positive(h, w)
                return .exact(height: h, width: w)
            }
            if keys == ["shortest_edge"], let s = entries["shortest_edge"] {
                try positive(s)
                return .shortestEdge(s)
            }
            if keys == ["shortest_edge", "longest_edge"], let s = entries["shortest_edge"], let l = entries["longest_edge"] {
                try positive(s, l)
                return .shortestAndLongestEdge(shortest: s, longest: l)
            }
            if keys == ["max_height", "max_width"], let h = entries["max_height"], let w = entries["max_width"] {
                try positive(h, w)
                return .fitWithin(maxHeight: h, maxWidth: w)
            }
            throw bad("keys \(keys.sorted()) are not supported; use {height, width}, {shortest_edge}, "
                      + "{shortest_edge, longest_edge} or {max_height, max_width}")
        }
    }

    /// The `(height, width)` an image of `height` x `width` is resized to, with transformers'
    /// integer rounding (truncation of Python floats, round-half-even for `round`).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch self {
        case .exact(let h, let w):
            return (h, w)
        case .shortestEdge(let size):
            // get_resize_output_image_size(default_to_square=False, max_size=None)
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(size * long) / Double(short))
            return width <= height ? (newLong, size) : (size, newLong)
        case .shortestAndLongestEdge(let shortest, let longest):
            return Self.sizeWithAspectRatio(height: height, width: width, size: shortest, maxSize: longest)
        case .fitWithin(let maxHeight, let maxWidth):
            // get_image_size_for_max_height_width
            let scale = min(Double(maxHeight) / Double(height), Double(maxWidth) / Double(width))
            return (Int(Double(height) * scale), Int(Double(width) * scale))
        }
    }

    /// transformers' `get_size_with_aspect_ratio(image_size, size, max_size)`.
    static func sizeWithAspectRatio(height: Int, width: Int, size requested: Int, maxSize: Int) -> (height: Int, width: Int) {
        var size = requested
        var rawSize: Double? = nil
        let minOriginal = Double(min(height, width)), maxOriginal = Double(max(height, width))
        if maxOriginal / minOriginal * Double(size) > Double(maxSize) {
            let raw = Double(maxSize) * minOriginal / maxOriginal
            rawSize = raw
            size = Int(raw.rounded(.toNearestOrEven))
        }
        if (height <= width && height == size) || (width <= height && width == size) {
            return (height, width)
        }
        if width < height {
            let oh = rawSize.map { Int($0 * Double(height) / Double(width)) }
                ?? Int(Double(size * height) / Double(width))
            return (oh, size)
        }
        let ow = rawSize.map { Int($0 * Double(width) / Double(height)) }
            ?? Int(Double(size * width) / Double(height))
        return (size, ow)
    }
}
