#!/usr/bin/env bash
# Verify RPC throughput with tools/loadgen, as ratios to what the same run
# measures of an empty RPC (grpc.health.v1.Health/Check) and of the raw ES256
# verify primitive. tokend is pinned to CPU 0, the load to CPU 1.
#
#   bench/verify_rpc.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}

bazel build -c opt //server:tokend //tools/loadgen //bench:mint_token //bench:jose_benchmark >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
issuer=http://bench.invalid

start() {
  taskset -c 0 "$bin/server/tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
    --issuer=$issuer --ready_file="$dir/ready" --log_requests=false --drain_delay=0s \
    --rate_limits=all=1000000/1s 2>"$dir/log" &
  pid=$!
  for _ in $(seq 200); do [ -s "$dir/ready" ] && break; sleep 0.05; done
  addr=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
}
stop() { kill "$pid"; wait "$pid" || true; rm -f "$dir/ready"; }

start; stop   # initialise the data dir (keys), then mint offline
token=$("$bin/bench/mint_token" --data_dir="$dir" --slot=iam --issuer=$issuer --audience=bench)
start

load() {  # method request concurrency
  taskset -c 1 "$bin/tools/loadgen/loadgen" --target="$addr" --method="$1" \
    --request="$2" --concurrency="$3" --channels=$(( $3 < 2 ? 1 : 2 )) --duration="${secs}s" --warmup=2s --json
}
field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

empty1=$(load grpc.health.v1.Health/Check '{}' 1)
empty16=$(load grpc.health.v1.Health/Check '{}' 16)
v1=$(load tokend.verify.v1.VerificationService/Verify "{\"token\":\"$token\",\"audience\":\"bench\"}" 1)
v16=$(load tokend.verify.v1.VerificationService/Verify "{\"token\":\"$token\",\"audience\":\"bench\"}" 16)
stop
taskset -c 0 "$bin/bench/jose_benchmark" --benchmark_filter='^verify/ES256/raw$' \
  --benchmark_out="$dir/raw.json" --benchmark_out_format=json >/dev/null 2>&1
raw=$(/usr/bin/python3 -c "import json; b=json.load(open('$dir/raw.json'))['benchmarks'][0]; print({'ns':1e9,'us':1e6,'ms':1e3}[b['time_unit']]/b['cpu_time'])")

/usr/bin/python3 - "$empty1" "$empty16" "$v1" "$v16" "$raw" <<'PY'
import json, sys
e1, e16, v1, v16 = (json.loads(a) for a in sys.argv[1:5])
raw = float(sys.argv[5])
print(f"raw ES256 verify (1 core): {raw:8.0f}/s")
print("| workload | c | calls/s | p50 us | p99 us | p99.9 us | errors | empty RPC/s (same c) | ceiling/s | ratio |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, c, r, e in (("Health/Check (empty)", 1, e1, None), ("Health/Check (empty)", 16, e16, None),
                      ("Verify", 1, v1, e1), ("Verify", 16, v16, e16)):
    t, l = r["throughput"], r["latency_us"]
    if e is None:
        tail = "| — | — | — |"
    else:
        ceiling = 1 / (1 / raw + 1 / e["throughput"])
        tail = f"| {e['throughput']:.0f} | {ceiling:.0f} | {100 * t / ceiling:.0f}% |"
    print(f"| {name} | {c} | {t:.0f} | {l['p50']:.0f} | {l['p99']:.0f} | {l['p999']:.0f} | {r['errors']} {tail}")
PY
