#!/usr/bin/env bash
# Forward-pass figures of issue 3 for the engine's own formulation choices: ForwardBenchmark on a
# random Llama (default hidden 768, 12 layers, 12 heads, intermediate 2048, vocab 32000, F32, CPU).
# Prints prefill tokens/s, decode tokens/s at batch 1 and 32, and (-Dbare=true) the forward step
# against the bare matrix products over the same weights, interleaved in one run, so the overhead
# ratio holds on a shared machine. MatvecBenchmark compares matrix-vector formulations.
# usage: scripts/bench-forward.sh [THREADS [HIDDEN LAYERS HEADS INTERMEDIATE VOCAB]]
#        JAVA_OPTS="-Dbare=true -Dbatches=1,32 -Dsteps=20" scripts/bench-forward.sh 2
#        JAVA_OPTS="-Dprofile=/tmp/prof.json" scripts/bench-forward.sh 1   (PyTorch profiler trace)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -q -B test-compile
mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
exec java -Xmx2g -Dai.djl.offline=true ${JAVA_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  dev.kun.bench.ForwardBenchmark "$@"
