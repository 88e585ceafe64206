import Foundation
import Testing
import HeadScopeEngine
import HeadScopeRuntime
@testable import HeadScopeAttribute

@Suite struct KnockoutTests {
    /// A 40 x 40 label map: object (label 1) fills cells (1,1), (1,2), (2,1), (2,2) of a 4 x 4 grid
    /// (10 px cells), covers 30% of cell (3,1), and a distractor (label 2) sits in cell (0,3).
    static func mask() -> [UInt8] {
        var m = [UInt8](repeating: 0, count: 40 * 40)
        for y in 10..<30 { for x in 10..<30 { m[y * 40 + x] = 1 } }
        for y in 30..<33 { for x in 10..<20 { m[y * 40 + x] = 1 } }
        for y in 0..<10 { for x in 30..<40 { m[y * 40 + x] = 2 } }
        return m
    }

    @Test func maskMapsOntoGridCells() throws {
        let cells = try MaskGrid.cells(labels: Self.mask(), width: 40, height: 40, objectLabel: 1, rows: 4, columns: 4)
        let objects = cells.enumerated().filter { $0.element == .object }.map(\.offset)
        let mixed = cells.enumerated().filter { $0.element == .mixed }.map(\.offset)
        #expect(objects == [5, 6, 9, 10])
        #expect(mixed == [13])
        #expect(cells[3] == .background)  // distractor is not the main object
        #expect(throws: AttributionError.self) {
            try MaskGrid.cells(labels: [0, 0], width: 2, height: 2, objectLabel: 1, rows: 1, columns: 1)
        }
    }

    @Test func groupsComeFromTheLayout() throws {
        let cells = try MaskGrid.cells(labels: Self.mask(), width: 40, height: 40, objectLabel: 1, rows: 4, columns: 4)
        let groups = try TokenGroups(layout: PlantedRuntime.layout, cells: cells)
        #expect(groups.object == [6, 7, 10, 11])  // image token k sits at position k + 1
        #expect(groups.background == [1, 2, 3, 4, 5, 8, 9, 12, 13, 15, 16])
        #expect(!groups.background.contains(14))  // the mixed cell is in neither group
        #expect(groups.question == [17, 18, 19, 20, 21])
        #expect(groups.role == [22, 23])
        #expect(groups.final == [23])
        #expect(throws: AttributionError.self) { try TokenGroups(layout: PlantedRuntime.layout, cells: [.object]) }
        // Without a mask every image token is background.
        #expect(try TokenGroups(layout: PlantedRuntime.layout, cells: nil).background == PlantedRuntime.imagePositions)
    }

    @Test func knockoutPlansBlockTheEdgeInTopHeadsOfTheWindow() throws {
        let groups = TokenGroups(question: [17, 18], role: [22, 23], final: [23], object: [6, 7], background: [1, 2])
        let top = [HeadID(layer: 0, head: 1), HeadID(layer: 1, head: 3), HeadID(layer: 1, head: 0), HeadID(layer: 3, head: 2)]
        let edge = KnockoutEdge(from: .object, to: .final)
        let plan = try #require(AttentionKnockout.plan(edge: edge, groups: groups, window: 1..<3, heads: top))
        #expect(plan.blocks.count == 1)
        #expect(plan.blocks[0].layers == [1] && plan.blocks[0].heads == [0, 3])
        #expect(plan.blocks[0].queryPositions == .list([23]) && plan.blocks[0].keyPositions == .list([6, 7]))
        #expect(AttentionKnockout.plan(edge: edge, groups: groups, window: 2..<3, heads: top) == nil)
        let all = try #require(AttentionKnockout.plan(edge: edge, groups: groups, window: 2..<4, heads: nil))
        #expect(all.blocks == [AttentionBlock(tower: .language, layers: [2, 3], heads: nil, queryPositions: .list([23]), keyPositions: .list([6, 7]))])
        #expect(AttentionKnockout.plan(edge: edge, groups: TokenGroups(question: [], role: [], final: [23], object: [], background: []),
                                       window: 0..<1, heads: nil) == nil)
        #expect(AttentionKnockout.windows(layers: 5, width: 2, stride: 2) == [0..<2, 2..<4])
        #expect(AttentionKnockout.windows(layers: 4, width: 9, stride: 1) == [0..<4])
    }
}
