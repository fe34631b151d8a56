#!/usr/bin/env bash
# Figures of issue 3: the in-process Llama engine on a random Llama of the peers' shape (hidden 768,
# 12 layers, 12 heads, intermediate 2048, vocab 32000, F32), CPU. One run measures memory bandwidth
# (STREAM-style copy over the threads) and the ceiling it implies, batch-1 decode, prefill, batch-32
# aggregate decode, and peak RSS against weights + KV cache. Prints one JSON line on stdout and a
# summary (with the targets) on stderr.
# usage: scripts/bench-engine.sh [--threads N] [--decode-tokens N] [--prefill-tokens N] [--batch N]
#                                [--repeats N] [--profile]
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
# The runtime dependencies alone, as scripts/kun starts with (target/lib): test-only jars on the class
# path (ArchUnit, the OpenAI SDK and its Kotlin) cost the JVM ~9 MB of RSS before any model is loaded.
cpfile="$root/target/bench-runtime-classpath.txt"
if [ ! -s "$cpfile" ] || [ "$root/pom.xml" -nt "$cpfile" ]; then
  mvn -q -B dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$cpfile" >&2
fi
cp="$root/target/classes:$root/target/test-classes:$(cat "$cpfile")"

# Offline as kun runs; libtorch and OpenMP get exactly the benchmark's threads.
export DJL_OFFLINE=true OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
jvm=(-Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1)

if [ ! -f "$model/config.json" ]; then
  # A separate JVM: the writer's heap must not count in the measuring run's peak RSS.
  java -Xmx2g -cp "$cp" dev.kun.bench.DecodeBenchmark write "$model"
fi
echo "bench-engine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), model $model" >&2
# The launcher's collector (scripts/kun: serial) and memory options, so the peak RSS is what
# `kun generate` would show.
# shellcheck source=scripts/jvm-options.sh
source "$root/scripts/jvm-options.sh"
# shellcheck disable=SC2086
exec java ${KUN_BENCH_JAVA_OPTS:--XX:+UseSerialGC -XX:MaxDirectMemorySize=8g $KUN_JVM_MEMORY_OPTS} "${jvm[@]}" -cp "$cp" dev.kun.bench.DecodeBenchmark run "$model" "$@"
