# Sourced by scripts/kun and scripts/bench-engine.sh: sets KUN_JVM_MEMORY_OPTS, the JVM options that
# keep kun's resident memory small, so the launcher and the engine benchmark run alike.
#
# -Xmn16m: kun streams records through a small live heap and keeps model weights in native memory,
#   so a young generation of the default size (a third of the initial heap, ~128 MB on a 24 GB
#   machine) only adds resident pages once it has filled: scripts/bench-engine.sh measured -92 MB peak RSS.
# -XX:TrimNativeHeapInterval=5000: the JVM returns the C heap's free pages to the system every five
#   seconds (malloc_trim). libtorch frees a prefill's activations into glibc's free lists, which
#   otherwise keep them resident for the rest of the run (-20 to -60 MB peak RSS). Every second
#   made the pages of back-to-back prefills fault in again (the median of repeated
#   512-token prefills was ~10% slower); every five seconds keeps that rare. The flag exists from JDK 17.0.9,
#   21.0.1 and 22; an older JVM would refuse to start with it, so it is only added for those.
KUN_JVM_MEMORY_OPTS="-Xmn16m"
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
