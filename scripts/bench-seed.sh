#!/usr/bin/env bash
# Figure of issue 2: `kun seed` with near-duplicate removal on (the default), target >= 10 MB/s.
# Builds an input in $KUN_BENCH_DIR from the CMRC corpus repeated to SIZE_MB with per-copy edits
# (exact, near and new documents: see src/test/java/dev/kun/bench/SeedBenchmark.java), runs the
# packaged CLI on it and prints MB/s (input bytes / wall seconds), peak RSS and the drop counts.
# usage: scripts/bench-seed.sh [SIZE_MB...]     (default: 200)
# env:   KUN_BENCH_DIR (default /tmp/kun-bench; inputs are built there, never committed)
#        KUN_BENCH_CORPUS (default ../shared/data/corpus-cmrc2018.jsonl)
#        KUN_BENCH_CPU (pin to one core with taskset, e.g. 0; default: unpinned)
#        KUN_BENCH_NO_BUILD=1 to skip `mvn package`; KUN_SEED_ARGS: extra options for kun seed
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${KUN_BENCH_DIR:-/tmp/kun-bench}"
corpus="${KUN_BENCH_CORPUS:-$root/../shared/data/corpus-cmrc2018.jsonl}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200)

[ -r "$corpus" ] || { echo "bench-seed: no corpus $corpus" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-seed: needs GNU time (apt-get install time)" >&2; exit 2; }
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  (cd "$root" && mvn -q -B package -DskipTests)
fi
if [ -x "$root/scripts/kun" ]; then kun=("$root/scripts/kun"); else kun=(java -jar "$(ls "$root"/target/kun-*.jar | head -1)"); fi
pin=()
[ -z "${KUN_BENCH_CPU:-}" ] || pin=(taskset -c "$KUN_BENCH_CPU")
mkdir -p "$dir"

for mb in "${sizes[@]}"; do
  input="$dir/seed-bench-${mb}MB.jsonl"
  if [ ! -f "$input" ]; then
    echo "bench-seed: building $input" >&2
    java -cp "$root/target/test-classes:$root/target/classes:$root/target/lib/*" dev.kun.bench.SeedBenchmark \
        "$corpus" "$input.tmp" "$mb"
    mv "$input.tmp" "$input"
  fi
  bytes=$(stat -c %s "$input")
  out="$dir/seed-out-${mb}.jsonl"
  rm -f "$out" "$out".* "$dir/seed-rejects-${mb}.jsonl" "$dir/seed-stats-${mb}.json"
  log="$dir/seed-time-${mb}.txt"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "${pin[@]}" /usr/bin/time -v -o "$log" "${kun[@]}" seed -i "$input" -o "$out" \
      --rejects "$dir/seed-rejects-${mb}.jsonl" --stats "$dir/seed-stats-${mb}.json" --progress never ${KUN_SEED_ARGS:-}
  end=$(date +%s.%N)
  seconds=$(echo "$end - $start" | bc -l)
  peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  cpu_s=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$log")
  printf 'seed (near dedup)  input %6.0f MB  %7.2f s  %6.1f MB/s  cpu %6.1f s  peak RSS %6.1f MB\n' \
      "$(echo "$bytes / 1000000" | bc -l)" "$seconds" "$(echo "$bytes / 1000000 / $seconds" | bc -l)" \
      "$cpu_s" "$(echo "$peak_kb / 1024" | bc -l)"
  tr -d '\n ' < "$dir/seed-stats-${mb}.json"; echo
  rm -f "$out" "$dir/seed-rejects-${mb}.jsonl"
done
