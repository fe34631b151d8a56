#!/usr/bin/env bash
# Figure of issue 13: `kun run` over N documents with peak RSS flat in N, and per-stage throughput.
# Builds N documents in $KUN_BENCH_DIR alternating CMRC paragraphs and COIG-Kun answers (same mix at
# every N; src/test/java/dev/kun/bench/RunBenchmark.java), runs the packaged CLI's `kun run` on each with
# the demo config (data-samples/pipeline.yaml, the tiny random model) under /usr/bin/time -v, and prints
# wall time, peak RSS and each stage's records/s and generated tokens/s from the run's report.json.
# usage: scripts/bench-run.sh [N...]     (default: 500 2000)
# env:   KUN_BENCH_DIR (default /tmp/kun-bench), KUN_BENCH_DATA (default ../shared/data),
#        KUN_RUN_ARGS: extra options for kun run (e.g. --config FILE --model DIR),
#        KUN_BENCH_NO_BUILD=1 to skip `mvn package`
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${KUN_BENCH_DIR:-/tmp/kun-bench}"
data="${KUN_BENCH_DATA:-$root/../shared/data}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 2000)

for f in corpus-cmrc2018.jsonl seed-coig-kun.jsonl; do
  [ -r "$data/$f" ] || { echo "bench-run: no $data/$f" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-run: needs GNU time (apt-get install time)" >&2; exit 2; }
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  (cd "$root" && mvn -q -B package -DskipTests)
fi
cp=("$root/target/test-classes:$root/target/classes:$root/target/lib/*")
mkdir -p "$dir"

for n in "${sizes[@]}"; do
  corpus="$dir/run-corpus-$n.jsonl"
  java -cp "${cp[@]}" dev.kun.bench.RunBenchmark corpus "$data/corpus-cmrc2018.jsonl" "$data/seed-coig-kun.jsonl" "$corpus" "$n"
  work="$dir/run-work-$n"
  rm -rf "$work" "$dir/run-final-$n.jsonl" "$dir/run-final-$n.jsonl.checkpoint"
  log="$dir/run-time-$n.txt"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  /usr/bin/time -v -o "$log" "$root/scripts/kun" run -i "$corpus" -o "$dir/run-final-$n.jsonl" --work-dir "$work" \
      --config "$root/data-samples/pipeline.yaml" --progress never ${KUN_RUN_ARGS:-} 2> "$dir/run-stderr-$n.txt"
  end=$(date +%s.%N)
  peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  cpu_s=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$log")
  printf 'kun run  %5d documents  %8.1f s  cpu %8.1f s  peak RSS %7.1f MB\n' "$n" "$(echo "$end - $start" | bc -l)" \
      "$cpu_s" "$(echo "$peak_kb / 1024" | bc -l)"
  java -cp "${cp[@]}" dev.kun.bench.RunBenchmark summary "$work/report.json"
done
