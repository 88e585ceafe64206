import Foundation

/// The BPE `model` of `tokenizer.json`: vocabulary, ranked merges, unknown-token and byte-fallback
/// handling, with a per-word cache (most words repeat, and merging is the costly step).
final class BPEModel: @unchecked Sendable {
    let vocab: [String: Int]
    /// Token text for each id below `idToToken.count` (gaps are nil).
    let idToToken: [String?]
    /// (left id, right id) packed in 64 bits -> (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    let unkToken: String?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    /// Ids of the `<0xAB>` byte tokens, when present.
    private let byteTokenIDs: [Int?]

    private var cache: [String: [Int]] = [:]
    private let cacheLock = NSLock()
    private static let cacheLimit = 50_000

    struct Options {
        var unkToken: String?
        var fuseUnk = false
        var byteFallback = false
        var ignoreMerges = false
        var continuingSubwordPrefix: String?
        var endOfWordSuffix: String?
    }

    /// Reads `model` of a `tokenizer.json`.
    static func parse(_ json: JSONValue, file: String) throws -> (vocab: [String: Int], merges: [(String, String)], options: Options) {
        let type = json["type"]?.string ?? (json["merges"] != nil ? "BPE" : "")
        guard type == "BPE" else {
            throw TokenizerError(file: file, key: "model.type",
                                 message: "model type \"\(type.isEmpty ? "(missing)" : type)\" is not supported",
                                 hint: "only BPE models (byte-level or SentencePiece-style) can be read")
        }
        guard let vocabObject = json["vocab"]?.object else {
            throw TokenizerError(file: file, key: "model.vocab", message: "BPE model has no vocab object")
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(vocabObject.count)
        for (token, value) in vocabObject {
            guard let id = value.int, id >= 0 else {
                throw TokenizerError(file: file, key: "model.vocab[\(token)]", message: "id \(value) is not a non-negative integer")
            }
            vocab[token] = id
        }
        guard let mergeList = json["merges"]?.array else {
            throw TokenizerError(file: file, key: "model.merges", message: "BPE model has no merges list",
                                 hint: "the file is truncated or not a BPE tokenizer")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            if let text = entry.string {
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError(file: file, key: "model.merges[\(index)]",
                                         message: "merge \"\(text)\" is not two tokens separated by one space")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = entry.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string {
                merges.append((a, b))
            } else {
                throw TokenizerError(file: file, key: "model.merges[\(index)]",
                                     message: "merge must be \"a b\" or [\"a\", \"b\"]")
            }
        }
        var options = Options()
        options.unkToken = json["unk_token"]?.string
        options.fuseUnk = json["fuse_unk"]?.bool ?? false
        options.byteFallback = json["byte_fallback"]?.bool ?? false
        options.ignoreMerges = json["ignore_merges"]?.bool ?? false
        options.continuingSubwordPrefix = json["continuing_subword_prefix"]?.string
        options.endOfWordSuffix = json["end_of_word_suffix"]?.string
        if json["dropout"]?.double.map({ $0 > 0 }) == true {
            throw TokenizerError(file: file, key: "model.dropout", message: "BPE dropout is random at encoding time",
                                 hint: "set dropout to null for deterministic tokenization")
        }
        return (vocab, merges, options)
    }

    init(vocab: [String: Int], merges: [(String, String)], options: Options, file: String) throws {
        self.vocab = vocab
        let maxID = vocab.values.max() ?? -1
        guard maxID < max(4 * vocab.count, 1 << 20) else {
            throw TokenizerError(file: file, key: "model.vocab", message: "id \(maxID) is far beyond the \(vocab.count) vocab entries",
                                 hint: "ids must be dense, 0 ..< vocab size")
        }
        var reverse = [String?](repeating: nil, count: maxID + 1)
        for (token, id) in vocab { reverse[id] = token }
        idToToken = reverse
        let prefixLength = options.continuingSubwordPrefix?.count ?? 0
        var table: [UInt64: (rank: Int32, id: Int32)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let left = vocab[a] else {
                throw TokenizerError(file: file, key: "model.merges[\(rank)]", message: "merge token \"\(a)\" is not in the vocab")
            }
            guard let right = vocab[b] else {
                throw TokenizerError(file: file, key: "model.merges[\(rank)]", message: "merge token \"\(b)\" is not in the vocab")
            }
            let merged = a + String(b.dropFirst(prefixLength))
            guard let id = vocab[merged] else {
                throw TokenizerError(file: file, key: "model.merges[\(rank)]",
                                     message: "merged token \"\(merged)\" is not in the vocab")
            }
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            table[key] = (Int32(rank), Int32(id))  // a repeated pair keeps its last rank, as in tokenizers
        }
        self.merges = table
        unkToken = options.unkToken
        fuseUnk = options.fuseUnk
        byteFallback = options.byteFallback
        ignoreMerges = options.ignoreMerges
        continuingSubwordPrefix = options.continuingSubwordPrefix
        endOfWordSuffix = options.endOfWordSuffix
        byteTokenIDs = (0..<256).map { vocab[String(format: "<0x%02X>", $0)] }
        if let unk = options.unkToken, vocab[unk] == nil {
            throw TokenizerError(file: file, key: "model.unk_token", message: "unk token \"\(unk)\" is not in the vocab")
        }
    }

    func token(for id: Int) -> String? {
        id >= 0 && id < idToToken.count ? idToToken[id] : nil
    }

    /// Token ids for one pre-tokenized word.
    func tokenize(_ word: [Unicode.Scalar]) -> [Int] {
        if word.isEmpty { return [] }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: word)
        let key = String(view)
        if ignoreMerges, let id = vocab[key] { return [id] }
        cacheLock.lock()
        let hit = cache[key]
        cacheLock.unlock()
        if let hit { return hit }
        let ids = mergeWord(word)
        cacheLock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[key] = ids
        cacheLock.unlock()
        return ids
    }

    private struct Symbol {
        var id: Int32
        var prev: Int32
        var next: Int32
        var alive: Bool
    }

    /// Splits `word` into initial symbols, then applies merges lowest rank first (ties: leftmost),
    /// exactly as `tokenizers`' `Word::merge_all`.
    private func mergeWord(_ word: [Unicode.Scalar]) -> [Int] {
        var ids: [Int32] = []
        ids.reserveCapacity(word.count)
        var pendingUnk: Int32? = nil
        let unkID = unkToken.flatMap { vocab[$0] }.map { Int32($0) }
        for (index, scalar) in word.enumerated() {
            var text = String(Character(scalar))
            if index > 0, let prefix = continuingSubwordPrefix { text = prefix + text }
            if index == word.count - 1, let suffix = endOfWordSuffix { text += suffix }
            if let id = vocab[text] {
                if let unk = pendingUnk { ids.append(unk); pendingUnk = nil }
                ids.append(Int32(id))
                continue
            }
            if byteFallback {
                var bytes: [Int32] = []
                var complete = true
                for byte in text.utf8 {
                    if let id = byteTokenIDs[Int(byte)] { bytes.append(Int32(id)) } else { complete = false; break }
                }
                if complete {
                    // As in `tokenizers`, a pending unknown token is not flushed here.
                    ids.append(contentsOf: bytes)
                    continue
                }
            }
            if let unk = unkID {
                if pendingUnk != nil && fuseUnk { continue }
                if let previous = pendingUnk { ids.append(previous) }
                pendingUnk = unk
            }
        }
        if let unk = pendingUnk { ids.append(unk) }
        if ids.count < 2 { return ids.map(Int.init) }

        var symbols = ids.enumerated().map { index, id in
            Symbol(id: id, prev: Int32(index - 1), next: index + 1 < ids.count ? Int32(index + 1) : -1, alive: true)
        }
        var heap = MergeHeap()
        for i in 0..<(symbols.count - 1) {
            if let merge = merges[Self.key(symbols[i].id, symbols[i + 1].id)] {
                heap.push(.init(rank: merge.rank, pos: Int32(i), id: merge.id))
            }
        }
        while let top = heap.pop() {
            let pos = Int(top.pos)
            guard symbols[pos].alive, symbols[pos].next >= 0 else { continue }
            let nextPos = Int(symbols[pos].next)
            guard let merge = merges[Self.key(symbols[pos].id, symbols[nextPos].id)], merge.id == top.id else { continue }
            symbols[pos].id = top.id
            symbols[pos].next = symbols[nextPos].next
            symbols[nextPos].alive = false
            if symbols[nextPos].next >= 0 { symbols[Int(symbols[nextPos].next)].prev = Int32(pos) }
            if symbols[pos].prev >= 0 {
                let prev = Int(symbols[pos].prev)
                if let m = merges[Self.key(symbols[prev].id, symbols[pos].id)] {
                    heap.push(.init(rank: m.rank, pos: Int32(prev), id: m.id))
                }
            }
            if symbols[pos].next >= 0 {
                let next = Int(symbols[pos].next)
                if let m = merges[Self.key(symbols[pos].id, symbols[next].id)] {
                    heap.push(.init(rank: m.rank, pos: Int32(pos), id: m.id))
                }
            }
        }
        var out: [Int] = []
        out.reserveCapacity(symbols.count)
        var i: Int32 = 0
        while i >= 0 {
            out.append(Int(symbols[Int(i)].id))
            i = symbols[Int(i)].next
        }
        return out
    }

    @inline(__always) private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }
}

/// A binary min-heap of pending merges ordered by (rank, position).
private struct MergeHeap {
    struct Entry {
        var rank: Int32
        var pos: Int32
        var id: Int32
        @inline(__always) func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : pos < other.pos
        }
    }

    private var items: [Entry] = []

    mutating func push(_ entry: Entry) {
        items.append(entry)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < items.count && items[left].precedes(items[best]) { best = left }
            if right < items.count && items[right].precedes(items[best]) { best = right }
            if best == parent { break }
            items.swapAt(parent, best)
            parent = best
        }
        return first
    }
}
