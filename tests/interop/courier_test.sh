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

# Courier's documented curl commands, verbatim but for the host, the key and
# the placeholders ($YOUR_USER_ID, $YOUR_NUMBER) their single quotes keep:
# courier.com/docs/platform/create/authentication (both),
# courier.com/docs/platform/inbox/authentication, and the issue-token
# reference (its `"scope": "read:preferences"` example; its older page's
# read:messages example).
documented() {  # name, JSON body -> the token's claims on stdout
  local out
  out=$(curl -sS --request POST \
    --url "http://$http/auth/issue-token" \
    --header 'Accept: application/json' \
    --header "Authorization: Bearer $scoped" \
    --header 'Content-Type: application/json' \
    --data "$2") || fail "$1: curl"
  printf '%s' "$out" | node -e '
    let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => {
      const j = JSON.parse(s);
      if (!j.token) { console.error(s); process.exit(1); }
      console.log(Buffer.from(j.token.split(".")[1], "base64url").toString());
    });' || fail "$1: no token: $out"
}
claims=$(documented "Create (tenants)" '{
    "scope": "user_id:u-1 tenants:read tenants:notifications:read tenants:notifications:write",
    "expires_in": "30 days"
  }')
case "$claims" in *'"scope":"user_id:u-1 tenants:notifications:read tenants:notifications:write tenants:read"'*) ;;
  *) fail "Create (tenants): $claims" ;; esac
case "$claims" in *'"sub":"u-1"'*) ;; *) fail "Create (tenants): sub: $claims" ;; esac
documented "Create (one tenant)" '{
    "scope": "user_id:u-1 tenant:tenant-123:read tenant:tenant-123:notification:read tenant:tenant-123:notification:write",
    "expires_in": "30 days"
  }' >/dev/null
documented "Inbox" '{
    "scope": "user_id:auth0|42 write:user-tokens inbox:read:messages inbox:write:events read:preferences write:preferences read:brands",
    "expires_in": "7 days"
  }' | grep -q '"sub":"auth0|42"' || fail "Inbox: sub"
claims=$(documented "issue-token reference" '{"scope": "read:preferences", "expires_in": "2 days"}')
case "$claims" in *'"scope":"read:preferences"'*) ;; *) fail "reference: $claims" ;; esac
case "$claims" in *'"sub"'*) fail "reference: a sub without a user_id: $claims" ;; esac
documented "older reference" '
{
"scope": "user_id:user_id_you_want_to_create_scope_for read:messages",
"expires_in": "2 days"
}
' >/dev/null
code=$(curl -sS -o "$data/err" -w '%{http_code}' --request POST \
  --url "http://$http/auth/issue-token" --header "Authorization: Bearer $scoped" \
  --header 'Content-Type: application/json' \
  --data '{"scope": "read:messages", "expires_in": "1h"}')
[ "$code" = 400 ] && grep -q 'needs a user_id' "$data/err" ||
  fail "read:messages without a user: HTTP $code $(cat "$data/err")"
echo "ok: Courier's documented curl commands"
# No API key reaches the log.
! grep -q "$scoped" "$data/log" || fail "the log holds the API key"
stop
echo PASS
