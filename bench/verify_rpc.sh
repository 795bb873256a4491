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
  taskset -c 0 "$bin/server/tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 \
    --issuer=$issuer --ready_file="$dir/ready" --log_requests=false 2>"$dir/log" &
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
    --request="$2" --concurrency="$3" --channels=2 --duration="${secs}s" --warmup=2s --json
}
field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

empty16=$(load grpc.health.v1.Health/Check '{}' 16)
v1=$(load tokend.verify.v1.VerificationService/Verify "{\"token\":\"$token\",\"audience\":\"bench\"}" 1)
v16=$(load tokend.verify.v1.VerificationService/Verify "{\"token\":\"$token\",\"audience\":\"bench\"}" 16)
stop
raw=$(taskset -c 0 "$bin/bench/jose_benchmark" --benchmark_filter='verify/ES256/raw' \
  --benchmark_format=json 2>/dev/null |
  /usr/bin/python3 -c "import json,sys; b=json.load(sys.stdin)['benchmarks'][0]; print(1e9/b['real_time'] if b['time_unit']=='ns' else 1e6/b['real_time'])")

/usr/bin/python3 - "$empty16" "$v1" "$v16" "$raw" <<'PY'
import json, sys
empty, v1, v16, raw = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4])
e = empty["throughput"]
ceiling = 1 / (1 / raw + 1 / e)
print(f"raw ES256 verify (1 core):        {raw:10.0f}/s")
print(f"empty RPC Health/Check, c=16:     {e:10.0f}/s  p50 {empty['latency_us']['p50']:.0f} us")
print(f"ceiling 1/(1/raw + 1/empty):      {ceiling:10.0f}/s")
for name, r in (("Verify c=1 ", v1), ("Verify c=16", v16)):
    t, l = r["throughput"], r["latency_us"]
    print(f"{name}: {t:10.0f}/s = {100*t/ceiling:5.1f}% of ceiling; "
          f"p50 {l['p50']:.0f} us, p99 {l['p99']:.0f} us, p99.9 {l['p999']:.0f} us; "
          f"errors {r['errors']}")
PY
