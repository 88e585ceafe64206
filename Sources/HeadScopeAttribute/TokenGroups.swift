import HeadScopeRuntime
import HeadScopeImageIO

/// What a cell of the image-feature grid shows, from the object mask.
public enum CellKind: String, Codable, Sendable {
    /// At least the object threshold of the cell's pixels belong to the main object.
    case object
    /// No pixel of the cell belongs to the main object.
    case background
    /// Partly covered: left out of both groups, so neither is diluted.
    case mixed
}

/// Maps an object mask onto the model's image grid.
///
/// The grid is assumed to cover the whole image (the processor resizes the image onto the
/// grid without cropping, as LLaVA-style and CogShapes' square images do), so cell (r, c) covers
/// pixels `[c * W / cols, (c + 1) * W / cols) x [r * H / rows, (r + 1) * H / rows)`.
public enum MaskGrid {
    /// Cell kinds in grid order (row-major), from a label map (`labels[y * width + x]`).
    public static func cells(labels: [UInt8], width: Int, height: Int, objectLabel: UInt8,
                             rows: Int, columns: Int, objectThreshold: Double = 0.5) throws -> [CellKind] {
        guard width > 0, height > 0, labels.count == width * height else {
            throw AttributionError("mask of \(width) x \(height) holds \(labels.count) labels")
        }
        guard rows > 0, columns > 0, rows <= height, columns <= width else {
            throw AttributionError("image grid \(rows) x \(columns) does not fit a \(width) x \(height) mask")
        }
        var out: [CellKind] = []
        out.reserveCapacity(rows * columns)
        for r in 0..<rows {
            let y0 = r * height / rows, y1 = (r + 1) * height / rows
            for c in 0..<columns {
                let x0 = c * width / columns, x1 = (c + 1) * width / columns
                var hit = 0
                for y in y0..<y1 { for x in x0..<x1 where labels[y * width + x] == objectLabel { hit += 1 } }
                let total = (y1 - y0) * (x1 - x0)
                if hit == 0 { out.append(.background) }
                else if Double(hit) >= objectThreshold * Double(total) { out.append(.object) }
                else { out.append(.mixed) }
            }
        }
        return out
    }

    /// Cell kinds from a decoded mask image (8-bit gray label map; other formats use channel 0).
    public static func cells(mask: RasterImage, objectLabel: UInt8, rows: Int, columns: Int,
                             objectThreshold: Double = 0.5) throws -> [CellKind] {
        let gray = mask.format == .gray ? mask : mask.converted(to: .gray)
        return try cells(labels: gray.pixels, width: gray.width, height: gray.height, objectLabel: objectLabel,
                         rows: rows, columns: columns, objectThreshold: objectThreshold)
    }
}

/// The token groups attention knockout blocks, as absolute prompt positions.
public struct TokenGroups: Sendable, Equatable, Codable {
    public enum Group: String, Codable, Sendable, CaseIterable {
        case question, role, final, object, background
    }

    public var question: [Int]
    public var role: [Int]
    public var final: [Int]
    public var object: [Int]
    public var background: [Int]

    public init(question: [Int], role: [Int], final: [Int], object: [Int], background: [Int]) {
        self.question = question; self.role = role; self.final = final; self.object = object; self.background = background
    }

    /// Groups of a prompt: its user text, role markers, last token, and its image tokens split by
    /// `cells` (grid order; nil: every image token counts as background).
    public init(layout: PromptLayout, cells: [CellKind]?) throws {
        let image = layout.imagePositions
        if let cells {
            guard cells.count == image.count, layout.imageGrid.rows * layout.imageGrid.columns == image.count else {
                throw AttributionError("the mask gives \(cells.count) grid cells but the prompt has \(image.count) image tokens on a \(layout.imageGrid.rows) x \(layout.imageGrid.columns) grid")
            }
        }
        question = Array(layout.userTextPositions)
        role = layout.rolePositions
        final = [layout.lastPosition]
        object = cells.map { c in image.enumerated().compactMap { c[$0.offset] == .object ? $0.element : nil } } ?? []
        background = cells.map { c in image.enumerated().compactMap { c[$0.offset] == .background ? $0.element : nil } } ?? image
    }

    public func positions(_ group: Group) -> [Int] {
        switch group {
        case .question: return question
        case .role: return role
        case .final: return final
        case .object: return object
        case .background: return background
        }
    }
}

/// One attention edge to cut: queries in `to` no longer see keys in `from`.
public struct KnockoutEdge: Codable, Sendable, Hashable, CustomStringConvertible {
    public var from: TokenGroups.Group
    public var to: TokenGroups.Group

    public init(from: TokenGroups.Group, to: TokenGroups.Group) {
        self.from = from
        self.to = to
    }

    public var description: String { "\(from.rawValue)->\(to.rawValue)" }

    /// Every group into the final token, then image groups into the question and role tokens and
    /// question into role: enough to see when text and image information reach the final token.
    public static let standard: [KnockoutEdge] = [
        .init(from: .question, to: .final), .init(from: .role, to: .final), .init(from: .final, to: .final),
        .init(from: .object, to: .final), .init(from: .background, to: .final),
        .init(from: .question, to: .role), .init(from: .object, to: .role), .init(from: .background, to: .role),
        .init(from: .object, to: .question), .init(from: .background, to: .question),
    ]
}
