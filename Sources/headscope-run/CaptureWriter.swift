import Foundation
import HeadScopeEngine
import HeadScopeHDF5
import HeadScopeRuntime

/// Writes one run's captures to HDF5 in the layout docs/run-captures.md describes.
enum CaptureWriter {
    static func write(_ turn: GeneratedTurn, layout: PromptLayout, plan: InterpretabilityPlan, identity: ModelIdentity,
                      userText: String, assistantPrefix: String, to url: URL) throws {
        // Built in memory and written in one piece: a full disk fails the write, not HDF5.
        let image = try HDF5File.buildImage(name: url.path) { file in
            try fill(file, turn, layout: layout, plan: plan, identity: identity, userText: userText, assistantPrefix: assistantPrefix)
        }
        try image.write(to: url, options: .atomic)
    }

    private static func fill(_ file: HDF5File, _ turn: GeneratedTurn, layout: PromptLayout, plan: InterpretabilityPlan,
                             identity: ModelIdentity, userText: String, assistantPrefix: String) throws {
        let root = file.root
        let attributes = root.attributes
        try attributes.write("format", "headscope-run-captures-v1")
        try attributes.write("model_id", identity.id)
        try attributes.write("model_sha256", identity.sha256)
        try attributes.write("user_text", userText)
        try attributes.write("assistant_prefix", assistantPrefix)
        try attributes.write("generated_text", turn.text)
        try attributes.write("prompt_length", Int64(turn.promptLength))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try attributes.write("plan", String(decoding: try encoder.encode(plan), as: UTF8.self))

        try root.createDataset("ids", values: (layout.ids + turn.tokens).map(Int64.init), shape: [layout.ids.count + turn.tokens.count])
        let l = try root.createGroup("layout")
        try l.createDataset("image_positions", values: layout.imagePositions.map(Int64.init), shape: [layout.imagePositions.count])
        try l.createDataset("image_grid", values: [Int64(layout.imageGrid.rows), Int64(layout.imageGrid.columns)], shape: [2])
        try l.createDataset("user_text_positions", values: layout.userTextPositions.map(Int64.init), shape: [layout.userTextPositions.count])
        try l.createDataset("role_positions", values: layout.rolePositions.map(Int64.init), shape: [layout.rolePositions.count])

        for (kind, list) in [("z", turn.captures.z), ("keys", turn.captures.keys), ("values", turn.captures.values)] {
            let group = try root.createGroup(kind)
            for (i, c) in list.enumerated() {
                let g = try group.createGroup(String(i))
                try g.createDataset("values", values: c.values, shape: [c.positions.count, c.layers.count, c.heads.count, c.headDim])
                try index(g, "positions", c.positions)
                try index(g, "layers", c.layers)
                try index(g, "heads", c.heads)
                try g.attributes.write("tower", c.tower.rawValue)
                try g.attributes.write("head_dim", Int64(c.headDim))
            }
        }
        let attention = try root.createGroup("attention")
        for (i, c) in turn.captures.attention.enumerated() {
            let g = try attention.createGroup(String(i))
            try g.createDataset("values", values: c.values, shape: [c.queryPositions.count, c.layers.count, c.heads.count, c.keyCount])
            try index(g, "query_positions", c.queryPositions)
            try index(g, "layers", c.layers)
            try index(g, "heads", c.heads)
            try g.attributes.write("tower", c.tower.rawValue)
            try g.attributes.write("key_count", Int64(c.keyCount))
        }
    }

    private static func index(_ group: HDF5Group, _ name: String, _ values: [Int]) throws {
        try group.createDataset(name, values: values.map(Int64.init), shape: [values.count])
    }
}
