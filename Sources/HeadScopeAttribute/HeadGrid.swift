/// One decoder attention head: a query head of one layer.
public struct HeadID: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public var layer: Int
    public var head: Int

    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }

    public static func < (a: HeadID, b: HeadID) -> Bool {
        (a.layer, a.head) < (b.layer, b.head)
    }

    public var description: String { "L\(layer)H\(head)" }
}

/// The `layers x heads` grid of decoder heads, flattened layer-major (index = layer * heads + head),
/// the column order of keep-masks and attribution vectors everywhere in this module.
public struct HeadGrid: Sendable, Equatable, Codable {
    public var layers: Int
    public var heads: Int

    public init(layers: Int, heads: Int) {
        self.layers = layers
        self.heads = heads
    }

    /// Number of heads (`layers * heads`).
    public var count: Int { layers * heads }

    public func index(of id: HeadID) -> Int { id.layer * heads + id.head }

    public func head(at index: Int) -> HeadID { HeadID(layer: index / heads, head: index % heads) }

    /// Every head in index order.
    public var all: [HeadID] { (0..<count).map(head(at:)) }
}
