#!/usr/bin/env bash
# Issue 6 acceptance: the real @trycourier/courier package from npm against
# the real tokend over its REST gateway (POST /auth/issue-token), with Node's
# `jose` verifying the tokens against our JWKS. This driver starts tokend and
# creates a scoped API key (sck_…) and a sessions key (sk_, which must be
# refused) with the real tokenctl; courier_test.cjs does the rest.
set -euo pipefail

here="$TEST_SRCDIR/tokend/tests/interop"
source "$here/tokend_env.sh"
command -v node >/dev/null || fail "node missing"
[ -f "$here/node_modules/@trycourier/courier/package.json" ] ||
  fail "@trycourier/courier missing from tests/interop/node_modules (run tools/setup)"
data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/courier.XXXXXX")
start_tokend "$data"

key() {  # surface name -> secret
  "$tokenctl" --server="$grpc" --admin_key_file="$data/admin.key" apikey create "$1" "$2" |
    node -e 'let s = ""; process.stdin.on("data", (c) => s += c).on("end", () =>
      console.log(JSON.parse(s).secret));'
}
scoped=$(key scoped courier-test) || { log_tail; fail "tokenctl apikey create scoped"; }
sessions=$(key sessions courier-test-other) || fail "tokenctl apikey create sessions"
case "$scoped" in sck_*) ;; *) fail "scoped API key does not start with sck_" ;; esac

if ! NODE_PATH="$here/node_modules" node "$here/courier_test.cjs" "http://$http" \
    "$scoped" "$sessions"; then
  log_tail; exit 1
fi
# tokenctl scoped issue, with the admin key and with the scoped key's file.
printf '%s\n' "$scoped" >"$data/scoped.key"
for auth in "--admin_key_file=$data/admin.key" "--api_key_file=$data/scoped.key"; do
  out=$("$tokenctl" --server="$grpc" "$auth" scoped issue \
    --scope="user_id:ctl-user read:preferences" --expires_in="90") ||
    { log_tail; fail "tokenctl scoped issue ($auth): $out"; }
  printf '%s' "$out" | node -e '
    let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => {
      const p = JSON.parse(Buffer.from(JSON.parse(s).token.split(".")[1], "base64url"));
      if (p.sub !== "ctl-user" || p.scope !== "user_id:ctl-user read:preferences" ||
          p.exp - p.iat !== 90) { console.error(JSON.stringify(p)); process.exit(1); }
    });' || fail "tokenctl scoped issue ($auth): unexpected claims"
done
echo "ok: tokenctl scoped issue (admin key, --api_key_file)"
# No API key reaches the log.
! grep -q "$scoped" "$data/log" || fail "the log holds the API key"
stop
echo PASS
