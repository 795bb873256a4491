#!/usr/bin/env bash
# loadgen --iam_key_file against the real tokend (issue 7): calls that need
# an IAM token (CreateForServiceAccount) succeed, and tokend's /metrics shows
# one IamTokenService/Create for the whole run, not one per call. Plus the
# setup errors: an unusable key file, and --metadata that sets authorization.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"

tokend="$TEST_SRCDIR/tokend/server/tokend"
tokenctl="$TEST_SRCDIR/tokend/tools/tokenctl/tokenctl"
loadgen="$TEST_SRCDIR/tokend/tools/loadgen/loadgen"
python=/usr/bin/python3

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/loadgen_iam.XXXXXX")
"$tokend" --data_dir="$dir/data" --grpc_listen=127.0.0.1:0 \
  --http_listen=127.0.0.1:0 --ready_file="$dir/ready" --log_requests=false --drain_delay=0s \
  2>"$dir/tokend.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
wait_until $pid test -s "$dir/ready" || { cat "$dir/tokend.log"; echo "FAIL: tokend not ready"; exit 1; }
addr=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
http=$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")

fail() { echo "FAIL: $*"; exit 1; }
ctl() {
  "$tokenctl" --server="$addr" --admin_key_file="$dir/data/admin.key" "$@"
}
py() { "$python" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# creates METHOD: IamTokenService/METHOD calls counted by tokend, all codes.
creates() {
  curl -s --noproxy '*' "http://$http/metrics" |
    awk -v m="/yandex.cloud.iam.v1.IamTokenService/$1\"" \
      'index($0, "tokend_requests_total{method=\"" m) == 1 { n += $2 } END { print n + 0 }'
}

caller=$(ctl sa create loadgen-caller | py 'd["id"]')
target=$(ctl sa create loadgen-target | py 'd["id"]')
ctl sa set-token-creators "$target" "$caller" >/dev/null
ctl key create --service_account_id="$caller" --out="$dir/key.json" >/dev/null
[ "$(creates Create)" = 0 ] || fail "Create calls before the run: $(creates Create)"

out=$("$loadgen" --target="$addr" \
  --method=yandex.cloud.iam.v1.IamTokenService/CreateForServiceAccount \
  --request="{\"service_account_id\": \"$target\"}" --iam_key_file="$dir/key.json" \
  --concurrency=4 --warmup=0s --count=50 --json)
[ "$(py 'd["ok"]' <<<"$out")" = 50 ] || fail "want 50 OK calls: $out"
[ "$(py 'd["descriptor_source"]' <<<"$out")" = binary ] || fail "request type not linked: $out"
[ "$(creates Create)" = 1 ] || fail "want 1 IamTokenService/Create, got $(creates Create)"
[ "$(creates CreateForServiceAccount)" = 50 ] || fail "CreateForServiceAccount: $(creates CreateForServiceAccount)"
echo "ok: 50 calls with --iam_key_file, 1 IamTokenService/Create"

# Without the credentials the same calls are refused.
out=$("$loadgen" --target="$addr" \
  --method=yandex.cloud.iam.v1.IamTokenService/CreateForServiceAccount \
  --request="{\"service_account_id\": \"$target\"}" --warmup=0s --count=5 --json)
[ "$(py 'd["errors_by_code"].get("UNAUTHENTICATED")' <<<"$out")" = 5 ] ||
  fail "without --iam_key_file: $out"
echo "ok: without --iam_key_file the calls are UNAUTHENTICATED"

# An unusable key file is a setup error (exit 1) naming the flag.
echo '{}' >"$dir/bad.json"
set +e
err=$("$loadgen" --target="$addr" --method=grpc.health.v1.Health/Check \
  --iam_key_file="$dir/bad.json" --count=1 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad key file: exit $rc: $err"
grep -q -- "--iam_key_file: $dir/bad.json: key file: no id" <<<"$err" || fail "bad key file: $err"
# A deleted key: the first token cannot be had.
key_id=$(py 'd["id"]' <"$dir/key.json")
ctl key delete "$key_id" >/dev/null
set +e
err=$("$loadgen" --target="$addr" --method=grpc.health.v1.Health/Check \
  --iam_key_file="$dir/key.json" --count=1 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "deleted key: exit $rc: $err"
grep -q "UNAUTHENTICATED: --iam_key_file: no IAM token: authorized key '$key_id' has been deleted" <<<"$err" ||
  fail "deleted key: $err"
echo "ok: unusable key files are setup errors: $err"

# Two sources of authorization: a usage error (exit 2).
set +e
err=$("$loadgen" --target="$addr" --method=grpc.health.v1.Health/Check \
  --iam_key_file="$dir/key.json" --metadata='authorization: Bearer x' --count=1 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "--iam_key_file with authorization metadata: exit $rc: $err"
grep -q "drop it from --metadata" <<<"$err" || fail "conflict: $err"
echo "ok: --iam_key_file excludes an authorization --metadata entry"
