// HeadScopeTokenizer: Hugging Face tokenizers for HeadScope's language decoders, Foundation only.
//
// What it reads: `tokenizer.json` (BPE models: byte-level as GPT-2 / Llama-3 / Qwen2 / SmolLM2, and
// SentencePiece-style with byte fallback as Llama-2 / LLaVA-1.5), `tokenizer_config.json`
// (special tokens, add_bos_token / add_eos_token, tokenizer_class) and the chat template
// (`chat_template.jinja`, `chat_template.json` or the config's `chat_template`).
//
// How it stays exact: every stage mirrors the `tokenizers` crate (added-token matching, normalizers,
// pre-tokenizers, BPE merge order, post-processors, decoders), and `Tokenizer.Pipeline.transformers`
// adds what transformers 5.x's tokenizer classes change on top of the file. Tests compare ids,
// tokens and decodes with transformers 5.23 on trained fixture tokenizers and the real SmolLM2 one
// (scripts/fixtures/tokenizer.py).
//
// Chat templates are not interpreted (there is no Jinja engine): `ChatTemplate` recognises the
// families HeadScope supports by their markers and renders them natively, with goldens from
// transformers' `apply_chat_template(..., tokenize=False)` on the published templates.
//
// Entry points: `Tokenizer(directory:)`, `encode(_:addSpecialTokens:)`, `decode(_:skipSpecialTokens:)`,
// `tokenToID(_:)` / `idToToken(_:)`, `applyChatTemplate(_:addGenerationPrompt:)`.
