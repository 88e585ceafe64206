/// Turns the results files of a run into the summary table.
struct SummaryBuilder {
    var settings: InterventionSettings
    var plan: ConditionPlan
    var results: [String: [StepRecord]]
    var base: [StepKey: StepRecord]

    var bootstrap: Bootstrap { Bootstrap(samples: settings.bootstrapSamples, seed: settings.seed) }

    func table() -> SummaryTable {
        var rows: [SummaryTable.Row] = []
        for function in plan.functions {
            var tallies: [String: Bootstrap.Tally] = [:]
            var baseCorrect = 0, baseTotal = 0
            for key in plan.baseSteps {
                guard let record = base[key], record.function == function else { continue }
                tallies[key.itemID, default: .init(successes: 0, trials: 0)].successes += record.correct ? 1 : 0
                tallies[key.itemID, default: .init(successes: 0, trials: 0)].trials += 1
                tallies[key.itemID, default: .init(successes: 0, trials: 0)].referenceSuccesses += record.correct ? 1 : 0
                baseCorrect += record.correct ? 1 : 0; baseTotal += 1
            }
            if let row = SummaryTable.row(function: function, condition: plan.base, metric: "accuracy", tallies: tallies,
                                          accuracy: baseTotal > 0 ? Double(baseCorrect) / Double(baseTotal) : .nan,
                                          bootstrap: bootstrap) {
                rows.append(row)
            }
            var randomRows: [SummaryTable.Row] = []
            for condition in plan.perFunction where condition.function == function {
                guard let row = row(for: condition, function: function) else { continue }
                rows.append(row)
                if condition.kind == .ablateRandom { randomRows.append(row) }
            }
            if randomRows.count > 1, let aggregate = SummaryTable.randomAggregate(randomRows),
               let index = rows.lastIndex(where: { $0.kind == .ablateRandom && $0.function == function }) {
                rows.insert(aggregate, at: index + 1)
            }
        }
        rows += chainRows()
        return SummaryTable(rows: rows, bootstrapSamples: settings.bootstrapSamples, seed: settings.seed)
    }

    /// Ablations: agreement with the base answer (base = 1 on these steps by construction: they
    /// are the steps the model had right); steering: accuracy against base accuracy.
    func row(for condition: InterventionCondition, function: String) -> SummaryTable.Row? {
        let records = results[condition.name] ?? []
        guard !records.isEmpty else { return nil }
        var tallies: [String: Bootstrap.Tally] = [:]
        var correct = 0
        for record in records {
            var tally = tallies[record.itemID] ?? .init(successes: 0, trials: 0)
            tally.trials += 1
            if condition.kind.isAblation {
                tally.successes += record.agrees == true ? 1 : 0
                tally.referenceSuccesses += 1
            } else {
                tally.successes += record.correct ? 1 : 0
                tally.referenceSuccesses += base[record.key]?.correct == true ? 1 : 0
            }
            tallies[record.itemID] = tally
            correct += record.correct ? 1 : 0
        }
        return SummaryTable.row(function: function, condition: condition,
                                metric: condition.kind.isAblation ? "agreement" : "accuracy", tallies: tallies,
                                accuracy: Double(correct) / Double(records.count), bootstrap: bootstrap)
    }

    /// Per hierarchy pair: accuracy of the scored high-function steps along the un-ablated and
    /// the ablated chain walks.
    func chainRows() -> [SummaryTable.Row] {
        guard let chainBase = plan.chains.first(where: { $0.condition.kind == .chainBase }) else { return [] }
        let walkedBase = Dictionary((results[chainBase.condition.name] ?? []).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [SummaryTable.Row] = []
        for scoring in plan.scoring {
            guard let ablated = plan.chains.first(where: { $0.condition.kind == .chainAblate && $0.condition.function == scoring.pair.low }) else { continue }
            let walked = Dictionary((results[ablated.condition.name] ?? []).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            var baseTallies: [String: Bootstrap.Tally] = [:], tallies: [String: Bootstrap.Tally] = [:]
            var baseCorrect = 0, correct = 0, n = 0
            for key in scoring.steps {
                guard let b = walkedBase[key], let a = walked[key] else { continue }
                n += 1
                baseCorrect += b.correct ? 1 : 0
                correct += a.correct ? 1 : 0
                baseTallies[key.itemID, default: .init(successes: 0, trials: 0)].successes += b.correct ? 1 : 0
                baseTallies[key.itemID, default: .init(successes: 0, trials: 0)].trials += 1
                baseTallies[key.itemID, default: .init(successes: 0, trials: 0)].referenceSuccesses += b.correct ? 1 : 0
                tallies[key.itemID, default: .init(successes: 0, trials: 0)].successes += a.correct ? 1 : 0
                tallies[key.itemID, default: .init(successes: 0, trials: 0)].trials += 1
                tallies[key.itemID, default: .init(successes: 0, trials: 0)].referenceSuccesses += b.correct ? 1 : 0
            }
            guard n > 0 else { continue }
            let label = "\(scoring.pair.low)>\(scoring.pair.high)"
            if var row = SummaryTable.row(function: scoring.pair.high, condition: chainBase.condition, metric: "accuracy",
                                          tallies: baseTallies, accuracy: Double(baseCorrect) / Double(n), bootstrap: bootstrap,
                                          label: "\(chainBase.condition.name)|\(label)") {
                row.condition = "\(chainBase.condition.name) (after \(scoring.pair.low))"
                row.lowFunction = scoring.pair.low
                rows.append(row)
            }
            if let row = SummaryTable.row(function: scoring.pair.high, condition: ablated.condition, metric: "accuracy",
                                          tallies: tallies, accuracy: Double(correct) / Double(n), bootstrap: bootstrap,
                                          label: "\(ablated.condition.name)|\(label)") {
                rows.append(row)
            }
        }
        return rows
    }
}
