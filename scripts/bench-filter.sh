#!/usr/bin/env bash
# Figure of issue 2: `kun filter` with all rules on seed-coig-kun.jsonl repeated to ~200 MB and ~2 GB,
# on one core (taskset -c 0). Prints MB/s (input bytes / wall seconds, and per CPU second) and peak
# RSS for each size, and the RSS ratio 2 GB / 200 MB (target: >= 50 MB/s, ratio <= 1.5).
# usage: scripts/bench-filter.sh [SIZES_MB...]     (default: 200 2000)
# env:   KUN_BENCH_DIR (default /tmp/kun-bench; inputs are built there, never committed)
#        KUN_BENCH_SEED (default ../shared/data/seed-coig-kun.jsonl), KUN_BENCH_CPU (default 0)
#        KUN_BENCH_NO_BUILD=1 to skip `mvn package` (which also writes target/kun.jsa, the class-data-sharing
#        archive scripts/kun starts with: without it start-up costs ~0.5 s more on one core)
# Run it under `flock /tmp/kun-bench.lock` on a shared machine, and quote the load average with the figure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${KUN_BENCH_DIR:-/tmp/kun-bench}"
seed="${KUN_BENCH_SEED:-$root/../shared/data/seed-coig-kun.jsonl}"
cpu="${KUN_BENCH_CPU:-0}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 2000)

[ -r "$seed" ] || { echo "bench-filter: no seed file $seed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-filter: needs GNU time (apt-get install time)" >&2; exit 2; }
if [ -z "${KUN_BENCH_NO_BUILD:-}" ]; then
  (cd "$root" && mvn -q -B package -DskipTests)
fi
mkdir -p "$dir"
# The packaged CLI: the launcher when present, else the jar with its lib/ beside it.
if [ -x "$root/scripts/kun" ]; then kun=("$root/scripts/kun"); else kun=(java -jar "$(ls "$root"/target/kun-*.jar | head -1)"); fi

seed_bytes=$(stat -c %s "$seed")
declare -A rss
for mb in "${sizes[@]}"; do
  input="$dir/seed-x${mb}MB.jsonl"
  copies=$(( (mb * 1000000 + seed_bytes - 1) / seed_bytes ))
  if [ ! -f "$input" ] || [ "$(stat -c %s "$input")" -ne $(( copies * seed_bytes )) ]; then
    echo "bench-filter: building $input ($copies copies of $(basename "$seed"))" >&2
    for _ in $(seq "$copies"); do cat "$seed"; done > "$input.tmp" && mv "$input.tmp" "$input"
  fi
  bytes=$(stat -c %s "$input")
  out="$dir/out-${mb}.jsonl"
  rm -f "$out" "$out".* "$dir/rejects-${mb}.jsonl" "$dir/stats-${mb}.json"
  log="$dir/time-${mb}.txt"
  start=$(date +%s.%N)
  taskset -c "$cpu" /usr/bin/time -v -o "$log" "${kun[@]}" filter -i "$input" -o "$out" \
      --rejects "$dir/rejects-${mb}.jsonl" --stats "$dir/stats-${mb}.json" --rules all --progress never
  end=$(date +%s.%N)
  seconds=$(echo "$end - $start" | bc -l)
  peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  cpu_s=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$log")
  rss[$mb]=$peak_kb
  # CPU seconds too: on a shared machine the wall figure says more about the neighbours.
  printf 'filter all  input %6.0f MB  wall %7.2f s  %6.1f MB/s  cpu %7.2f s  %6.1f MB/cpu-s  peak RSS %6.1f MB  (core %s)\n' \
      "$(echo "$bytes / 1000000" | bc -l)" "$seconds" "$(echo "$bytes / 1000000 / $seconds" | bc -l)" \
      "$cpu_s" "$(echo "$bytes / 1000000 / $cpu_s" | bc -l)" "$(echo "$peak_kb / 1024" | bc -l)" "$cpu"
  rm -f "$out" "$dir/rejects-${mb}.jsonl"
done
if [ ${#sizes[@]} -ge 2 ]; then
  first=${sizes[0]}; last=${sizes[${#sizes[@]}-1]}
  printf 'peak RSS ratio %s MB / %s MB input: %.2f\n' "$last" "$first" "$(echo "${rss[$last]} / ${rss[$first]}" | bc -l)"
fi
