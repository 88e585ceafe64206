import Foundation
import HeadScopeCore
import HeadScopeHDF5
import Testing
import TestSupport
@testable import HeadScopeProbe

/// Heads that carry a function's label must come out on top; the rest, and the shuffled-label
/// baseline, at chance.
@Suite struct PlantedSignalTests {
    static let functions = ["Decision-Making", "Inference", "Math Reasoning", "Low-Level Vision Reception"]
    static let planted = [(0, 1), (1, 3), (2, 0), (3, 2)]

    static func store() -> SyntheticStore {
        SyntheticStore.planted(functions: functions, planted: planted, items: 200, layers: 4, heads: 4,
                               headDim: 8, signal: 4)
    }

    static func options(_ features: ProbeOptions.Features = .zAndLayerMean) -> ProbeOptions {
        var options = ProbeOptions()
        options.features = features
        options.permutations = 2
        options.rankBy = .balancedAccuracy
        options.topK = 1
        options.threads = 2
        return options
    }

    @Test func plantedHeadsRankFirstAndTheRestAreAtChance() throws {
        let directory = try TestSupport.scratchDirectory("probe-planted")
        defer { try? FileManager.default.removeItem(at: directory) }
        let activations = directory.appendingPathComponent("activations")
        try Self.store().write(to: activations, shards: 3)
        let output = directory.appendingPathComponent("probes")
        let summary = try ProbeStage(activations: activations, output: output, options: Self.options(.z),
                                     progressMode: .silent).run()
        #expect(summary.functions == Self.functions.sorted())
        #expect(summary.unconverged == 0)

        let data = try Data(contentsOf: output.appendingPathComponent("functional_heads.json"))
        let report = try JSONDecoder().decode(FunctionalHeadsReport.self, from: data)
        for set in report.functions {
            guard let f = Self.functions.firstIndex(of: set.function) else {
                Issue.record("unknown function \(set.function)"); continue
            }
            let (l, h) = Self.planted[f]
            #expect(set.top.first?.layer == l && set.top.first?.head == h, "\(set.function): top \(set.top)")
            #expect((set.top.first?.score ?? 0) > 0.9, "\(set.function): planted head scores \(set.top)")
        }

        // Every other head, and every permutation probe, near 0.5 (read back through HDF5).
        let file = try HDF5File.open(output.appendingPathComponent("scores.h5").path)
        defer { try? file.close() }
        #expect(try file.attributes.read("schema_version").string == ScoresFile.schemaVersion)
        for name in try file.root.openGroup("probes").childNames() {
            let group = try file.root.openGroup("probes/\(name)")
            let function = try group.attributes.read("function").string ?? ""
            guard let f = Self.functions.firstIndex(of: function) else { Issue.record("group \(name)"); continue }
            let balanced = try group.openDataset("balanced_accuracy").read(as: Double.self)
            let permutation = try group.openDataset("permutation_balanced_accuracy").read(as: Double.self)
            let plantedIndex = Self.planted[f].0 * 4 + Self.planted[f].1
            // One-vs-rest: another function's planted head tells its rows (some of the
            // negatives) apart, so "others" are the heads no function carries.
            let carriers = Set(Self.planted.map { $0.0 * 4 + $0.1 })
            let others = balanced.indices.filter { !carriers.contains($0) }.map { balanced[$0] }
            let meanOthers = others.reduce(0, +) / Double(others.count)
            #expect(abs(meanOthers - 0.5) < 0.06, "\(function): other heads average \(meanOthers)")
            #expect(others.allSatisfy { $0 < 0.7 }, "\(function): other heads \(others)")
            let meanPermutation = permutation.reduce(0, +) / Double(permutation.count)
            #expect(abs(meanPermutation - 0.5) < 0.06, "\(function): permutation baseline \(meanPermutation)")
            #expect(permutation[plantedIndex] < 0.75)
            let weights = try group.openDataset("weights")
            #expect(try weights.shape == [4, 4, 8])
        }
    }

    @Test func layerMeanFeatureCarriesThePlantedHeadToItsLayer() throws {
        // With [z ; layer mean], the planted head's signal reaches the other heads of its layer
        // (diluted by 1/H); with z alone it does not.
        let store = Self.store()
        let rows = ActivationRows(itemIDs: store.rows.map(\.item), functions: store.rows.map(\.function),
                                  correct: store.rows.map(\.correct), split: store.rows.map { $0.split ?? "train" })
        let geometry = HeadGeometry(layers: 4, heads: 4, headDim: 8)
        func layerMates(_ features: ProbeOptions.Features) throws -> [String: Double] {
            var options = Self.options(features)
            options.permutations = 0
            let design = try ProbeDesign(rows: rows, options: options, storeName: "synthetic")
            let results = try ProbeTrainer(design: design, geometry: geometry, options: options)
                .train(source: InMemoryLayers(store: store))
            var means: [String: Double] = [:]
            for r in results.functions {
                guard let f = Self.functions.firstIndex(of: r.function) else { continue }
                let (layer, head) = Self.planted[f]
                let mates = (0..<4).filter { $0 != head }.map { r.balancedAccuracy[layer * 4 + $0] }
                means[r.function] = mates.reduce(0, +) / Double(mates.count)
            }
            return means
        }
        let withMean = try layerMates(.zAndLayerMean), alone = try layerMates(.z)
        for function in Self.functions {
            #expect((withMean[function] ?? 0) > 0.62, "\(function): layer mates with the layer mean \(withMean[function] ?? .nan)")
            #expect((alone[function] ?? 1) < 0.58, "\(function): layer mates with z alone \(alone[function] ?? .nan)")
        }
    }

    @Test func resultsDoNotDependOnThreadCount() throws {
        let store = Self.store()
        let rows = ActivationRows(itemIDs: store.rows.map(\.item), functions: store.rows.map(\.function),
                                  correct: store.rows.map(\.correct), split: nil)
        var one = Self.options(), two = Self.options()
        one.threads = 1
        two.threads = 3
        one.crossValidationFolds = 3
        two.crossValidationFolds = 3
        let design = try ProbeDesign(rows: rows, options: one, storeName: "synthetic")
        #expect(design.splitSource == "seeded")
        let geometry = HeadGeometry(layers: 4, heads: 4, headDim: 8)
        let a = try ProbeTrainer(design: design, geometry: geometry, options: one).train(source: InMemoryLayers(store: store))
        let b = try ProbeTrainer(design: design, geometry: geometry, options: two).train(source: InMemoryLayers(store: store))
        #expect(a == b)
        #expect(a.functions.allSatisfy { $0.cvBalancedAccuracyMean.allSatisfy(\.isFinite) })
    }
}

/// Layers straight from a synthetic store's array.
struct InMemoryLayers: LayerSource {
    var store: SyntheticStore
    var geometry: HeadGeometry { HeadGeometry(layers: store.layers, heads: store.heads, headDim: store.headDim) }
    func readLayer(_ layer: Int) throws -> [Float] {
        let (l, h, d) = (store.layers, store.heads, store.headDim)
        var out: [Float] = []
        out.reserveCapacity(store.rows.count * h * d)
        for r in 0..<store.rows.count {
            let base = (r * l + layer) * h * d
            out.append(contentsOf: store.z[base..<(base + h * d)])
        }
        return out
    }
}
