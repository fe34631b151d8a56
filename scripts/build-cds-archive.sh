#!/usr/bin/env bash
# Writes target/kun.jsa, the class-data-sharing archive scripts/kun starts the JVM with when present:
# the classes one `kun filter` run loads (kun, picocli, Jackson, logback, lambda and invoke classes),
# already parsed and verified. That saves ~0.5 s of start-up on one core. `mvn package` runs this;
# -Dkun.skipCds=true skips it. It never fails the build: without the archive (or with a stale one,
# whose jar changed) scripts/kun starts as before, only slower.
set -u
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
archive="$root/target/kun.jsa"
tmp="$archive.tmp.$$"
work="$(mktemp -d 2>/dev/null)" || exit 0
trap 'rm -rf "$work" "$tmp"' EXIT
# The run must use the launcher's own class path and options, or the JVM refuses the archive later.
rm -f "$archive"
if KUN_JAVA_OPTS="-XX:ArchiveClassesAtExit=$tmp ${KUN_JAVA_OPTS:-}" "$root/scripts/kun" filter \
        -i "$root/data-samples/seed-coig-kun.jsonl" -o "$work/out.jsonl" --rejects "$work/rejects.jsonl" \
        --stats "$work/stats.json" --progress never >/dev/null 2>&1 && [ -s "$tmp" ]; then
  mv -f "$tmp" "$archive"
else
  echo "kun: no class-data-sharing archive built (start-up will be slower; nothing else changes)" >&2
fi
exit 0
