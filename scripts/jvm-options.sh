# Sourced by scripts/kun and scripts/bench-engine.sh: sets KUN_JVM_MEMORY_OPTS, the JVM options that
# keep kun's resident memory small, so the launcher and the engine benchmark run alike.
#
# -Xmn8m: kun streams records through a small live heap and keeps model weights in native memory,
#   so a young generation of the default size (a third of the initial heap, ~128 MB on a 24 GB
#   machine) only adds resident pages once it has filled: scripts/bench-engine.sh measured -92 MB
#   peak RSS for 16 MB; 8 MB took another 7-19 MB off it (the eden is touched in full between
#   collections) at the cost of twice the young collections (126 instead of 62 in the benchmark's
#   run, ~1 ms each, with a live heap of ~9 MB); the filter benchmark did not move.
# -Xms16m: the serial collector collects the old generation only when it is full, and its initial
#   size is 1/64 of the machine's memory (~370 MB here, 8 GB on a 512 GB GPU host). Objects that
#   outlive a few young collections (a sequence's sampler state) are promoted and, once dead, stayed
#   resident up to that size; from a small start the old generation grows with the live heap instead.
#   scripts/bench-engine.sh, measured with a 32 MB start: live heap 13 MB after two full collections,
#   peak RSS -25 MB; the filter benchmark did not move.
# -XX:TrimNativeHeapInterval=5000: the JVM returns the C heap's free pages to the system every five
#   seconds (malloc_trim). libtorch frees a prefill's activations into glibc's free lists, which
#   otherwise keep them resident for the rest of the run (-20 to -60 MB peak RSS). Every second
#   made the pages of back-to-back prefills fault in again (the median of repeated
#   512-token prefills was ~10% slower); every five seconds keeps that rare. The flag exists from JDK 17.0.9,
#   21.0.1 and 22; an older JVM would refuse to start with it, so it is only added for those.
KUN_JVM_MEMORY_OPTS="-Xms16m -Xmn8m"
kun_java_release() {
  local java_bin release
  java_bin="$(command -v java 2>/dev/null)" || return 1
  release="$(dirname "$(dirname "$(readlink -f "$java_bin")")")/release"
  [ -r "$release" ] || return 1
  sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$release"
}
kun_version="$(kun_java_release || true)"
if [[ "$kun_version" =~ ^([0-9]+)(\.([0-9]+)\.([0-9]+))? ]]; then
  kun_major="${BASH_REMATCH[1]}"
  kun_update="${BASH_REMATCH[4]:-0}"
  if { [ "$kun_major" -eq 17 ] && [ "$kun_update" -ge 9 ]; } || { [ "$kun_major" -eq 21 ] && [ "$kun_update" -ge 1 ]; } \
      || [ "$kun_major" -ge 22 ]; then
    KUN_JVM_MEMORY_OPTS="$KUN_JVM_MEMORY_OPTS -XX:TrimNativeHeapInterval=5000"
  fi
fi
unset kun_version kun_major kun_update
