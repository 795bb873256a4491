#!/usr/bin/env bash
# Session tokens (issue 5) with tools/loadgen over gRPC, as a ratio to the raw
# RS256 signing rate measured in the same run (one signature per token; the
# rest should be negligible):
#   CreateSessionToken                 the default session token
#   CreateSessionTokenFromTemplate     a template with five shortcodes
# tokend on CPU 0 (-c opt, --log_requests=false), loadgen on CPU 1.
#
# Two rates per run: tokens per wall second, and tokens per second of
# tokend's own CPU time (utime + stime over the run, /proc/<pid>/stat). The
# raw rate is CPU time too (Google Benchmark's cpu_time), and on this VM the
# host steals a large share of CPU 0's wall time while CPU 1 is loaded (raw
# RS256 signing measured 305 us of wall with CPU 1 idle, 470-510 us with it
# busy, at the same ~300 us of CPU), so the CPU-time ratio is the fair one.
#
#   bench/session_tokens.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}

bazel build -c opt //server:tokend //tools/loadgen //bench:jose_benchmark >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT

taskset -c 0 "$bin/server/tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 \
  --http_listen=127.0.0.1:0 --ready_file="$dir/ready" --log_requests=false \
  2>"$dir/log" &
pid=$!
for _ in $(seq 200); do [ -s "$dir/ready" ] && break; sleep 0.05; done
grpc=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
http=$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")
admin="authorization: Bearer $(cat "$dir/admin.key")"
post() { curl -sS -X POST "http://$http$1" -H "$admin" -H 'Content-Type: application/json' -d "$2"; }
id() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

user=$(post /v1/users '{"first_name":"Ada","last_name":"Lovelace","email_address":["ada@example.com"],"public_metadata":{"role":"admin","org":{"id":"o1"}}}' | id)
session=$(post /v1/sessions "{\"user_id\":\"$user\"}" | id)
post /v1/jwt_templates '{"name":"five","claims":{"email":"{{user.primary_email_address}}","name":"{{user.full_name}}","role":"{{user.public_metadata.role}}","org":"{{user.public_metadata.org.id}}","sid":"{{session.id}}"}}' >/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
load() {  # method request concurrency -> loadgen's JSON plus "server_cpu"
  local t0 c0 out
  t0=$(date +%s.%N); c0=$(cpu_ticks)
  out=$(taskset -c 1 "$bin/tools/loadgen/loadgen" --target="$grpc" --method="$1" \
    --request="$2" --metadata="$admin" --concurrency="$3" \
    --channels=$(( $3 < 2 ? 1 : 2 )) --duration="${secs}s" --warmup=2s --json)
  # The server's share of one CPU over warm-up and run alike (same load).
  local share
  share=$(awk -v c0="$c0" -v c1="$(cpu_ticks)" -v t0="$t0" -v t1="$(date +%s.%N)" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", (c1 - c0) / hz / (t1 - t0) }')
  printf '%s' "${out%\}},\"server_cpu\":$share}"
}
m=tokend.sessions.v1.SessionTokenService
d1=$(load $m/CreateSessionToken "{\"session_id\":\"$session\"}" 1)
d16=$(load $m/CreateSessionToken "{\"session_id\":\"$session\"}" 16)
t16=$(load $m/CreateSessionTokenFromTemplate "{\"session_id\":\"$session\",\"template_name\":\"five\"}" 16)
kill $pid; wait $pid || true; pid=

taskset -c 0 "$bin/bench/jose_benchmark" --benchmark_filter='^sign/RS256/raw$' \
  --benchmark_out="$dir/raw.json" --benchmark_out_format=json >/dev/null 2>&1

/usr/bin/python3 - "$d1" "$d16" "$t16" "$dir/raw.json" <<'PY'
import json, sys
runs = [json.loads(a) for a in sys.argv[1:4]]
unit = {"ns": 1e9, "us": 1e6, "ms": 1e3}
b = json.load(open(sys.argv[4]))["benchmarks"][0]
raw = unit[b["time_unit"]] / b["cpu_time"]
print(f"raw RS256 sign (same run, one core): {raw:.0f}/s")
print("| workload | c | tokens/s (wall) | server CPU | tokens per CPU-s | p50 us | p99 us | errors | of raw RS256 (CPU) | (wall) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, c, r in (("default session token", 1, runs[0]),
                   ("default session token", 16, runs[1]),
                   ("template, five shortcodes", 16, runs[2])):
    l = r["latency_us"]
    per_cpu = r["throughput"] / r["server_cpu"]
    print(f"| {name} | {c} | {r['throughput']:.0f} | {100 * r['server_cpu']:.0f}% | {per_cpu:.0f} | {l['p50']:.0f} | {l['p99']:.0f} | {r['errors']} | {100 * per_cpu / raw:.0f}% | {100 * r['throughput'] / raw:.0f}% |")
PY
