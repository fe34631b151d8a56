#!/usr/bin/env python3
"""Writes the PyTorch .bin test fixtures under src/test/resources/dev/kun/model/checkpoint/pytorch/.

Run with Debian's PyTorch (apt-get install python3-torch; made with torch 1.13):
    /usr/bin/python3 scripts/make-pytorch-fixtures.py

Each checkpoint folder holds config.json, the weights as real torch.save writes them (pytorch_model.bin,
or shards with pytorch_model.bin.index.json), and reference.safetensors: the same tensors written by
this script's own safetensors writer, which the Java tests compare with tensor by tensor. The tests add
a tokenizer themselves. Weights are random but fixed (torch.manual_seed), so a rerun writes the same
tensors; the zip timestamps may differ.
"""
import collections
import json
import os
import pathlib
import shutil
import struct
import sys

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "src/test/resources/dev/kun/model/checkpoint/pytorch"
HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB = 16, 2, 2, 1, 32, 512
HEAD_DIM = HIDDEN // HEADS


def config(model_type="llama", tied=False, dtype="float32"):
    arch = {"llama": "LlamaForCausalLM", "Yi": "YiForCausalLM"}[model_type]
    return {
        "architectures": [arch], "model_type": model_type, "hidden_size": HIDDEN, "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS,
        "vocab_size": VOCAB, "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 5000000.0,
        "tie_word_embeddings": tied, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2,
        "pad_token_id": 0, "torch_dtype": dtype,
    }


def weights(seed, dtype, yi_names=False, tied=False):
    """A Llama state dict of the shapes above: norms near 1, projections of std 1/sqrt(fan_in)."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, std=1.0, mean=0.0):
        return (torch.randn(*shape, generator=g) * std + mean).to(dtype)

    norm1, norm2 = ("ln1", "ln2") if yi_names else ("input_layernorm", "post_attention_layernorm")
    sd = collections.OrderedDict()
    sd["model.embed_tokens.weight"] = randn(VOCAB, HIDDEN, std=3 / HIDDEN ** 0.5 if tied else 1.0)
    for layer in range(LAYERS):
        p = "model.layers.%d." % layer
        sd[p + "self_attn.q_proj.weight"] = randn(HEADS * HEAD_DIM, HIDDEN, std=HIDDEN ** -0.5)
        sd[p + "self_attn.k_proj.weight"] = randn(KV_HEADS * HEAD_DIM, HIDDEN, std=HIDDEN ** -0.5)
        sd[p + "self_attn.v_proj.weight"] = randn(KV_HEADS * HEAD_DIM, HIDDEN, std=HIDDEN ** -0.5)
        sd[p + "self_attn.o_proj.weight"] = randn(HIDDEN, HEADS * HEAD_DIM, std=(HEADS * HEAD_DIM) ** -0.5)
        sd[p + "mlp.gate_proj.weight"] = randn(INTERMEDIATE, HIDDEN, std=HIDDEN ** -0.5)
        sd[p + "mlp.up_proj.weight"] = randn(INTERMEDIATE, HIDDEN, std=HIDDEN ** -0.5)
        sd[p + "mlp.down_proj.weight"] = randn(HIDDEN, INTERMEDIATE, std=INTERMEDIATE ** -0.5)
        sd[p + norm1 + ".weight"] = randn(HIDDEN, std=0.1, mean=1.0)
        sd[p + norm2 + ".weight"] = randn(HIDDEN, std=0.1, mean=1.0)
    sd["model.norm.weight"] = randn(HIDDEN, std=0.1, mean=1.0)
    if tied:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]  # one storage, two names
    else:
        sd["lm_head.weight"] = randn(VOCAB, HIDDEN, std=3 / HIDDEN ** 0.5)
    return sd


SAFETENSORS_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                     torch.int64: "I64"}


def raw(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_safetensors(path, sd):
    """safetensors, by the format's description: u64 header length, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, t in sd.items():
        b = raw(t)
        header[name] = {"dtype": SAFETENSORS_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def fresh(name):
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def sharded(d, sd, shards):
    """Hugging Face's layout: pytorch_model-0000N-of-0000M.bin and pytorch_model.bin.index.json."""
    names = list(sd)
    per = -(-len(names) // shards)
    weight_map = {}
    for s in range(shards):
        file = "pytorch_model-%05d-of-%05d.bin" % (s + 1, shards)
        part = collections.OrderedDict((n, sd[n]) for n in names[s * per:(s + 1) * per])
        torch.save(part, d / file)
        weight_map.update({n: file for n in part})
    total = sum(t.numel() * t.element_size() for t in sd.values())
    write_json(d / "pytorch_model.bin.index.json", {"metadata": {"total_size": total}, "weight_map": weight_map})


class Evil:
    """What a malicious checkpoint pickles: unpickling it would run a shell command."""

    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return (self.func, (self.arg,))


def main():
    # 1. One file, F32, Llama names.
    d = fresh("llama-f32")
    sd = weights(1, torch.float32)
    write_json(d / "config.json", config())
    torch.save(sd, d / "pytorch_model.bin")
    write_safetensors(d / "reference.safetensors", sd)

    # 2. Yi's first release: YiForCausalLM, ln1/ln2, BF16, three shards with an index.
    d = fresh("yi-bf16-sharded")
    sd = weights(2, torch.bfloat16, yi_names=True)
    write_json(d / "config.json", config("Yi", dtype="bfloat16"))
    sharded(d, sd, 3)
    write_safetensors(d / "reference.safetensors", sd)

    # 3. F16 tensors that are views into shared storages (q/k/v rows of one fused matrix, a tied head),
    #    a Parameter, a module's state dict with _metadata, and buffers the model never reads.
    d = fresh("views-f16")
    sd = weights(3, torch.float16, tied=True)
    for layer in range(LAYERS):
        p = "model.layers.%d.self_attn." % layer
        qkv = torch.cat([sd[p + "q_proj.weight"], sd[p + "k_proj.weight"], sd[p + "v_proj.weight"]])
        q, k = HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM
        sd[p + "q_proj.weight"], sd[p + "k_proj.weight"], sd[p + "v_proj.weight"] = qkv[:q], qkv[q:q + k], qkv[q + k:]
    sd["model.norm.weight"] = torch.nn.Parameter(sd["model.norm.weight"], requires_grad=False)
    saved = collections.OrderedDict(sd)
    saved["model.layers.0.self_attn.rotary_emb.inv_freq"] = 1.0 / (10000 ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
    saved["model.position_ids"] = torch.arange(8).unsqueeze(0)
    saved._metadata = collections.OrderedDict([("", {"version": 1}), ("model", {"version": 1})])
    write_json(d / "config.json", config(tied=True, dtype="float16"))
    torch.save(saved, d / "pytorch_model.bin")
    ref = collections.OrderedDict((n, t.detach()) for n, t in saved.items())
    write_safetensors(d / "reference.safetensors", ref)

    # 4. Files kun must refuse, each in one line.
    d = fresh("refused")
    torch.save({"w": torch.arange(12, dtype=torch.float32).reshape(3, 4).t()}, d / "transposed.bin")
    torch.save({"w": torch.ones(2)}, d / "legacy.bin", _use_new_zipfile_serialization=False)
    marker = "/tmp/kun-pickle-ran"
    torch.save({"w": Evil(os.system, "touch " + marker)}, d / "system.bin")
    torch.save({"w": Evil(eval, "__import__('os').system('touch %s')" % marker)}, d / "eval-protocol4.bin",
               pickle_protocol=4)
    torch.save([torch.ones(2)], d / "list.bin")
    if os.path.exists(marker):
        sys.exit("a fixture ran code while being written: " + marker)


if __name__ == "__main__":
    main()
