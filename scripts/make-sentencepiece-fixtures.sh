#!/usr/bin/env bash
# Writes the SentencePiece test fixtures under src/test/resources/dev/kun/model/tokenizer/sentencepiece/:
# three BPE models trained by spm_train (gzipped), and for each the ids spm_encode gives the 10,000 synthetic
# lines of dev.kun.testing.SyntheticLines (seed 15), gzipped, one line of space-separated ids per line.
# Needs Debian's sentencepiece tools (apt-get install sentencepiece; made with 0.1.97) and the shared
# corpus beside the clone (../shared/data, or SHARED_DATA=DIR), which the models are trained on and
# which is not committed.
#   llama-style: identity normalization, dummy prefix, byte fallback, digits split (as Llama 2)
#   yi-style:    as Llama but no dummy prefix, Yi's special pieces as control symbols (as Yi)
#   nfkc:        spm_train's defaults (nmt_nfkc, extra whitespace removed, no byte fallback: unknown
#                characters become <unk>), plus user-defined pieces
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
data="${SHARED_DATA:-$root/../shared/data}"
out=src/test/resources/dev/kun/model/tokenizer/sentencepiece
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Training text: every string value of the corpus and the seed set, one paragraph per line.
/usr/bin/python3 - "$data" > "$work/train.txt" <<'PY'
import json, sys, pathlib
for name in ("corpus-cmrc2018.jsonl", "seed-coig-kun.jsonl"):
    text = (pathlib.Path(sys.argv[1]) / name).read_text(encoding="utf-8")
    records = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
    for r in records:
        for v in r.values():
            if isinstance(v, str):
                for line in v.splitlines():
                    if line.strip():
                        print(line)
PY

common=(--input="$work/train.txt" --model_type=bpe --character_coverage=0.9995 --max_sentence_length=100000
        --num_threads=2 --minloglevel=2)
spm_train "${common[@]}" --model_prefix="$work/llama-style" --vocab_size=6000 --byte_fallback=true \
  --split_digits=true --allow_whitespace_only_pieces=true --normalization_rule_name=identity \
  --remove_extra_whitespaces=false --add_dummy_prefix=true --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1
spm_train "${common[@]}" --model_prefix="$work/yi-style" --vocab_size=6000 --byte_fallback=true \
  --split_digits=true --allow_whitespace_only_pieces=true --normalization_rule_name=identity \
  --remove_extra_whitespaces=false --add_dummy_prefix=false --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 \
  --bos_piece='<|startoftext|>' --eos_piece='<|endoftext|>' --control_symbols='<|im_start|>,<|im_end|>,<|im_sep|>'
spm_train "${common[@]}" --model_prefix="$work/nfkc" --vocab_size=5000 \
  --user_defined_symbols='<sep>,<cls>,🤖,新闻'

mvn -q -B test-compile
java -cp target/test-classes dev.kun.testing.SyntheticLines 15 10000 "$work/lines.txt"
for m in llama-style yi-style nfkc; do
  gzip -9nc "$work/$m.model" > "$out/$m.model.gz"
  spm_encode --model="$work/$m.model" --output_format=id < "$work/lines.txt" | gzip -9n > "$out/$m.ids.gz"
done
ls -l "$out"
