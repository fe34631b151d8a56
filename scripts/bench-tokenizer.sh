#!/usr/bin/env bash
# Tokenizing figure of issue 15 (target: the Java SentencePiece at least 0.5x the speed of the
# tokenizer.json path on 10 MB of Chinese): dev.kun.bench.TokenizerBenchmark on the shared corpus's
# CMRC paragraphs. The SentencePiece model is trained once with spm_train (Debian's sentencepiece)
# on the shared corpus, BPE with byte fallback as Yi's, 32000 pieces (KUN_BENCH_VOCAB), into
# /tmp/kun-bench-spm; its tokenizer.json is the one Hugging Face's converter would write.
# usage: scripts/bench-tokenizer.sh [MB] [ROUNDS]   (default 10 MB, 3 rounds; best round printed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
data="${SHARED_DATA:-$root/../shared/data}"
vocab="${KUN_BENCH_VOCAB:-32000}"
work=/tmp/kun-bench-spm
model="$work/yi-like-$vocab.model"
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  mvn -q -B test-compile
fi
cpfile="$root/target/bench-classpath.txt"
if [ ! -s "$cpfile" ] || [ "$root/pom.xml" -nt "$cpfile" ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
fi
if [ ! -f "$model" ]; then
  mkdir -p "$work"
  /usr/bin/python3 - "$data" > "$work/train.txt" <<'PY'
import json, sys, pathlib
for name in ("corpus-cmrc2018.jsonl", "seed-coig-kun.jsonl"):
    for l in (pathlib.Path(sys.argv[1]) / name).read_text(encoding="utf-8").splitlines():
        if l.strip():
            for v in json.loads(l).values():
                if isinstance(v, str):
                    print("\n".join(x for x in v.splitlines() if x.strip()))
PY
  spm_train --input="$work/train.txt" --model_prefix="${model%.model}" --model_type=bpe --vocab_size="$vocab" \
    --character_coverage=0.9999 --byte_fallback=true --split_digits=true --allow_whitespace_only_pieces=true \
    --normalization_rule_name=identity --remove_extra_whitespaces=false --add_dummy_prefix=false \
    --max_sentence_length=100000 --num_threads=2 --minloglevel=2
fi
echo "bench-tokenizer: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), model $model" >&2
exec java -Xmx2g -cp "target/test-classes:target/classes:$(cat "$cpfile")" dev.kun.bench.TokenizerBenchmark \
  "$model" "$data/corpus-cmrc2018.jsonl" "${1:-10}" "${2:-3}"
