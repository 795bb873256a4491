# Shared by the bench/ scripts: build, start tokend on CPU 0, drive load from
# CPU 1 with tools/loadgen (gRPC) or wrk (REST), and measure tokend's own CPU
# time over each run (utime + stime from /proc/<pid>/stat).
#
#   source "$(dirname "$0")/lib.sh"     (after set -euo pipefail; cds to the repo)
#   bench_build //server:tokend ...     builds -c opt with ${BAZEL:-bazel}, sets $bin
#   bench_tmpdir                        sets $dir (removed on exit, tokend killed)
#   tokend_start [flags...]             starts tokend on $dir, sets $pid $grpc $http
#                                       (TOKEND_BIN: another tokend binary;
#                                       MINT_TOKEN_BIN: its mint_token, which
#                                       opens, so migrates, the same data dir)
#   tokend_stop                         (also stops a probe)
#   workloads_setup                     bench/e2e's W0-W8 on a fresh $dir (see below)
#   probe_start [flags...]              starts //bench:server_model_probe instead
#                                       (PROBE_WRAPPER: as TOKEND_WRAPPER)
#   grpc_load METHOD REQUEST CONCURRENCY [METADATA]   -> loadgen JSON + "server_cpu"
#   wrk_load CONCURRENCY PATH [LUA]     -> one JSON line, loadgen-like + "server_cpu"
#
# Set `secs` (seconds per run) before calling the load functions.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel_cmd=${BAZEL:-bazel}
pid=
dir=

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

bench_build() {
  $bazel_cmd build -c opt "$@" >&2 || die "build failed"
  bin=$($bazel_cmd info -c opt bazel-bin 2>/dev/null) || die "bazel info failed"
}

bench_cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "${dir:-}" ]; then rm -rf "$dir"; fi
}

bench_tmpdir() {
  dir=$(mktemp -d)
  trap bench_cleanup EXIT
}

# Starts tokend pinned to CPU 0 on $dir; extra flags are passed through.
# Sets pid, grpc, http, and start_ns (date +%s%N just before exec).
tokend_start() {
  rm -f "$dir/ready"
  # No drain delay on stop; another binary (an older build) may lack the flag.
  local drain_flag=--drain_delay=0s
  [ -z "${TOKEND_BIN:-}" ] || drain_flag=
  # Load comes from one address: the limiter runs (its cost is measured)
  # but never refuses. Builds from before issue 18 lack the flag.
  local limit_flag=--rate_limits=all=1000000/1s help
  # (--helpfull exits 1, hence no pipe under pipefail.)
  help=$("${TOKEND_BIN:-$bin/server/tokend}" --helpfull 2>&1 || true)
  [[ "$help" == *-rate_limits* ]] || limit_flag=
  start_ns=$(date +%s%N)
  # TOKEND_WRAPPER: e.g. valgrind (bench/ir_per_call.sh), which starts slowly.
  # shellcheck disable=SC2086  # the wrapper is a command line
  taskset -c 0 ${TOKEND_WRAPPER:-} "${TOKEND_BIN:-$bin/server/tokend}" --data_dir="$dir" \
    --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --ready_file="$dir/ready" \
    --log_requests=false $drain_flag $limit_flag "$@" 2>>"$dir/log" &
  pid=$!
  local i tries=2000  # 5 ms apart: 10 s, or 5 min under a wrapper
  [ -z "${TOKEND_WRAPPER:-}" ] || tries=60000
  for i in $(seq $tries); do
    [ -s "$dir/ready" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; pid=; die "tokend exited during start-up"; }
    sleep 0.005
  done
  [ -s "$dir/ready" ] || { cat "$dir/log" >&2; die "tokend not ready after $((tries / 200)) s"; }
  grpc=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
  http=$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")
}

# The bare gRPC server with a workload's raw crypto (bench/server_model_probe.cc)
# on CPU 0, in place of tokend; sets pid and grpc.
probe_start() {
  rm -f "$dir/probe.ready"
  # shellcheck disable=SC2086  # the wrapper is a command line
  taskset -c 0 ${PROBE_WRAPPER:-} "$bin/bench/server_model_probe" --ready_file="$dir/probe.ready" \
    "$@" 2>>"$dir/probe.log" &
  pid=$!
  local i tries=1000  # 10 ms apart: 10 s, or 10 min under a wrapper
  [ -z "${PROBE_WRAPPER:-}" ] || tries=60000
  for i in $(seq $tries); do
    [ -s "$dir/probe.ready" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/probe.log" >&2; pid=; die "probe exited during start-up"; }
    sleep 0.01
  done
  [ -s "$dir/probe.ready" ] || die "probe not ready after $((tries / 100)) s"
  grpc=127.0.0.1:$(cat "$dir/probe.ready")
}

tokend_stop() {
  [ -n "$pid" ] || return 0
  kill "$pid"; wait "$pid" || true; pid=
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# tokend's share of one CPU between two (ticks, time) samples.
cpu_share() {  # c0 t0 -> share
  awk -v c0="$1" -v c1="$(cpu_ticks)" -v t0="$2" -v t1="$(date +%s.%N)" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", (c1 - c0) / hz / (t1 - t0) }'
}

# With a rate (calls/s): open loop at that rate, the concurrency only a cap
# on calls outstanding (tools/loadgen/open_loop.h).
grpc_load() {  # method request concurrency [metadata] [rate] -> loadgen's JSON plus "server_cpu"
  local t0 c0 out
  t0=$(date +%s.%N); c0=$(cpu_ticks)
  out=$(taskset -c 1 "$bin/tools/loadgen/loadgen" --target="$grpc" --method="$1" \
    --request="$2" --metadata="${4:-}" --concurrency="$3" ${5:+--rate="$5"} \
    --channels=$(( $3 < 2 ? 1 : 2 )) --duration="${secs}s" --warmup=2s --json) \
    || die "loadgen failed: $1 c=$3${5:+ rate=$5}"
  # The server's share of one CPU over warm-up and run alike (same load).
  printf '%s' "${out%\}},\"server_cpu\":$(cpu_share "$c0" "$t0")}"
}

# wrk reports through a done() hook appended to the request script: requests,
# errors, and latency percentiles (us) including p99.9, which --latency's
# table lacks. A 2 s wrk run at the same concurrency warms up first.
wrk_load() {  # concurrency path [lua] -> JSON line with loadgen's field names
  local script="$dir/wrk.$$.lua" t0 c0 out
  { [ -n "${3:-}" ] && cat "$3"; cat <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"calls":%d,"elapsed_s":%.6f,"errors":%d,"status_errors":%d,"throughput":%.3f,' ..
    '"latency_us":{"mean":%.1f,"p50":%.1f,"p99":%.1f,"p999":%.1f,"max":%.1f}}\n',
    summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout + e.status, e.status,
    summary.requests / (summary.duration / 1e6),
    latency.mean, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
LUA
  } >"$script"
  taskset -c 1 wrk -t1 -c"$1" -d2s -s "$script" "http://$http$2" >/dev/null 2>&1 \
    || die "wrk warm-up failed: $2 c=$1"
  t0=$(date +%s.%N); c0=$(cpu_ticks)
  out=$(taskset -c 1 wrk -t1 -c"$1" -d"${secs}s" --latency -s "$script" "http://$http$2" 2>&1) \
    || die "wrk failed: $2 c=$1"
  local share; share=$(cpu_share "$c0" "$t0")
  out=$(printf '%s\n' "$out" | grep '^{"calls"' | tail -n1)
  [ -n "$out" ] || die "wrk printed no summary: $2 c=$1"
  printf '%s' "${out%\}},\"server_cpu\":$share}"
}

vm_kib() {  # field (VmRSS, VmHWM) of tokend -> KiB
  awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status"
}

# bench/e2e's workloads, set up on a fresh $dir (tokend started, loaded with a
# service account and key, an OAuth token, a user, session and template, and
# a scoped API key, then stopped). Needs $bin with //tools/tokenctl and
# //bench:mint_token, and PyJWT. Defines, by workload id:
#   wl_method wl_request wl_metadata   for the gRPC ones (W0-W6)
#   wl_path                            for the REST ones (W7 with $dir/post.lua, W8)
# and sets issuer (pass --issuer=$issuer to tokend_start).
# W1/W7 send one PS256 JWT for the whole run: tokend caches keys and accounts
# but not verification results, so every request pays a full RSA-2048 verify.
workloads_setup() {
  local py=/usr/bin/python3 admin sa jwt oauth user session apikey vtoken
  issuer=http://bench.invalid
  tokend_start --issuer=$issuer
  admin="authorization: Bearer $(cat "$dir/admin.key")"
  ctl() { "$bin/tools/tokenctl/tokenctl" --server="$grpc" --admin_key_file="$dir/admin.key" "$@"; }
  post() { curl -fsS -X POST "http://$http$1" -H "$admin" -H 'Content-Type: application/json' -d "$2"; }
  field() { $py -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

  sa=$(ctl sa create bench | field 'd.get("id") or d["service_account"]["id"]')
  ctl key create --service_account_id="$sa" --out="$dir/key.json" >/dev/null
  [ -s "$dir/key.json" ] || die "no key file"
  jwt=$($py - "$dir/key.json" <<'PY'
import json, sys, time, jwt
key = json.load(open(sys.argv[1]))
now = int(time.time())
print(jwt.encode({"iss": key["service_account_id"], "aud": "https://iam.api.cloud.yandex.net/iam/v1/tokens",
                  "iat": now, "exp": now + 3600},
                 key["private_key"], algorithm="PS256", headers={"kid": key["id"], "typ": "JWT"}))
PY
)
  oauth=$(ctl oauth create bench-user bench | field 'd["token"]')
  user=$(post /v1/users '{"first_name":"Ada","last_name":"Lovelace","email_address":["ada@example.com"],"public_metadata":{"role":"admin","org":{"id":"o1"}}}' | field 'd["id"]')
  session=$(post /v1/sessions "{\"user_id\":\"$user\"}" | field 'd["id"]')
  post /v1/jwt_templates '{"name":"five","claims":{"email":"{{user.primary_email_address}}","name":"{{user.full_name}}","role":"{{user.public_metadata.role}}","org":"{{user.public_metadata.org.id}}","sid":"{{session.id}}"}}' >/dev/null
  apikey=$(ctl apikey create scoped bench | field 'd["secret"]')
  # The REST exchange must work before it is loaded.
  curl -fsS -X POST "http://$http/iam/v1/tokens" -H 'Content-Type: application/json' \
    -d "{\"jwt\":\"$jwt\"}" | field 'd["iamToken"] if "iamToken" in d else d["iam_token"]' >/dev/null \
    || die "REST POST /iam/v1/tokens failed"
  tokend_stop
  # Verify's token: the "iam" slot's active key (ES256), minted offline.
  vtoken=$("${MINT_TOKEN_BIN:-$bin/bench/mint_token}" --data_dir="$dir" --slot=iam \
    --issuer=$issuer --audience=bench)
  [ -n "$vtoken" ] || die "mint_token printed nothing"

  local iam=yandex.cloud.iam.v1.IamTokenService/Create
  local ses=tokend.sessions.v1.SessionTokenService
  declare -gA wl_method wl_request wl_metadata wl_path
  wl_method[W0]=grpc.health.v1.Health/Check; wl_request[W0]='{}'
  wl_method[W1]=$iam; wl_request[W1]="{\"jwt\":\"$jwt\"}"
  wl_method[W2]=$iam; wl_request[W2]="{\"yandex_passport_oauth_token\":\"$oauth\"}"
  wl_method[W3]=$ses/CreateSessionToken; wl_request[W3]="{\"session_id\":\"$session\"}"
  wl_metadata[W3]=$admin
  wl_method[W4]=$ses/CreateSessionTokenFromTemplate
  wl_request[W4]="{\"session_id\":\"$session\",\"template_name\":\"five\"}"
  wl_metadata[W4]=$admin
  wl_method[W5]=tokend.scoped.v1.ScopedTokenService/IssueToken
  wl_request[W5]='{"scope":"user_id:u1 inbox:read:messages inbox:write:events read:brands:b1","expires_in":"2 hours"}'
  wl_metadata[W5]="authorization: Bearer $apikey"
  wl_method[W6]=tokend.verify.v1.VerificationService/Verify
  wl_request[W6]="{\"token\":\"$vtoken\",\"audience\":\"bench\"}"
  wl_path[W7]=/iam/v1/tokens
  wl_path[W8]=/.well-known/jwks.json
  cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jwt":"$jwt"}'
wrk.headers["Content-Type"] = "application/json"
LUA
}
