#!/usr/bin/env python3
"""Rewrites a safetensors checkpoint as PyTorch .bin, the way transformers' save_pretrained with
safe_serialization=False does (torch.save of each shard's state dict, pytorch_model.bin.index.json),
for comparing the two forms. Debian's PyTorch is enough (apt-get install python3-torch).

    /usr/bin/python3 scripts/safetensors-to-bin.py SRC_DIR OUT_DIR [SHARDS]

The safetensors files are parsed here (8-byte header length, JSON header, raw data), so no
safetensors package is needed. Every other file of SRC_DIR (config, tokenizer) is copied.
"""
import collections
import json
import pathlib
import shutil
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = collections.OrderedDict()
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        begin, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[meta["dtype"]])
        out[name] = t.reshape(meta["shape"]).clone()
    return out


def main():
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    shards = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    out.mkdir(parents=True, exist_ok=True)
    index = src / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists() else ["model.safetensors"]
    sd = collections.OrderedDict()
    for f in files:
        sd.update(read_safetensors(src / f))
    for f in src.iterdir():
        if f.is_file() and not f.name.endswith(".safetensors") and f.name != index.name:
            shutil.copy(f, out / f.name)
    if shards == 1:
        torch.save(sd, out / "pytorch_model.bin")
        return
    names = list(sd)
    per = -(-len(names) // shards)
    weight_map = {}
    for s in range(shards):
        file = "pytorch_model-%05d-of-%05d.bin" % (s + 1, shards)
        part = collections.OrderedDict((n, sd[n]) for n in names[s * per:(s + 1) * per])
        torch.save(part, out / file)
        weight_map.update({n: file for n in part})
    total = sum(t.numel() * t.element_size() for t in sd.values())
    (out / "pytorch_model.bin.index.json").write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))


if __name__ == "__main__":
    main()
