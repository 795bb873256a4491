#!/usr/bin/env bash
# The REST gateway against gRPC on the same work, in one run (issue 4):
#   POST /iam/v1/tokens with wrk   vs   IamTokenService/Create with loadgen
#   GET /.well-known/jwks.json with wrk
# tokend on CPU 0, the load generator on CPU 1, -c opt. One RSA-2048
# authorized key and one PS256 JWT (tokend has no verification cache).
#
#   bench/rest_gateway.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "wrk missing (tools/setup)"; exit 1; }

bazel build -c opt //server:tokend //tools/loadgen //tools/tokenctl >&2
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

grpc_load() {  # concurrency
  taskset -c 1 "$bin/tools/loadgen/loadgen" --target="$grpc" \
    --method=yandex.cloud.iam.v1.IamTokenService/Create \
    --request="{\"jwt\":\"$jwt\"}" --concurrency="$1" \
    --channels=$(( $1 < 2 ? 1 : 2 )) --duration="${secs}s" --warmup=2s --json
}
wrk_load() {  # concurrency path [lua]
  taskset -c 1 wrk -t1 -c"$1" -d"${secs}s" --latency ${3:+-s "$3"} \
    "http://$http$2" 2>&1
}
g1=$(grpc_load 1); g16=$(grpc_load 16)
r1=$(wrk_load 1 /iam/v1/tokens "$dir/post.lua")
r16=$(wrk_load 16 /iam/v1/tokens "$dir/post.lua")
j16=$(wrk_load 16 /.well-known/jwks.json)
kill $pid; wait $pid || true; pid=

/usr/bin/python3 - "$g1" "$g16" "$r1" "$r16" "$j16" <<'PY'
import json, re, sys
g1, g16 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def wrk(text):
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def lat(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % p, text)
        v, u = float(m.group(1)), m.group(2)
        return v * {"us": 1, "ms": 1e3, "s": 1e6}[u]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m: errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m: errors += sum(int(x) for x in m.groups())
    return rate, lat(50), lat(99), errors
print("| workload | c | req/s | p50 us | p99 us | errors | REST / gRPC |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for c, g, r in ((1, g1, sys.argv[3]), (16, g16, sys.argv[4])):
    rate, p50, p99, err = wrk(r)
    print(f"| gRPC IamTokenService/Create (loadgen) | {c} | {g['throughput']:.0f} | {g['latency_us']['p50']:.0f} | {g['latency_us']['p99']:.0f} | {g['errors']} | |")
    print(f"| REST POST /iam/v1/tokens (wrk) | {c} | {rate:.0f} | {p50:.0f} | {p99:.0f} | {err} | {100 * rate / g['throughput']:.0f}% |")
rate, p50, p99, err = wrk(sys.argv[5])
print(f"| REST GET /.well-known/jwks.json (wrk) | 16 | {rate:.0f} | {p50:.0f} | {p99:.0f} | {err} | |")
PY
