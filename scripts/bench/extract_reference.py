"""The reference for `headscope-extract --model builtin`: the same capture done the usual way, with
transformers, forward pre-hooks on every decoder layer's `self_attn.o_proj` and greedy `generate`.

    .venv-ref/bin/python scripts/bench/extract_reference.py --prepared <prepared/> --limit 8 \
        [--max-new-tokens 128] [--threads 2] [--z-out z.npy] [--answers-out answers.jsonl]

Same model (scripts/builtin/builtin_model.py: DINOv2-S/14 + connector + SmolLM2-135M with the
committed LoRA merged, fp32), same items (the first `--limit` of items.jsonl), same work per
subquestion as headscope-extract's defaults for the built-in model:

- the prompt of context policy `none` (BuiltinReference's prompt_ids: chat template, image tokens,
  assistant turn primed with `[{"answer": "`);
- greedy decoding of at most 128 new tokens (ExtractConfig.maxNewTokens), stopping at the
  end-of-sequence id or once the decoded generated text contains `]` (RuntimeChainModel's stop
  rule); the last token is not fed back, as in the engine;
- `z` = the input of `o_proj` (all heads, concatenated) at the last prompt position and at every
  fed-back generated token, mean-pooled over the answer span: the generated tokens before the
  one whose decoded text first holds `"` (position policy `mean`; the last prompt position when
  the span is empty);
- the answer parsed from `[{"answer": "` + the generated text like HeadScopeQA.AnswerParser.

The image is encoded (DINOv2 + connector) once for consecutive chains about it and reused for
their subquestions, as HeadScope's session does. Unlike the engine's prefix session, `generate` recomputes the whole
prompt (image tokens included) for every subquestion: that is what the standard stack does.

Prints one JSON line: items, subquestions, load/run seconds, subquestions per second (run only),
peak RSS (ru_maxrss) and the answers. `--z-out` saves the pooled z as float32 [N, L, H, D] in the
store's row order; `--answers-out` writes one JSON line per subquestion.
"""
import argparse, json, os, resource, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "builtin"))

ANSWER_PREFIX = '[{"answer": "'
STOP_MARKER = "]"


def parse_answer(text):
    """HeadScopeQA.AnswerParser.parse: the `answer` field of the last `[{...}]` block that decodes
    as a JSON array whose last element is an object with that field; else the trimmed text."""
    search_end = len(text)
    while True:
        close = text.rfind("}]", 0, search_end)
        if close < 0:
            break
        open_end = close
        while True:
            start = text.rfind("[{", 0, open_end)
            if start < 0:
                break
            answer = answer_field(text[start:close + 2])
            if answer is not None:
                return answer, True
            open_end = start
        search_end = close
    return text.strip(), False


def answer_field(candidate):
    try:
        objects = json.loads(candidate)
    except ValueError:
        return None
    # Swift decodes [AnswerObject?]: every element must be an object or null.
    if not isinstance(objects, list) or not objects or not all(o is None or isinstance(o, dict) for o in objects):
        return None
    last = objects[-1]
    if last is None or "answer" not in last:
        return None
    value = last["answer"]
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def load_items(prepared, limit):
    items = []
    with open(os.path.join(prepared, "items.jsonl")) as f:
        for line in f:
            if line.strip():
                items.append(json.loads(line))
    images = {}
    for name in os.listdir(os.path.join(prepared, "images")):
        stem = os.path.splitext(name)[0]
        if not name.startswith(".") and not stem.endswith(".mask"):
            images[stem] = os.path.join(prepared, "images", name)
    return items[:limit], images


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepared", required=True)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--z-out")
    parser.add_argument("--answers-out")
    args = parser.parse_args()

    start = time.perf_counter()
    import numpy as np
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList
    from builtin_model import BuiltinReference, embed_prompt, prompt_ids

    torch.set_num_threads(args.threads)
    ref = BuiltinReference.load()
    tok, lm = ref.tok, ref.lm
    items, images = load_items(args.prepared, args.limit)
    # The engine stops at the config's eos_token_id(s) and the tokenizer's EOS.
    config_eos = lm.config.eos_token_id
    eos = sorted({i for i in (config_eos if isinstance(config_eos, list) else [config_eos]) + [tok.eos_token_id] if i is not None})

    # One vector per forward pass and layer: the o_proj input at the pass's last position (the
    # last prompt position for the prefill, the fed-back token for each decode step).
    layers = lm.model.layers
    captured = [[] for _ in layers]
    hooks = [layer.self_attn.o_proj.register_forward_pre_hook(
        lambda module, inputs, store=captured[i]: store.append(inputs[0][0, -1].detach().clone()))
        for i, layer in enumerate(layers)]

    class StopAfter(StoppingCriteria):
        """True once the decoded generated ids contain the marker (checked after every token)."""
        def __init__(self, prompt_length):
            self.prompt_length = prompt_length

        def __call__(self, input_ids, scores, **kwargs):
            generated = input_ids[0, self.prompt_length:].tolist()
            done = STOP_MARKER in tok.decode(generated, skip_special_tokens=True)
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool)

    load_seconds = time.perf_counter() - start
    run_start = time.perf_counter()
    answers, pooled = [], []
    with torch.no_grad():
        last_path, projected = None, None
        for item in items:
            path = images[item["image_id"]]
            if path != last_path:  # consecutive chains about one image share its encoding, as in HeadScope
                projected = ref.projected(path)
                last_path = path
            for step, sub in enumerate(item["steps"]):
                ids = prompt_ids(tok, sub["subquestion"], item["question"], ref.n_image_tokens, ref.image_token_id)
                x = embed_prompt(lm, ids, projected, ref.image_token_id)[None]
                for store in captured:
                    store.clear()
                out = lm.generate(inputs_embeds=x, attention_mask=torch.ones(x.shape[:2], dtype=torch.long),
                                  max_new_tokens=args.max_new_tokens, do_sample=False, eos_token_id=eos,
                                  pad_token_id=eos[0], stopping_criteria=StoppingCriteriaList([StopAfter(0)]))
                tokens = out[0].tolist()
                # With inputs_embeds only, generate returns the new tokens alone.
                text = tok.decode(tokens, skip_special_tokens=True)
                span = next((end for end in range(len(tokens))
                             if '"' in tok.decode(tokens[:end + 1], skip_special_tokens=True)), len(tokens))
                passes = len(captured[0])           # 1 prefill + one per fed-back token
                assert passes == len(tokens), f"{passes} forward passes for {len(tokens)} tokens"
                pooled_length = min(span, passes - 1)
                chosen = list(range(1, pooled_length + 1)) or [0]
                z = torch.stack([torch.stack([store[p] for p in chosen]).mean(0) for store in captured])
                pooled.append(z.reshape(len(layers), lm.config.num_attention_heads, -1).numpy().astype(np.float32))
                answer, structured = parse_answer(ANSWER_PREFIX + text)
                answers.append({"item_id": item["id"], "step": step, "answer": answer, "raw_output": text,
                                "structured": structured, "tokens": len(tokens), "answer_length": pooled_length})
    run_seconds = time.perf_counter() - run_start
    for hook in hooks:
        hook.remove()

    if args.z_out:
        np.save(args.z_out, np.stack(pooled) if pooled else np.zeros((0,), np.float32))
    if args.answers_out:
        with open(args.answers_out, "w") as f:
            for a in answers:
                f.write(json.dumps(a) + "\n")
    n = len(answers)
    print(json.dumps({
        "impl": "transformers", "items": len(items), "subquestions": n,
        "load_seconds": round(load_seconds, 3), "run_seconds": round(run_seconds, 3),
        "subquestions_per_second": n / run_seconds if run_seconds > 0 else None,
        "generated_tokens": sum(a["tokens"] for a in answers),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": args.threads, "max_new_tokens": args.max_new_tokens,
        "answers": [a["answer"] for a in answers],
    }))


if __name__ == "__main__":
    main()
