#!/usr/bin/env bash
# Figures of issue 13: continuous batching across a stage's batches and shared-prefix reuse, on the
# random benchmark Llama of scripts/bench-engine.sh (hidden 768, 12 layers, vocab 32000, F32), CPU.
#   label: `kun label`'s stage over 512 CMRC documents (of at most 512 tokens, as the method's cleansing
#          keeps) vs `kun generate`'s over the same rendered prompts (tokens/s, tokens per CPU-second), and
#          the decode slots' mean occupancy; `direct`: the engine's generate() with every request at once;
#          `strict`: the label stage without reading ahead;
#   judge: `kun judge`'s stage on 128 seed instructions, shared-prefix reuse off and on (records/s,
#          outputs and rejects compared); `judge-logits`: the same with --verdict-from logits.
# Prints one JSON line on stdout and a summary on stderr.
# usage: scripts/bench-batching.sh [--threads N] [--slots N] [--records N] [--max-doc-tokens N] [--gen-tokens A..B]
#                                  [--judge-records N] [--judge-max-tokens N] [--corpus FILE] [--seed-set FILE]
#                                  [--phases label,judge[,direct][,strict][,judge-logits]]
# env:   KUN_BENCH_MODEL (default /tmp/kun-bench-llama768): the checkpoint, written on first use (~540 MB)
#        KUN_BENCH_NO_BUILD=1 to skip `mvn test-compile`
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${KUN_BENCH_MODEL:-/tmp/kun-bench-llama768}"
threads=2
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--threads" ] && threads="${args[$((i + 1))]}"
done

cd "$root"
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  mvn -q -B test-compile
fi
cpfile="$root/target/bench-classpath.txt"
if [ ! -s "$cpfile" ] || [ "$root/pom.xml" -nt "$cpfile" ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
fi
cp="$root/target/classes:$root/target/test-classes:$(cat "$cpfile")"

export DJL_OFFLINE=true OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
jvm=(-Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1)

if [ ! -f "$model/config.json" ]; then
  java -Xmx2g -cp "$cp" dev.kun.bench.DecodeBenchmark write "$model"
fi
echo "bench-batching: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), model $model" >&2
# shellcheck source=scripts/jvm-options.sh
source "$root/scripts/jvm-options.sh"
# shellcheck disable=SC2086
exec java ${KUN_BENCH_JAVA_OPTS:--XX:+UseSerialGC -XX:MaxDirectMemorySize=8g $KUN_JVM_MEMORY_OPTS} "${jvm[@]}" -cp "$cp" \
  dev.kun.bench.BatchingBenchmark run "$model" "$@"
