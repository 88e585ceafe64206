import Foundation
import HeadScopeExtract

extension ReportPage {
    /// Label counts (bar chart), question kinds, splits and a few example chains with images.
    func datasetSection() throws -> String {
        guard let loaded = artifacts.dataset.loaded else { return missingOf(artifacts.dataset).map(missingBox) ?? "" }
        let dataset = loaded.value
        let stats = DatasetStatistics(dataset)
        var out = "<p>\(stats.items) main questions, \(stats.steps) subquestions, \(dataset.images.count) images.</p>\n"
        let maxCount = Double(stats.labelCounts.map(\.count).max() ?? 1)
        let bars = stats.labelCounts.enumerated().map { i, line in
            SVGCharts.Bar(label: line.label, value: Double(line.count), color: SVGColor.categorical(i),
                          note: "\(line.label): \(line.count) subquestions")
        }
        out += HTML.figure(SVGCharts.bars(bars, range: 0...max(maxCount, 1), title: "Subquestions per cognitive function",
                                          axis: "subquestions"),
                           caption: "How many subquestions of the prepared chains carry each function label (taxonomy order).")
        out += HTML.table(header: ["function", "subquestions"],
                          rows: stats.labelCounts.map { [HTML.escape($0.label), HTML.number("steps", "\($0.count)")] },
                          rowAttributes: stats.labelCounts.map { "data-table=\"labels\" data-function=\"\(HTML.escape($0.label))\"" },
                          id: "label-counts")
        out += "<h3>Question kinds and splits</h3><div class=\"grid-figs\">"
        out += HTML.table(header: ["kind", "main questions"],
                          rows: stats.kinds.map { [HTML.escape($0.kind), HTML.number("items", "\($0.count)")] },
                          rowAttributes: stats.kinds.map { "data-table=\"kinds\" data-kind=\"\(HTML.escape($0.kind))\"" })
        out += HTML.table(header: ["split", "main questions", "subquestions"],
                          rows: stats.splits.map { [HTML.escape($0.split), HTML.number("items", "\($0.items)"), HTML.number("steps", "\($0.steps)")] },
                          rowAttributes: stats.splits.map { "data-table=\"splits\" data-split=\"\(HTML.escape($0.split))\"" })
        out += "</div>\n"
        out += HTML.source(loaded.sources)
        out += "<h3>Example chains</h3>\n"
        for item in exampleItems(dataset.items) { out += try chain(item, dataset: dataset) }
        out += HTML.source([loaded.sources[0], "prepared/images/"] + (artifacts.extraction.loaded?.sources ?? []))
        return out
    }

    /// Up to three items of different kinds and images, chains of more than one step preferred.
    func exampleItems(_ items: [PreparedDataset.Item]) -> [PreparedDataset.Item] {
        var chosen: [PreparedDataset.Item] = [], kinds: Set<String> = [], images: Set<String> = []
        for item in items.sorted(by: { ($0.steps.count > 1 ? 0 : 1) < ($1.steps.count > 1 ? 0 : 1) }) where chosen.count < 3 {
            let kind = item.tags?["task"] ?? (item.options.isEmpty ? "open" : "multiple choice")
            if !kinds.contains(kind) && !images.contains(item.imageID) {
                kinds.insert(kind)
                images.insert(item.imageID)
                chosen.append(item)
            }
        }
        for item in items where chosen.count < min(3, items.count) && !chosen.contains(item) { chosen.append(item) }
        return chosen
    }

    /// One chain: the image, the main question and a row per step with the model's answer if recorded.
    func chain(_ item: PreparedDataset.Item, dataset: DatasetArtifacts) throws -> String {
        let imageURL = dataset.imageURL(of: item)
        let image: String
        if let data = FileManager.default.contents(atPath: imageURL.path) {
            let mime = imageURL.pathExtension.lowercased() == "png" ? "image/png" : "image/jpeg"
            image = "<img alt=\"image \(HTML.escape(item.imageID))\" src=\"data:\(mime);base64,\(data.base64EncodedString())\">"
        } else {
            throw ReportError(file: imageURL.path, "the image of item \(item.id) is missing", remedy: "re-run `make prepare`")
        }
        let extraction = artifacts.extraction.value
        let rows = item.steps.enumerated().map { index, step -> [String] in
            var row = ["\(index)", HTML.escape(step.subquestion), HTML.escape(step.function), HTML.escape(step.answer)]
            if let extraction {
                if let answer = extraction.answer(item: item.id, step: index) {
                    let css = answer.correct ? "ok-answer" : "bad-answer"
                    row.append("<span class=\"\(css)\">\(HTML.escape(answer.modelAnswer.isEmpty ? "(empty)" : answer.modelAnswer)) \(answer.correct ? "✓" : "✗")</span>")
                } else {
                    row.append("(not recorded)")
                }
            }
            return row
        }
        var header = ["step", "subquestion", "function", "gold answer"]
        if extraction != nil { header.append("model answer") }
        return "<div class=\"chain\" data-item=\"\(HTML.escape(item.id))\">\(image)<div><p><strong>\(HTML.escape(item.question))</strong> "
            + "(gold: <code>\(HTML.escape(item.finalAnswer))</code>; \(HTML.escape(item.split)) split; item <code>\(HTML.escape(item.id))</code>)</p>"
            + HTML.table(header: header, rows: rows, numericFrom: 99) + "</div></div>\n"
    }
}
