#!/usr/bin/env bash
# Issue 18: @clerk/backend and @trycourier/courier against tokend with low
# rate limits: each SDK surfaces its own rate-limit error
# (rate_limit_sdk_test.cjs). Keys come from the real tokenctl.
set -euo pipefail

here="$TEST_SRCDIR/tokend/tests/interop"
source "$here/tokend_env.sh"
command -v node >/dev/null || fail "node missing"
data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/rate_limit_sdk.XXXXXX")
start_tokend "$data" --rate_limits=clerk_backend=3/1m,courier=3/1m

key() {  # surface name -> secret
  "$tokenctl" --server="$grpc" --admin_key_file="$data/admin.key" apikey create "$1" "$2" |
    node -e 'let s = ""; process.stdin.on("data", (c) => s += c).on("end", () =>
      console.log(JSON.parse(s).secret));'
}
sessions=$(key sessions rate-limit-a) || { log_tail; fail "tokenctl apikey create"; }
other=$(key sessions rate-limit-b) || fail "tokenctl apikey create"
scoped=$(key scoped rate-limit-c) || fail "tokenctl apikey create"

if ! NODE_PATH="$here/node_modules" node "$here/rate_limit_sdk_test.cjs" \
    "http://$http" "$sessions" "$other" "$scoped"; then
  log_tail; exit 1
fi
stop
