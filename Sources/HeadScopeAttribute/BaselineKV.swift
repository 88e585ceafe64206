import Foundation
import HeadScopeEngine
import HeadScopeRuntime

/// Where the baseline keys and values of image positions come from.
public enum BaselineKind: String, Codable, Sendable, CaseIterable {
    /// Position-wise mean over a reference set of images.
    case mean
    /// One blank (uniform mid-gray) image of the dataset's image size.
    case blank
}

/// Baseline post-RoPE keys and values at the image positions, for every decoder query head's view:
/// what a head sees instead of the real image when its image flow is ablated.
///
/// Stored `[layers, heads, positions, headDim]`, so one head's replacement is a contiguous slice.
/// Keys are post-RoPE and so tied to positions: a baseline only fits prompts whose image tokens sit
/// at the same positions (the same chat template and image grid).
public struct BaselineKV: Sendable, Equatable {
    public var grid: HeadGrid
    public var positions: [Int]
    public var headDim: Int
    public var keys: [Float]
    public var values: [Float]

    public init(grid: HeadGrid, positions: [Int], headDim: Int, keys: [Float], values: [Float]) throws {
        let n = grid.count * positions.count * headDim
        guard keys.count == n, values.count == n else {
            throw AttributionError("baseline keys/values hold \(keys.count)/\(values.count) values, expected \(n) (\(grid.layers) layers x \(grid.heads) heads x \(positions.count) positions x \(headDim))")
        }
        self.grid = grid
        self.positions = positions
        self.headDim = headDim
        self.keys = keys
        self.values = values
    }

    /// The plan that captures keys and values of every head at `positions`.
    public static func capturePlan(positions: [Int]) -> InterpretabilityPlan {
        InterpretabilityPlan(kvCaptures: [CaptureRequest(tower: .language, positions: .list(positions))])
    }

    /// Reads one run's key/value captures (made with `capturePlan`) into a baseline.
    public static func fromCaptures(_ captures: Captures, grid: HeadGrid, positions: [Int]) throws -> BaselineKV {
        guard let k = captures.keys.first, let v = captures.values.first else {
            throw AttributionError("the run returned no key/value captures", remedy: "the runtime must honour plan.kvCaptures")
        }
        let d = k.headDim
        var keys = [Float](repeating: 0, count: grid.count * positions.count * d)
        var values = keys
        for layer in 0..<grid.layers {
            for head in 0..<grid.heads {
                for (pi, position) in positions.enumerated() {
                    guard let kv = k.vector(position: position, layer: layer, head: head),
                          let vv = v.vector(position: position, layer: layer, head: head),
                          kv.count == d, vv.count == d else {
                        throw AttributionError("key/value capture lacks layer \(layer) head \(head) position \(position)",
                                               remedy: "the runtime must capture every decoder head at the requested positions")
                    }
                    let start = ((layer * grid.heads + head) * positions.count + pi) * d
                    keys.replaceSubrange(start..<(start + d), with: kv)
                    values.replaceSubrange(start..<(start + d), with: vv)
                }
            }
        }
        return try BaselineKV(grid: grid, positions: positions, headDim: d, keys: keys, values: values)
    }

    /// The position-wise mean of several baselines (all with the same positions and geometry).
    public static func mean(_ parts: [BaselineKV]) throws -> BaselineKV {
        guard var first = parts.first else { throw AttributionError("no reference images for the mean baseline") }
        for p in parts.dropFirst() {
            guard p.grid == first.grid, p.positions == first.positions, p.headDim == first.headDim else {
                throw AttributionError("reference images give different image layouts (\(p.positions.count) vs \(first.positions.count) image tokens)",
                                       remedy: "use --baseline blank, or reference images the processor maps to the same grid")
            }
            for i in first.keys.indices { first.keys[i] += p.keys[i]; first.values[i] += p.values[i] }
        }
        let scale = 1 / Float(parts.count)
        for i in first.keys.indices { first.keys[i] *= scale; first.values[i] *= scale }
        return first
    }

    /// Captures the baseline through a runtime: one capture run per image (same prompt text), then
    /// the mean.
    public static func capture(runtime: any VLMRuntime, images: [URL], userText: String,
                               assistantPrefix: String) throws -> BaselineKV {
        let grid = HeadGrid(layers: runtime.geometry.layers, heads: runtime.geometry.heads)
        var parts: [BaselineKV] = []
        for image in images {
            let session = try runtime.session(image: image)
            let layout = try session.layout(userText: userText, assistantPrefix: assistantPrefix)
            let scored = try session.lastPositionLogits(userText: userText, assistantPrefix: assistantPrefix,
                                                         plan: capturePlan(positions: layout.imagePositions))
            parts.append(try fromCaptures(scored.captures, grid: grid, positions: layout.imagePositions))
        }
        return try mean(parts)
    }

    /// The replacements that cut the image flow of `ablated` heads: each one's keys and values at
    /// the image positions become the baseline's (text positions untouched).
    public func replacements(ablating ablated: [HeadID]) -> [KVReplacement] {
        let span = positions.count * headDim
        return ablated.map { id in
            let start = grid.index(of: id) * span
            return KVReplacement(tower: .language, layer: id.layer, head: id.head, positions: positions,
                                 keys: Array(keys[start..<(start + span)]), values: Array(values[start..<(start + span)]))
        }
    }

    /// The plan for a keep-mask (grid order, 1 = keeps image access): every head with 0 is ablated.
    public func plan(keep: ArraySlice<UInt8>) -> InterpretabilityPlan {
        let ablated = keep.enumerated().compactMap { i, k in k == 0 ? grid.head(at: i) : nil }
        return InterpretabilityPlan(kvReplacements: replacements(ablating: ablated))
    }

    /// The plan that ablates exactly `heads`.
    public func plan(ablating heads: [HeadID]) -> InterpretabilityPlan {
        InterpretabilityPlan(kvReplacements: replacements(ablating: heads))
    }

    /// Checks that a prompt's image tokens sit where the baseline's do.
    public func requireMatches(_ layout: PromptLayout, imageID: String) throws {
        guard layout.imagePositions == positions else {
            throw AttributionError("image \(imageID): its image tokens (\(layout.imagePositions.count) at \(layout.imagePositions.first ?? -1)...) are not where the baseline's are (\(positions.count) at \(positions.first ?? -1)...)",
                                   remedy: "the baseline and the attributed images must share the chat template and image grid")
        }
    }
}
