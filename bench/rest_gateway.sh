#!/usr/bin/env bash
# The REST gateway against gRPC on the same work, in one run (issue 4):
#   POST /iam/v1/tokens with wrk   vs   IamTokenService/Create with loadgen
#   GET /.well-known/jwks.json with wrk
# tokend on CPU 0, the load generator on CPU 1, -c opt. One RSA-2048
# authorized key and one PS256 JWT (tokend has no verification cache).
#
#   bench/rest_gateway.sh [seconds per run, default 10]
set -euo pipefail
secs=${1:-10}
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || die "wrk missing (tools/setup)"

bench_build //server:tokend //tools/loadgen //tools/tokenctl
bench_tmpdir
tokend_start
ctl() { "$bin/tools/tokenctl/tokenctl" --server="$grpc" --admin_key_file="$dir/admin.key" "$@"; }

sa=$(ctl sa create bench | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
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
cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jwt":"$jwt"}'
wrk.headers["Content-Type"] = "application/json"
LUA

iam_load() {  # concurrency
  grpc_load yandex.cloud.iam.v1.IamTokenService/Create "{\"jwt\":\"$jwt\"}" "$1"
}
g1=$(iam_load 1); g16=$(iam_load 16)
r1=$(wrk_load 1 /iam/v1/tokens "$dir/post.lua")
r16=$(wrk_load 16 /iam/v1/tokens "$dir/post.lua")
j16=$(wrk_load 16 /.well-known/jwks.json)
tokend_stop

/usr/bin/python3 - "$g1" "$g16" "$r1" "$r16" "$j16" <<'PY'
import json, sys
g1, g16, r1, r16, j16 = (json.loads(a) for a in sys.argv[1:6])
print("| workload | c | req/s | p50 us | p99 us | p99.9 us | errors | REST / gRPC |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
row = lambda name, c, r, tail="": print(
    f"| {name} | {c} | {r['throughput']:.0f} | {r['latency_us']['p50']:.0f} | {r['latency_us']['p99']:.0f} | "
    f"{r['latency_us']['p999']:.0f} | {r['errors']} | {tail} |")
for c, g, r in ((1, g1, r1), (16, g16, r16)):
    row("gRPC IamTokenService/Create (loadgen)", c, g)
    row("REST POST /iam/v1/tokens (wrk)", c, r, f"{100 * r['throughput'] / g['throughput']:.0f}%")
row("REST GET /.well-known/jwks.json (wrk)", 16, j16)
PY
