#!/usr/bin/env bash
# The StageRunner's own throughput (a stage that keeps everything), plain and gzip output, one core.
# usage: scripts/bench-runner.sh [MB] (default 200). Needs ../shared/data/seed-coig-kun.jsonl
# (or KUN_SHARED_DATA=DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -q -B test-compile
cp="target/test-classes:target/classes:$(mvn -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
exec taskset -c "${KUN_BENCH_CPU:-0}" java -cp "$cp" ${KUN_SHARED_DATA:+-Dkun.shared.data=$KUN_SHARED_DATA} dev.kun.bench.StageRunnerBenchmark "${1:-200}"
