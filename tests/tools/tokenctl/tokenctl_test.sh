#!/usr/bin/env bash
# The real tokenctl against the real tokend (DESIGN.md §2.5a, §2.6): admin
# commands with the data dir's admin key and with a wrong one, key rotation,
# the JWKS, API keys (secret shown once, never listed), service accounts,
# authorized key files (0600, never overwritten), IAM tokens from a key file,
# OAuth tokens, local decode, verify, and usage errors.
set -euo pipefail

tokend="$TEST_SRCDIR/tokend/server/tokend"
tokenctl="$TEST_SRCDIR/tokend/tools/tokenctl/tokenctl"
python=/usr/bin/python3  # Debian's interpreter (TOOLCHAIN.md); stdlib only.
openssl=/usr/bin/openssl  # Debian's, to check the key file's private key.

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/tokenctl.XXXXXX")
"$tokend" --data_dir="$dir/data" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
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

# --- service accounts ----------------------------------------------------
ctl_ok sa create robot-1 "ci robot"
sa_id=$(py 'd["id"]' <<<"$out")
[[ "$sa_id" == aje* ]] || fail "sa create: id $sa_id: $out"
[ "$(py 'd["name"]' <<<"$out")" = robot-1 ] || fail "sa create: name: $out"
[ "$(py 'd["description"]' <<<"$out")" = "ci robot" ] || fail "sa create: description: $out"
ctl_ok sa create robot-2
sa2_id=$(py 'd["id"]' <<<"$out")
ctl_ok sa list
[ "$(py '" ".join(sorted(a["id"] for a in d["service_accounts"]))' <<<"$out")" = \
  "$(printf '%s\n' "$sa_id" "$sa2_id" | sort | tr '\n' ' ' | sed 's/ $//')" ] ||
  fail "sa list: want $sa_id and $sa2_id: $out"
ctl_ok sa set-token-creators "$sa_id" "$sa2_id"
[ "$(py 'd["token_creators"] == ["'"$sa2_id"'"]' <<<"$out")" = True ] ||
  fail "sa set-token-creators: $out"
ctl sa create Not_A_Name
[ "$rc" -eq 1 ] && grep -q INVALID_ARGUMENT <<<"$err" || fail "sa create bad name: rc $rc: $err"
pass "sa create / list / set-token-creators"

# --- key create: the public key-file format, mode 0600, never overwritten --
keyfile="$dir/key.json"
ctl_ok key create --service_account_id="$sa_id" --out="$keyfile"
key_id=$(py 'd["id"]' <<<"$out")
[[ "$key_id" == aje* ]] || fail "key create: id $key_id: $out"
grep -q 'PRIVATE KEY' <<<"$out" && fail "key create printed the private key: $out"
[ "$(stat -c %a "$keyfile")" = 600 ] ||
  fail "key file mode is $(stat -c %a "$keyfile"), want 600"
[ "$(py 'list(d.keys())' <"$keyfile")" = \
  "['id', 'service_account_id', 'created_at', 'key_algorithm', 'public_key', 'private_key']" ] ||
  fail "key file fields: $(py 'list(d.keys())' <"$keyfile")"
[ "$(py 'd["id"]' <"$keyfile")" = "$key_id" ] || fail "key file id"
[ "$(py 'd["service_account_id"]' <"$keyfile")" = "$sa_id" ] || fail "key file account"
[ "$(py 'd["key_algorithm"]' <"$keyfile")" = RSA_2048 ] || fail "key file algorithm"
py 'd["created_at"]' <"$keyfile" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' ||
  fail "key file created_at: $(py 'd["created_at"]' <"$keyfile")"
[ "$(py 'd["private_key"].splitlines()[0]' <"$keyfile")" = \
  "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID $key_id" ] ||
  fail "key file: explanatory line: $(py 'd["private_key"].splitlines()[0]' <"$keyfile")"
# The private key parses (PKCS#8, 2048-bit RSA) and matches public_key.
py 'd["private_key"]' <"$keyfile" | sed -n '/-----BEGIN PRIVATE KEY-----/,$p' >"$dir/priv.pem"
"$openssl" pkey -in "$dir/priv.pem" -noout -text 2>/dev/null | grep -q '2048 bit' ||
  fail "key file private_key does not parse as a 2048-bit key"
[ "$("$openssl" pkey -in "$dir/priv.pem" -pubout)" = "$(py 'd["public_key"].strip()' <"$keyfile")" ] ||
  fail "key file: private_key does not match public_key"
rm -f "$dir/priv.pem"
pass "key create --out writes the 6-field key file, mode 600"

sum=$(sha256sum <"$keyfile")
ctl key create --service_account_id="$sa_id" --out="$keyfile"
[ "$rc" -ne 0 ] || fail "key create overwrote $keyfile: $out"
grep -q 'refusing to overwrite' <<<"$err" || fail "key create over a file: $err"
[ "$(sha256sum <"$keyfile")" = "$sum" ] || fail "key create changed the existing file"
ctl key create --service_account_id="$sa_id" --out="$dir/k2.json" --algorithm=RSA_1024
[ "$rc" -eq 2 ] || fail "key create --algorithm=RSA_1024: rc $rc"
[ ! -e "$dir/k2.json" ] || fail "key create with a bad algorithm left a file"
ctl key create --service_account_id=ajenosuchaccount0000 --out="$dir/k3.json"
[ "$rc" -eq 1 ] && grep -q NOT_FOUND <<<"$err" || fail "key create, unknown account: rc $rc: $err"
[ ! -e "$dir/k3.json" ] || fail "a failed key create left its --out file"
ctl_ok key list "$sa_id"
[ "$(py '[k["id"] for k in d["keys"]] == ["'"$key_id"'"]' <<<"$out")" = True ] ||
  fail "key list: want exactly $key_id (no key from the refused creates): $out"
grep -q 'PRIVATE KEY' <<<"$out" && fail "key list shows a private key: $out"
pass "key create refuses to overwrite; failed creates leave no file and no key"

# --- iam token: SA JWT signed locally, exchanged, verifiable --------------
set +e
"$tokenctl" --server="$addr" --admin_key_file="$dir/no-such.key" \
  iam token --key="$keyfile" >"$dir/out" 2>"$dir/err"
rc=$?
set -e
out=$(cat "$dir/out")
[ "$rc" -eq 0 ] || fail "iam token (no admin key) exited $rc: $(cat "$dir/err")"
iam_token=$(py 'd["iam_token"]' <<<"$out")
[ -n "$(py 'd["expires_at"]' <<<"$out")" ] || fail "iam token: no expires_at: $out"
ctl_ok verify "$iam_token"
[ "$(py 'd["claims"]["sub"]' <<<"$out")" = "$sa_id" ] || fail "verify iam token: sub: $out"
pass "iam token --key → a token tokend verifies (sub $sa_id)"

ctl iam token --key="$keyfile" --audience=https://elsewhere.example/iam/v1/tokens
[ "$rc" -eq 1 ] && grep -q UNAUTHENTICATED <<<"$err" || fail "iam token, wrong audience: rc $rc: $err"
ctl iam token --key="$dir/no-such.json"
[ "$rc" -eq 2 ] || fail "iam token without a key file: rc $rc"

ctl_ok key delete "$key_id"
ctl iam token --key="$keyfile"
[ "$rc" -eq 1 ] || fail "iam token with a deleted key: rc $rc: $out"
grep -q 'UNAUTHENTICATED' <<<"$err" || fail "iam token with a deleted key: $err"
pass "key delete → iam token fails: $err"

# --- OAuth tokens ----------------------------------------------------------
ctl_ok oauth create "$sa_id" laptop
oauth1=$(py 'd["token"]' <<<"$out")
[[ "$oauth1" == y0_* ]] || fail "oauth create: token $oauth1"
[ "$(py 'd["oauth_token"]["account_id"]' <<<"$out")" = "$sa_id" ] || fail "oauth create: $out"
ctl_ok oauth create "$sa_id"
oauth2=$(py 'd["token"]' <<<"$out")
oauth2_id=$(py 'd["oauth_token"]["id"]' <<<"$out")
ctl_ok oauth revoke "$oauth1"
[ "$(py '"revoked_at" in d' <<<"$out")" = True ] || fail "oauth revoke by value: $out"
grep -qF "$oauth1" <<<"$out" && fail "oauth revoke printed the token: $out"
ctl_ok oauth revoke "$oauth2_id"
[ "$(py 'd["id"]' <<<"$out")" = "$oauth2_id" ] || fail "oauth revoke by id: $out"
[ "$(py '"revoked_at" in d' <<<"$out")" = True ] || fail "oauth revoke by id: $out"
pass "oauth create / revoke (by value and by id)"

ctl_ok sa delete "$sa2_id"
ctl_ok sa list
[ "$(py '"'"$sa2_id"'" in [a["id"] for a in d["service_accounts"]]' <<<"$out")" = False ] ||
  fail "sa list after delete still shows $sa2_id: $out"
pass "sa delete"

# --- usage --------------------------------------------------------------
for args in "" "frobnicate" "keys" "keys delete" "apikey" "apikey revoke" "decode" \
  "sa" "sa delete" "key" "key list" "oauth" "oauth revoke" "iam" "iam token x"; do
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
grep -qF "$oauth1" "$dir/tokend.log" && fail "tokend logged an OAuth token"
grep -qF "$oauth2" "$dir/tokend.log" && fail "tokend logged an OAuth token"
grep -q "PRIVATE KEY" "$dir/tokend.log" && fail "tokend logged a private key"

echo "PASS"
