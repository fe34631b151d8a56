#!/usr/bin/env bash
# Weight-loading figures.
#   scripts/bench-load.sh [ROUNDS]         issue 3: CheckpointLoadBenchmark (safetensors parse + F32/F16/BF16
#                                          conversion of a 134M-parameter checkpoint, page-cache resident);
#                                          prints the best round per stored/target dtype
#   scripts/bench-load.sh forms [ROUNDS]   issue 15: the engine loading the benchmark model (hidden 768,
#                                          12 layers, vocab 32000, F32, 536 MB) as safetensors and as PyTorch
#                                          .bin shards written by PyTorch from the same tensors
#                                          (scripts/safetensors-to-bin.py, needs python3-torch), one load per
#                                          JVM, the two forms alternating (default 5 rounds), page cache warm;
#                                          prints each load and the medians' ratios (targets: time <= 1.2x,
#                                          peak RSS <= 1.1x)
# env: KUN_BENCH_MODEL (default /tmp/kun-bench-llama768), KUN_BENCH_NO_BUILD=1 to skip the build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  mvn -q -B test-compile
fi
cpfile="$root/target/bench-classpath.txt"
if [ ! -s "$cpfile" ] || [ "$root/pom.xml" -nt "$cpfile" ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
fi
cp="target/test-classes:target/classes:$(cat "$cpfile")"
if [ "${1:-}" != "forms" ]; then
  exec java -Xmx2g -cp "$cp" dev.kun.bench.CheckpointLoadBenchmark "$@"
fi

rounds="${2:-5}"
model="${KUN_BENCH_MODEL:-/tmp/kun-bench-llama768}"
bin="$model-bin"
if [ ! -f "$model/config.json" ]; then
  java -Xmx2g -cp "$cp" dev.kun.bench.DecodeBenchmark write "$model"
fi
if [ ! -f "$bin/pytorch_model.bin.index.json" ]; then
  /usr/bin/python3 scripts/safetensors-to-bin.py "$model" "$bin" 2
fi
source scripts/jvm-options.sh
export DJL_OFFLINE=true
# shellcheck disable=SC2086
jvm=(-XX:+UseSerialGC $KUN_JVM_MEMORY_OPTS -Dai.djl.offline=true)
# Warm the page cache for both forms so that neither pays the disk.
cat "$model"/*.safetensors "$bin"/*.bin > /dev/null
echo "bench-load forms: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); $model vs $bin" >&2
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for dir in "$model" "$bin"; do
    java "${jvm[@]}" -cp "$cp" dev.kun.bench.CheckpointFormsBenchmark "$dir" 2>/dev/null | tee -a "$out"
  done
done
/usr/bin/python3 - "$out" "$model" "$bin" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def med(d, k): return statistics.median(r[k] for r in runs if r["dir"] == d)
st, bn = sys.argv[2], sys.argv[3]
t, m = med(bn, "seconds") / med(st, "seconds"), med(bn, "peak_rss_mb") / med(st, "peak_rss_mb")
c = med(bn, "cpu_seconds") / med(st, "cpu_seconds")
print("median load: safetensors %.3f s, .bin %.3f s (%.2fx, target <= 1.2x); CPU %.3f s vs %.3f s (%.2fx);"
      " peak RSS %.0f MB vs %.0f MB (%.3fx, target <= 1.1x)"
      % (med(st, "seconds"), med(bn, "seconds"), t, med(st, "cpu_seconds"), med(bn, "cpu_seconds"), c,
         med(st, "peak_rss_mb"), med(bn, "peak_rss_mb"), m))
PY
