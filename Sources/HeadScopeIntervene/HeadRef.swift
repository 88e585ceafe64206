/// One query head of the language decoder.
public struct HeadRef: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var layer: Int
    public var head: Int

    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }

    /// Row-major index in an `L x H` grid.
    public func index(heads: Int) -> Int { layer * heads + head }

    public static func < (a: HeadRef, b: HeadRef) -> Bool {
        (a.layer, a.head) < (b.layer, b.head)
    }

    public var description: String { "L\(layer)H\(head)" }
}
