#!/usr/bin/env bash
# kun serve checked with curl, a client no one here wrote: every endpoint, streaming, the refusals
# (400, 401, 404, 413, 503 with Retry-After), /metrics, and SIGTERM (the request in flight is
# answered, new connections are refused, the process exits 143). Loopback only; bounded in requests
# and time. Prints one line per check and exits 1 if any failed.
# usage: scripts/check-serve.sh [MODEL_DIR]   (default: a tiny random checkpoint written to a temp dir)
# env:   KUN_CHECK_NO_BUILD=1 to skip `mvn package` and `mvn test-compile`
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v curl >/dev/null || { echo "check-serve: curl is not installed" >&2; exit 2; }

work="$(mktemp -d /tmp/kun-check-serve.XXXXXX)"
server=""
cleanup() {
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# KUN_CHECK_KEEP_LOG=FILE keeps the server's stderr
keep_log() { [ -n "${KUN_CHECK_KEEP_LOG:-}" ] && cp "$work/server.log" "$KUN_CHECK_KEEP_LOG" || true; }

if [ -z "${KUN_CHECK_NO_BUILD:-}" ]; then
  mvn -q -B package -DskipTests -Dkun.skipCds=true >&2
fi
model="${1:-}"
if [ -z "$model" ]; then
  if [ -z "${KUN_CHECK_NO_BUILD:-}" ]; then mvn -q -B test-compile >&2; fi
  cpfile="$root/target/bench-classpath.txt"
  if [ ! -s "$cpfile" ] || [ "$root/pom.xml" -nt "$cpfile" ]; then
    mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
  fi
  model="$work/tiny"
  java -cp "$root/target/classes:$root/target/test-classes:$(cat "$cpfile")" dev.kun.serve.CheckServeModel "$model"
fi

failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1${2:+: $2}"; failures=$((failures + 1)); }
# expect NAME STATUS FILE [TEXT...]: the status code matches and the body contains every TEXT.
expect() {
  local name="$1" want="$2" got="$3" body="$4"
  shift 4
  if [ "$got" != "$want" ]; then fail "$name" "status $got, expected $want: $(head -c 300 "$body")"; return; fi
  for text in "$@"; do
    if ! grep -qF -- "$text" "$body"; then fail "$name" "no '$text' in $(head -c 300 "$body")"; return; fi
  done
  pass "$name"
}

export KUN_API_KEY="check-serve-key"
scripts/kun serve --model "$model" --port 0 --served-model-name tiny --batch-size 2 --max-queue 1 \
  --max-body-bytes 4000 --device cpu 2>"$work/server.log" &
server=$!
base=""
for _ in $(seq 1 600); do
  base="$(grep -o 'listening on http://[^ ]*' "$work/server.log" | head -1 | cut -d' ' -f3 || true)"
  [ -n "$base" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "check-serve: kun serve did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "check-serve: kun serve did not start in 60 s" >&2; exit 1; }
echo "serving $model at $base" >&2
auth=(-H "Authorization: Bearer $KUN_API_KEY")
json=(-H "Content-Type: application/json")
# call NAME ARGS...: curl with a 60 s bound, body to $work/NAME, status printed
call() {
  local name="$1"
  shift
  curl -sS --max-time 60 -o "$work/$name" -w '%{http_code}' "$@" || true
}

s=$(call health "$base/health");                                  expect "GET /health" 200 "$s" "$work/health" '"status":"ok"'
s=$(call models "${auth[@]}" "$base/v1/models");                    expect "GET /v1/models" 200 "$s" "$work/models" '"object":"list"' '"id":"tiny"'
s=$(call noauth "$base/v1/models");                                 expect "no API key: 401" 401 "$s" "$work/noauth" '"code":"invalid_api_key"'
s=$(call completion "${auth[@]}" "${json[@]}" "$base/v1/completions" \
  -d '{"model":"tiny","prompt":"the cat","max_tokens":12,"temperature":0}')
expect "POST /v1/completions" 200 "$s" "$work/completion" '"object":"text_completion"' '"finish_reason":' '"usage":{"prompt_tokens":'
s=$(call chat "${auth[@]}" "${json[@]}" "$base/v1/chat/completions" \
  -d '{"model":"tiny","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"新闻 材料"}],"max_tokens":12,"temperature":0}')
expect "POST /v1/chat/completions" 200 "$s" "$work/chat" '"object":"chat.completion"' '"role":"assistant"'
s=$(call stream "${auth[@]}" "${json[@]}" -N "$base/v1/completions" \
  -d '{"model":"tiny","prompt":"the cat","max_tokens":12,"temperature":0,"stream":true}')
expect "stream /v1/completions" 200 "$s" "$work/stream" 'data: {"id":"cmpl-' '"object":"text_completion"'
if [ "$(grep -v '^$' "$work/stream" | tail -1)" = "data: [DONE]" ]; then pass "stream ends with data: [DONE]"; else fail "stream ends with data: [DONE]" "$(tail -c 200 "$work/stream")"; fi
# The streamed text is the text of the same request unstreamed (temperature 0); python3 reads the JSON.
if ! command -v python3 >/dev/null; then
  echo "skip streamed text = unstreamed text (no python3)"
else
streamed="$(grep '^data: {' "$work/stream" | sed 's/^data: //' | python3 -c 'import json,sys; print("".join(json.loads(l)["choices"][0]["text"] for l in sys.stdin), end="")' 2>/dev/null || echo "?")"
whole="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["choices"][0]["text"], end="")' "$work/completion" 2>/dev/null || echo "!")"
if [ "$streamed" = "$whole" ]; then pass "streamed text = unstreamed text"; else fail "streamed text = unstreamed text" "'$streamed' vs '$whole'"; fi
fi
s=$(call chatstream "${auth[@]}" "${json[@]}" -N "$base/v1/chat/completions" \
  -d '{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":true,"stream_options":{"include_usage":true}}')
expect "stream /v1/chat/completions" 200 "$s" "$work/chatstream" '"object":"chat.completion.chunk"' '"delta":{"role":"assistant"' '"choices":[],' 'data: [DONE]'

s=$(call malformed "${auth[@]}" "${json[@]}" "$base/v1/completions" -d '{"model":"tiny","prompt":')
expect "malformed JSON: 400" 400 "$s" "$work/malformed" '"type":"invalid_request_error"'
s=$(call wrongtype "${auth[@]}" "${json[@]}" "$base/v1/completions" -d '{"model":"tiny","prompt":"x","max_tokens":"ten"}')
expect "wrong type: 400" 400 "$s" "$work/wrongtype" '"param":"max_tokens"'
s=$(call unknown "${auth[@]}" "${json[@]}" "$base/v1/completions" -d '{"model":"gpt-4","prompt":"x"}')
expect "unknown model: 404" 404 "$s" "$work/unknown" '"code":"model_not_found"'
s=$(call context "${auth[@]}" "${json[@]}" "$base/v1/completions" -d '{"model":"tiny","prompt":"x","max_tokens":100000}')
expect "max_tokens over the context: 400" 400 "$s" "$work/context" '"code":"context_length_exceeded"'
head -c 5000 /dev/zero | tr '\0' 'a' | sed 's/^/{"model":"tiny","prompt":"/; s/$/"}/' >"$work/big.json"
s=$(call big "${auth[@]}" "${json[@]}" "$base/v1/completions" --data-binary @"$work/big.json")
expect "body over --max-body-bytes: 413" 413 "$s" "$work/big" '"type":"invalid_request_error"'

# 2 slots and a queue of 1: of 8 long requests at once, some are refused with 503 and Retry-After.
for i in $(seq 1 8); do
  curl -sS --max-time 60 -o "$work/load$i" -D "$work/load$i.headers" -w '%{http_code}' "${auth[@]}" "${json[@]}" \
    "$base/v1/completions" -d '{"model":"tiny","prompt":"the cat","max_tokens":200,"temperature":0}' >"$work/load$i.status" &
done
wait $(jobs -p | grep -v "^$server\$") 2>/dev/null || true
ok=0; refused=0; other=0
for i in $(seq 1 8); do
  case "$(cat "$work/load$i.status")" in
    200) ok=$((ok + 1)) ;;
    503) refused=$((refused + 1)); grep -qi '^retry-after: ' "$work/load$i.headers" || other=$((other + 1)) ;;
    *) other=$((other + 1)) ;;
  esac
done
if [ "$refused" -ge 1 ] && [ "$ok" -ge 3 ] && [ "$other" -eq 0 ]; then
  pass "full queue: 503 with Retry-After ($ok answered, $refused refused)"
else
  fail "full queue: 503 with Retry-After" "$ok answered, $refused refused, $other other"
fi

s=$(call metrics "$base/metrics")
expect "GET /metrics" 200 "$s" "$work/metrics" 'kun_requests_total{endpoint="/v1/completions",code="200"}' \
  'code="503"' 'kun_generation_tokens_total' 'kun_queue_depth 0' 'kun_slots 2' 'kun_request_duration_seconds_bucket'

# SIGTERM with a request in flight: it is answered, new connections are refused, the process exits.
curl -sS --max-time 60 -o "$work/inflight" -w '%{http_code}' "${auth[@]}" "${json[@]}" "$base/v1/completions" \
  -d '{"model":"tiny","prompt":"the cat","max_tokens":240,"temperature":0}' >"$work/inflight.status" &
inflight=$!
sleep 0.3
kill -TERM "$server"
sleep 0.2
if curl -sS --max-time 5 -o /dev/null "$base/health" 2>/dev/null; then
  fail "after SIGTERM: no new connections" "a new connection was accepted"
else
  pass "after SIGTERM: no new connections"
fi
wait "$inflight" || true
expect "after SIGTERM: the request in flight is answered" 200 "$(cat "$work/inflight.status")" "$work/inflight" '"finish_reason"'
code=0
wait "$server" || code=$?
server=""
if [ "$code" -eq 143 ] && grep -q "kun serve: stopped" "$work/server.log"; then
  pass "after SIGTERM: exits (status 143)"
else
  fail "after SIGTERM: exits" "status $code; log: $(tail -5 "$work/server.log")"
fi

keep_log
if [ "$failures" -gt 0 ]; then
  echo "check-serve: $failures check(s) failed" >&2
  exit 1
fi
echo "check-serve: all checks passed" >&2
