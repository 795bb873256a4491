#!/usr/bin/env bash
# The real tokenctl against the real tokend (DESIGN.md §2.5a, §2.6): admin
# commands with the data dir's admin key and with a wrong one, key rotation,
# the JWKS, API keys (secret shown once, never listed), local decode, verify,
# and usage errors.
set -euo pipefail

tokend="$TEST_SRCDIR/tokend/server/tokend"
tokenctl="$TEST_SRCDIR/tokend/tools/tokenctl/tokenctl"
python=/usr/bin/python3  # Debian's interpreter (TOOLCHAIN.md); stdlib only.

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/tokenctl.XXXXXX")
"$tokend" --data_dir="$dir/data" --grpc_listen=127.0.0.1:0 \
  --ready_file="$dir/ready" 2>"$dir/tokend.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do [ -s "$dir/ready" ] && break; sleep 0.05; done
[ -s "$dir/ready" ] || { cat "$dir/tokend.log"; echo "FAIL: tokend not ready"; exit 1; }
addr=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")

fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

# ctl ARGS...: runs tokenctl against this tokend with the data dir's admin
# key; stdout to $out, stderr to $err, exit status to $rc. Never aborts.
ctl() {
  set +e
  "$tokenctl" --server="$addr" --admin_key_file="$dir/data/admin.key" "$@" \
    >"$dir/out" 2>"$dir/err"
  rc=$?
  set -e
  out=$(cat "$dir/out")
  err=$(cat "$dir/err")
}
# ctl_ok ARGS...: as ctl, and the command must succeed.
ctl_ok() {
  ctl "$@"
  [ "$rc" -eq 0 ] || fail "tokenctl $* exited $rc: $err"
}
# py EXPR: evaluates EXPR with `d` bound to the JSON on stdin.
py() { "$python" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- the admin key tokend wrote on first start ---------------------------
[ "$(stat -c %a "$dir/data/admin.key")" = 600 ] ||
  fail "admin.key mode is $(stat -c %a "$dir/data/admin.key"), want 600"

# --- keys list: one active key per default slot --------------------------
ctl_ok keys list
[ "$(py 'len(d["keys"])' <<<"$out")" = 3 ] || fail "keys list: want 3 keys: $out"
[ "$(py '" ".join(sorted(k["slot"] for k in d["keys"]))' <<<"$out")" = \
  "iam scoped session" ] || fail "keys list: slots: $out"
[ "$(py '" ".join(sorted(set(k["state"] for k in d["keys"])))' <<<"$out")" = \
  ACTIVE ] || fail "keys list: all keys should be ACTIVE: $out"
active_kids=$(py '" ".join(sorted(k["kid"] for k in d["keys"]))' <<<"$out")
pass "keys list shows 3 active keys"

# --- wrong or missing admin credentials ----------------------------------
printf 'tka_definitely-not-the-admin-key\n' >"$dir/wrong.key"
chmod 600 "$dir/wrong.key"
set +e
"$tokenctl" --server="$addr" --admin_key_file="$dir/wrong.key" keys list \
  >"$dir/out" 2>"$dir/err"
rc=$?
set -e
err=$(cat "$dir/err")
[ "$rc" -ne 0 ] || fail "keys list with a wrong admin key succeeded: $(cat "$dir/out")"
[ ! -s "$dir/out" ] || fail "keys list with a wrong admin key printed: $(cat "$dir/out")"
grep -q 'UNAUTHENTICATED' <<<"$err" || fail "wrong admin key: want UNAUTHENTICATED: $err"
grep -qE '(^|[^0-9])16([^0-9]|$)' <<<"$err" && fail "prints the numeric code: $err"
grep -q 'definitely-not' <<<"$err" && fail "echoes the credential: $err"
pass "wrong admin key: $err"

set +e
"$tokenctl" --server="$addr" --admin_key_file="$dir/no-such.key" keys list \
  >"$dir/out" 2>"$dir/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "keys list without an admin key file succeeded"
grep -q 'admin_key_file' "$dir/err" || fail "missing key file: $(cat "$dir/err")"
pass "missing admin key file: $(cat "$dir/err")"

# --- keys rotate, then keys list shows the NEXT keys ---------------------
ctl_ok keys rotate
ctl_ok keys list
[ "$(py 'len(d["keys"])' <<<"$out")" = 6 ] || fail "after rotate: want 6 keys: $out"
[ "$(py '" ".join(sorted(k["slot"] for k in d["keys"] if k["state"] == "NEXT"))' <<<"$out")" = \
  "iam scoped session" ] || fail "after rotate: want one NEXT key per slot: $out"
[ "$(py '" ".join(sorted(k["kid"] for k in d["keys"] if k["state"] == "ACTIVE"))' <<<"$out")" = \
  "$active_kids" ] || fail "after rotate: the active keys changed: $out"
all_kids=$(py '" ".join(sorted(k["kid"] for k in d["keys"]))' <<<"$out")
pass "keys rotate prepared one NEXT key per slot"

# --- jwks: public, and publishes the next keys too -----------------------
set +e
"$tokenctl" --server="$addr" --admin_key_file="$dir/no-such.key" jwks \
  >"$dir/out" 2>"$dir/err"
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "jwks needs no admin key, exited $rc: $(cat "$dir/err")"
out=$(cat "$dir/out")
[ "$(py '" ".join(sorted(k["kid"] for k in d["keys"]))' <<<"$out")" = "$all_kids" ] ||
  fail "jwks: want kids $all_kids: $out"
[ "$(py '" ".join(sorted(set(k["use"] for k in d["keys"])))' <<<"$out")" = sig ] ||
  fail "jwks: use: $out"
pass "jwks lists the active and next keys"

# --- API keys --------------------------------------------------------------
ctl_ok apikey create scoped ci
secret=$(py 'd["secret"]' <<<"$out")
id=$(py 'd["api_key"]["id"]' <<<"$out")
[[ "$secret" == sck_* ]] || fail "apikey create scoped: secret $secret"
[ "${#secret}" -ge 40 ] || fail "apikey create: secret too short: $secret"
[ "$(py 'd["api_key"]["surface"]' <<<"$out")" = scoped ] || fail "surface: $out"
[ "$(py 'd["api_key"]["name"]' <<<"$out")" = ci ] || fail "name: $out"
[ -n "$id" ] || fail "apikey create: no id: $out"
pass "apikey create scoped ci → ${secret:0:8}…"

ctl_ok apikey list
grep -qF "$secret" <<<"$out" && fail "apikey list shows the secret: $out"
grep -qF "${secret:8:16}" <<<"$out" && fail "apikey list shows part of the secret: $out"
[ "$(py '[k["id"] for k in d["api_keys"]] == ["'"$id"'"]' <<<"$out")" = True ] ||
  fail "apikey list: want exactly $id: $out"
[ "$(py 'd["api_keys"][0]["display_prefix"]' <<<"$out")" = "${secret:0:8}" ] ||
  fail "apikey list: display_prefix: $out"
[ "$(py '"revoked_at" in d["api_keys"][0]' <<<"$out")" = False ] ||
  fail "apikey list: new key already revoked: $out"
pass "apikey list shows the key, not its secret"

ctl apikey create admin root
[ "$rc" -ne 0 ] || fail "apikey create admin succeeded: $out"
grep -q INVALID_ARGUMENT <<<"$err" || fail "apikey create admin: $err"
pass "apikey create admin refused: $err"

ctl_ok apikey revoke "$id"
[ "$(py 'd["id"]' <<<"$out")" = "$id" ] || fail "apikey revoke: $out"
[ "$(py '"revoked_at" in d' <<<"$out")" = True ] || fail "apikey revoke: no revoked_at: $out"
ctl_ok apikey list scoped
[ "$(py '[k["id"] for k in d["api_keys"] if "revoked_at" in k] == ["'"$id"'"]' <<<"$out")" = True ] ||
  fail "apikey list after revoke: want $id listed as revoked: $out"
ctl apikey revoke ak_no-such-key
[ "$rc" -ne 0 ] || fail "revoking an unknown id succeeded: $out"
grep -q NOT_FOUND <<<"$err" || fail "revoke unknown: $err"
pass "apikey revoke"

# --- decode: local, unverified -------------------------------------------
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
header='{"alg":"ES256","typ":"JWT","kid":"hand-made-kid"}'
claims='{"iss":"https://tokend.test","sub":"alice","aud":"svc","exp":4102444800}'
token="$(printf %s "$header" | b64url).$(printf %s "$claims" | b64url).$(printf 'not a signature' | b64url)"
# No server needed: point it at a port nothing listens on.
set +e
"$tokenctl" --server=127.0.0.1:1 decode "$token" >"$dir/out" 2>"$dir/err"
rc=$?
set -e
out=$(cat "$dir/out")
[ "$rc" -eq 0 ] || fail "decode exited $rc: $(cat "$dir/err")"
grep -q 'NOT VERIFIED' <<<"$out" || fail "decode: no NOT VERIFIED label: $out"
grep -qF "$header" <<<"$out" || fail "decode: header missing: $out"
grep -qF '"sub":"alice"' <<<"$out" || fail "decode: claims missing: $out"
grep -qF '"exp":4102444800' <<<"$out" || fail "decode: claims missing: $out"
pass "decode prints header and claims, labelled NOT VERIFIED"

for bad in "a.b" "not-a-token" "!!!.???.***"; do
  set +e
  "$tokenctl" --server=127.0.0.1:1 decode "$bad" >/dev/null 2>&1
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "decode $bad succeeded"
done
pass "decode rejects non-JWS input"

# --- verify -------------------------------------------------------------
ctl verify garbage
[ "$rc" -ne 0 ] || fail "verify garbage succeeded: $out"
grep -qE 'tokenctl: (INVALID_ARGUMENT|UNAUTHENTICATED): ' <<<"$err" ||
  fail "verify garbage: $err"
pass "verify garbage: $err"

# The hand-made token decodes, but is not one of tokend's.
ctl verify "$token"
[ "$rc" -ne 0 ] || fail "verify of a forged token succeeded: $out"
grep -qE 'tokenctl: (INVALID_ARGUMENT|UNAUTHENTICATED): ' <<<"$err" ||
  fail "verify forged: $err"
pass "verify forged token: $err"

# --- usage --------------------------------------------------------------
for args in "" "frobnicate" "keys" "keys delete" "apikey" "apikey revoke" "decode"; do
  # shellcheck disable=SC2086  # word splitting intended
  ctl $args
  [ "$rc" -eq 2 ] || fail "tokenctl '$args': want exit 2, got $rc"
  grep -q '^usage: tokenctl' <<<"$err" || fail "tokenctl '$args': no usage: $err"
done
pass "usage errors exit 2"

# tokend logged no secret (DESIGN.md §7).
admin_key=$(tr -d '[:space:]' <"$dir/data/admin.key")
grep -qF "$admin_key" "$dir/tokend.log" && fail "tokend logged the admin key"
grep -qF "$secret" "$dir/tokend.log" && fail "tokend logged an API key secret"

echo "PASS"
