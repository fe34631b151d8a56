#!/usr/bin/env bash
# Weight-reading figure of issue 3: CheckpointLoadBenchmark (safetensors parse + F32/F16/BF16
# conversion of a 134M-parameter checkpoint, page-cache resident) on the test classpath.
# usage: scripts/bench-load.sh [ROUNDS]   (default 3; prints the best round per stored/target dtype)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -q -B test-compile
mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
exec java -Xmx2g -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  dev.kun.bench.CheckpointLoadBenchmark "$@"
