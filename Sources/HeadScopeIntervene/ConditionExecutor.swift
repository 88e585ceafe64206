import Foundation
import HeadScopeCore
import HeadScopeEngine
import HeadScopeExtract
import HeadScopeQA
import HeadScopeRuntime

/// Runs subquestions through the model under a condition's plan and judges the answers.
///
/// Prompts are those of the extract stage (`SubquestionPrompt`, primed with its answer prefix,
/// greedy, stop after `]`), so the un-ablated answers here are the answers the activations were
/// recorded with.
struct ConditionExecutor {
    var runtime: any VLMRuntime
    var prepared: PreparedDataset
    var settings: InterventionSettings
    var sessions: SessionCache
    let judge = NormalizedMatchJudge()

    /// One question of a chain, answered and judged.
    func answer(_ session: any VLMSession, item: PreparedDataset.Item, index: Int, context: [ContextStep],
                plan: InterpretabilityPlan, condition: String) throws -> StepRecord {
        let step = item.steps[index]
        let prompt = SubquestionPrompt(subquestion: step.subquestion, mainQuestion: item.question, context: context)
        let turn = try session.generate(userText: prompt.text, assistantPrefix: SubquestionPrompt.answerPrefix, plan: plan,
                                        maxNewTokens: settings.maxNewTokens, stopAfter: "]")
        let parsed = AnswerParser.parse(SubquestionPrompt.answerPrefix + turn.text)
        var record = StepRecord(condition: condition, itemID: item.id, step: index, function: step.function,
                                subquestion: step.subquestion, reference: step.answer, answer: parsed.answer, raw: turn.text,
                                structured: parsed.structured,
                                correct: judge.judge(answer: parsed.answer, reference: step.answer, options: item.options))
        record.image = prepared.images[item.imageID]
        record.userText = prompt.text
        return record
    }

    /// Answers `steps` (grouped by item: one session per image) under `condition`'s plan, with
    /// the per-step context policy; with `baseAnswers`, also records agreement with them.
    func runSteps(_ condition: InterventionCondition, steps: [StepKey], items: [String: PreparedDataset.Item],
                  baseAnswers: [StepKey: String]?, onStep: () -> Void) throws -> [StepRecord] {
        var records: [StepRecord] = []
        var order: [String] = [], byItem: [String: [Int]] = [:]
        for key in steps {
            if byItem[key.itemID] == nil { order.append(key.itemID) }
            byItem[key.itemID, default: []].append(key.step)
        }
        for itemID in order {
            guard let item = items[itemID] else { continue }
            let session = try sessions.session(image: prepared.imageURL(of: item))
            let chain = item.steps.map { (subquestion: $0.subquestion, answer: $0.answer) }
            for index in byItem[itemID] ?? [] {
                let context = SubquestionPrompt.context(policy: settings.context, index: index, steps: chain, modelAnswers: [])
                var record = try answer(session, item: item, index: index, context: context, plan: condition.plan,
                                        condition: condition.name)
                if let base = baseAnswers?[record.key] {
                    record.baseAnswer = base
                    record.agrees = NormalizedMatchJudge.matches(record.answer, base, options: item.options)
                }
                records.append(record)
                onStep()
            }
        }
        return records
    }

    /// Walks each item's chain from the first step through step `through[item]`, feeding the
    /// model's own answers forward as context, under `condition`'s plan at every step.
    func runChains(_ condition: InterventionCondition, items chainItems: [(item: PreparedDataset.Item, through: Int)],
                   onStep: () -> Void) throws -> [StepRecord] {
        var records: [StepRecord] = []
        for (item, through) in chainItems {
            let session = try sessions.session(image: prepared.imageURL(of: item))
            let chain = item.steps.map { (subquestion: $0.subquestion, answer: $0.answer) }
            var answers: [String] = []
            for index in 0...min(through, item.steps.count - 1) {
                let context = SubquestionPrompt.context(policy: .model, index: index, steps: chain, modelAnswers: answers)
                let record = try answer(session, item: item, index: index, context: context, plan: condition.plan,
                                        condition: condition.name)
                answers.append(record.answer)
                records.append(record)
                onStep()
            }
        }
        return records
    }
}
