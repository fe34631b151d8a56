#!/usr/bin/env bash
# Figures of issue 14 for kun serve, on the random benchmark Llama of scripts/bench-engine.sh (CPU):
#  1. in-process generation at --batch-size 8 (what kun generate does) against kun serve with 8
#     concurrent clients at the same batch size: aggregate generated tokens/s, same prompts, greedy,
#     alternated for --rounds rounds (3) so that both see the same load on a shared machine; the
#     median of the per-round ratios is the figure;
#  2. a soak: 64 clients for 60 s, 10% of the requests malformed, of a wrong type, for an unknown model
#     or oversized (2 MiB), against kun serve with --max-queue 64: no 5xx for the valid ones, the
#     server still up, its peak RSS.
# Loopback only; the soak issues requests for 60 s, then waits for those in flight.
# usage: scripts/bench-serve.sh [--rounds N] [--requests N] [--max-tokens N] [--soak-seconds S]
#                               [--soak-max-tokens N]
# env:   KUN_BENCH_MODEL (default /tmp/kun-bench-llama768), written on first use as bench-engine.sh does
#        KUN_BENCH_NO_BUILD=1 to skip the build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${KUN_BENCH_MODEL:-/tmp/kun-bench-llama768}"
rounds=3
requests=32
max_tokens=64
soak_seconds=60
soak_max_tokens=32
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --max-tokens) max_tokens="$2"; shift 2 ;;
    --soak-seconds) soak_seconds="$2"; shift 2 ;;
    --soak-max-tokens) soak_max_tokens="$2"; shift 2 ;;
    *) echo "bench-serve: unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$root"
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  mvn -q -B package -DskipTests -Dkun.skipCds=true >&2
  mvn -q -B test-compile >&2
fi
cpfile="$root/target/bench-classpath.txt"
if [ ! -s "$cpfile" ] || [ "$root/pom.xml" -nt "$cpfile" ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
fi
cp="$root/target/classes:$root/target/test-classes:$(cat "$cpfile")"
export DJL_OFFLINE=true
if [ ! -f "$model/config.json" ]; then
  java -Xmx2g -cp "$cp" dev.kun.bench.DecodeBenchmark write "$model"
fi
# shellcheck source=scripts/jvm-options.sh
source "$root/scripts/jvm-options.sh"
echo "bench-serve: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), model $model" >&2

log="$(mktemp /tmp/kun-bench-serve.XXXXXX.log)"
server=""
trap '[ -n "$server" ] && kill -KILL "$server" 2>/dev/null; rm -f "$log"' EXIT
start_server() {
  scripts/kun serve --model "$model" --device cpu --batch-size 8 --max-queue "$1" --port 0 \
    --served-model-name bench 2>"$log" &
  server=$!
  base=""
  for _ in $(seq 1 1200); do
    base="$(grep -o 'listening on http://[^ ]*' "$log" | head -1 | cut -d' ' -f3 || true)"
    [ -n "$base" ] && return 0
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench-serve: kun serve did not start" >&2
  exit 1
}
stop_server() {
  kill -TERM "$server"
  wait "$server" || true
  server=""
}
load() {
  java -XX:+UseSerialGC -Xmx1g -cp "$cp" dev.kun.bench.ServeBenchmark load "$base" --model bench "$@"
}

# 1. Rounds of in-process (its own JVM with the launcher's options; the engine takes every core, as
# kun serve's does) then kun serve with 8 clients on the same requests, the server idle meanwhile.
start_server 64
load --clients 8 --requests 8 --max-tokens 8 >/dev/null # warm-up
rate() { grep -o '"tokens_per_s":[0-9.]*' | cut -d: -f2; }
ratios=()
for r in $(seq 1 "$rounds"); do
  # shellcheck disable=SC2086
  # (not `tee /dev/stderr`: with stderr redirected to a file, tee reopens and truncates it)
  out="$(java -XX:+UseSerialGC $KUN_JVM_MEMORY_OPTS -Dai.djl.offline=true -cp "$cp" dev.kun.bench.ServeBenchmark \
    inprocess "$model" --batch 8 --requests "$requests" --max-tokens "$max_tokens")"
  echo "$out"
  inproc="$(echo "$out" | rate)"
  out="$(load --clients 8 --requests "$requests" --max-tokens "$max_tokens")"
  echo "$out"
  served="$(echo "$out" | rate)"
  ratio="$(awk -v a="$served" -v b="$inproc" 'BEGIN { printf "%.2f", a / b }')"
  ratios+=("$ratio")
  echo "round $r: in-process $inproc tokens/s, kun serve (8 clients) $served tokens/s: ratio $ratio" >&2
done
median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
echo "kun serve / in-process at batch 8: ratios ${ratios[*]}, median $median (target >= 0.80)" >&2
echo "{\"serve_over_inprocess_ratios\":[$(IFS=,; echo "${ratios[*]}")],\"median\":$median}"

# 2. The soak.
load --clients 64 --seconds "$soak_seconds" --max-tokens "$soak_max_tokens" --bad 0.1 --pid "$server"
if curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$base/health" | grep -q 200; then
  echo "bench-serve: the server is up after the soak" >&2
else
  echo "bench-serve: the server is NOT up after the soak" >&2
fi
grep -E "WARN|ERROR" "$log" | grep -v CudaUtils | head -20 >&2 || true
stop_server
