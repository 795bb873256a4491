#!/usr/bin/env bash
# IamTokenService/Create(jwt) throughput with tools/loadgen, as a ratio to the
# raw work it must do (1 PS256 verify of the service-account JWT + 1 ES256
# sign of the IAM token) and to an empty RPC, all measured in this run.
# tokend is pinned to CPU 0, the load to CPU 1. One RSA-2048 authorized key;
# tokend has no verification cache, so a repeated JWT costs a full verify.
#
#   bench/iam_create.sh [seconds per run, default 10]
set -euo pipefail
secs=${1:-10}
source "$(dirname "$0")/lib.sh"

bench_build //server:tokend //tools/loadgen //tools/tokenctl //bench:jose_benchmark
bench_tmpdir
tokend_start
addr=$grpc
ctl() { "$bin/tools/tokenctl/tokenctl" --server="$addr" --admin_key_file="$dir/admin.key" "$@"; }

sa=$(ctl sa create bench | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("id") or d["service_account"]["id"])')
ctl key create --service_account_id="$sa" --out="$dir/key.json" >/dev/null
jwt=$(/usr/bin/python3 - "$dir/key.json" <<'PY'
import json, sys, time, jwt
key = json.load(open(sys.argv[1]))
now = int(time.time())
print(jwt.encode({"iss": key["service_account_id"], "aud": "https://iam.api.cloud.yandex.net/iam/v1/tokens",
                  "iat": now, "exp": now + 3600},
                 key["private_key"], algorithm="PS256", headers={"kid": key["id"], "typ": "JWT"}))
PY
)

load() { grpc_load "$@"; }
empty1=$(load grpc.health.v1.Health/Check '{}' 1)
empty16=$(load grpc.health.v1.Health/Check '{}' 16)
c1=$(load yandex.cloud.iam.v1.IamTokenService/Create "{\"jwt\":\"$jwt\"}" 1)
c16=$(load yandex.cloud.iam.v1.IamTokenService/Create "{\"jwt\":\"$jwt\"}" 16)
tokend_stop

taskset -c 0 "$bin/bench/jose_benchmark" --benchmark_filter='^(verify/PS256/raw|sign/ES256/raw)$' \
  --benchmark_out="$dir/raw.json" --benchmark_out_format=json >/dev/null 2>&1

/usr/bin/python3 - "$empty1" "$empty16" "$c1" "$c16" "$dir/raw.json" <<'PY'
import json, sys
e1, e16, c1, c16 = (json.loads(a) for a in sys.argv[1:5])
unit = {"ns": 1e9, "us": 1e6, "ms": 1e3}
rates = {b["name"]: unit[b["time_unit"]] / b["cpu_time"] for b in json.load(open(sys.argv[5]))["benchmarks"]}
verify, sign = rates["verify/PS256/raw"], rates["sign/ES256/raw"]
crypto = 1 / (1 / verify + 1 / sign)
print(f"raw PS256 verify {verify:.0f}/s, raw ES256 sign {sign:.0f}/s -> crypto bound {crypto:.0f}/s (1 core)")
print("| workload | c | calls/s | p50 us | p99 us | p99.9 us | errors | empty RPC/s (same c) | ceiling/s | ratio |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, c, r, e in (("Health/Check (empty)", 1, e1, None), ("Health/Check (empty)", 16, e16, None),
                      ("IamTokenService/Create(jwt)", 1, c1, e1), ("IamTokenService/Create(jwt)", 16, c16, e16)):
    t, l = r["throughput"], r["latency_us"]
    tail = "| — | — | — |"
    if e is not None:
        ceiling = 1 / (1 / crypto + 1 / e["throughput"])
        tail = f"| {e['throughput']:.0f} | {ceiling:.0f} | {100 * t / ceiling:.0f}% |"
    print(f"| {name} | {c} | {t:.0f} | {l['p50']:.0f} | {l['p99']:.0f} | {l['p999']:.0f} | {r['errors']} {tail}")
PY
