#!/usr/bin/env bash
# The endpoint backend's own overhead: kun generate --endpoint against an instant server on loopback.
# usage: scripts/bench-endpoint.sh [REQUESTS] [IN_FLIGHT] (default 50000 64). Target: >= 2000 requests/s.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -q -B test-compile
# (sed: some Maven setups colour even -q output, which would corrupt the first and last path)
cp="target/test-classes:target/classes:$(mvn -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout | sed 's/\x1b\[[0-9;]*m//g')"
# The launcher's collector and heap settings, so the figure is the one scripts/kun would give.
source scripts/jvm-options.sh
# shellcheck disable=SC2086
exec java -XX:+UseSerialGC $KUN_JVM_MEMORY_OPTS -cp "$cp" dev.kun.bench.EndpointBenchmark "${1:-50000}" "${2:-64}"
