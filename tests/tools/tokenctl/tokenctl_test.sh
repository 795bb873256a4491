#!/usr/bin/env bash
# The real tokenctl against the real tokend (DESIGN.md §2.5a, §2.6): admin
# commands with the data dir's admin key and with a wrong one, key rotation,
# the JWKS, API keys (secret shown once, never listed), service accounts,
# authorized key files (0600, never overwritten), IAM tokens from a key file,
# OAuth tokens, local decode, verify, users, sessions, session tokens and JWT
# templates (issue 5), and usage errors.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"

tokend="$TEST_SRCDIR/tokend/server/tokend"
tokenctl="$TEST_SRCDIR/tokend/tools/tokenctl/tokenctl"
python=/usr/bin/python3  # Debian's interpreter (TOOLCHAIN.md); stdlib only.
openssl=/usr/bin/openssl  # Debian's, to check the key file's private key.

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/tokenctl.XXXXXX")
"$tokend" --data_dir="$dir/data" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --ready_file="$dir/ready" --drain_delay=0s 2>"$dir/tokend.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
wait_until $pid test -s "$dir/ready" || { cat "$dir/tokend.log"; echo "FAIL: tokend not ready"; exit 1; }
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
ctl verify garbage --family=iam
[ "$rc" -ne 0 ] || fail "verify garbage succeeded: $out"
grep -qE 'tokenctl: INVALID_ARGUMENT: ' <<<"$err" && ! grep -q family <<<"$err" ||
  fail "verify garbage: $err"
pass "verify garbage: $err"

# The hand-made token decodes, but is not one of tokend's.
ctl verify "$token" --family=iam
[ "$rc" -ne 0 ] || fail "verify of a forged token succeeded: $out"
grep -qE 'tokenctl: (INVALID_ARGUMENT|UNAUTHENTICATED): ' <<<"$err" && ! grep -q family <<<"$err" ||
  fail "verify forged: $err"
pass "verify forged token: $err"

# Verify needs the audience or the family the token must have.
ctl verify "$token"
[ "$rc" -ne 0 ] && grep -q 'INVALID_ARGUMENT: name the audience or the family' <<<"$err" ||
  fail "verify without audience or family: rc $rc: $err"
pass "verify without audience or family: $err"

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
ctl_ok verify "$iam_token" --family=iam
[ "$(py 'd["claims"]["sub"]' <<<"$out")" = "$sa_id" ] || fail "verify iam token: sub: $out"
ctl verify "$iam_token" --family=session
[ "$rc" -ne 0 ] && grep -q 'UNAUTHENTICATED: token is not of the session family' <<<"$err" ||
  fail "verify iam token as a session token: rc $rc: $err"
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

# --- users, sessions, session tokens, JWT templates (issue 5) -------------
# jwt_part N: part N (0 header, 1 payload) of the JWT on stdin, as JSON.
jwt_part() {
  "$python" -c 'import base64,sys
p = sys.stdin.read().strip().split(".")['"$1"']
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())'
}

ctl_ok users create --first_name=Ada --last_name Lovelace --email ada@example.com \
  --email=ada2@example.com,ada3@example.com --public_metadata '{"plan":"pro","seats":3}'
user_id=$(py 'd["id"]' <<<"$out")
[[ "$user_id" == user_* ]] || fail "users create: id $user_id: $out"
[ "$(py '(d["object"], d["first_name"], d["last_name"])' <<<"$out")" = \
  "('user', 'Ada', 'Lovelace')" ] || fail "users create: names: $out"
[ "$(py '[e["email_address"] for e in d["email_addresses"]]' <<<"$out")" = \
  "['ada@example.com', 'ada2@example.com', 'ada3@example.com']" ] ||
  fail "users create: repeated and comma-listed --email: $out"
[ "$(py 'd["primary_email_address_id"] == d["email_addresses"][0]["id"]' <<<"$out")" = True ] ||
  fail "users create: the first address is not the primary one: $out"
[ "$(py 'd["public_metadata"] == {"plan": "pro", "seats": 3}' <<<"$out")" = True ] ||
  fail "users create: public_metadata: $out"
ctl_ok users get "$user_id"
[ "$(py '(d["id"], d["email_addresses"][0]["email_address"])' <<<"$out")" = \
  "('$user_id', 'ada@example.com')" ] || fail "users get: $out"
pass "users create (emails, public metadata) / get"

ctl users create --public_metadata '[1,2]'
[ "$rc" -eq 2 ] && grep -q 'public_metadata must be a JSON object' <<<"$err" ||
  fail "users create --public_metadata=[1,2]: rc $rc: $err"
ctl users get user_nosuchuser0000000
[ "$rc" -eq 1 ] && grep -q 'NOT_FOUND: .*user_nosuchuser0000000' <<<"$err" ||
  fail "users get, unknown id: rc $rc: $err"
ctl sessions create --user_id=user_nosuchuser0000000
[ "$rc" -eq 1 ] && grep -q 'NOT_FOUND: .*user_nosuchuser0000000' <<<"$err" ||
  fail "sessions create, unknown user id: rc $rc: $err"
[ -z "$out" ] || fail "sessions create, unknown user id, printed: $out"
ctl sessions create
[ "$rc" -eq 2 ] && grep -q -- '--user_id' <<<"$err" || fail "sessions create without --user_id: rc $rc: $err"
pass "unknown user id and bad flags fail: $(head -1 <<<"$err")"

ctl_ok sessions create --user_id="$user_id"
session_id=$(py 'd["id"]' <<<"$out")
client_token=$(py 'd["client_token"]' <<<"$out")
[[ "$session_id" == sess_* ]] || fail "sessions create: id $session_id: $out"
[[ "$client_token" == client_* ]] || fail "sessions create: client_token: $out"
[ "$(py '(d["object"], d["user_id"], d["status"])' <<<"$out")" = \
  "('session', '$user_id', 'active')" ] || fail "sessions create: $out"
ctl_ok sessions get "$session_id"
[ "$(py '(d["id"], d["status"], "client_token" in d)' <<<"$out")" = \
  "('$session_id', 'active', False)" ] || fail "sessions get (client token shown once): $out"
pass "sessions create shows the client token once; sessions get"

ctl_ok sessions token "$session_id"
[ "$(py 'd["object"]' <<<"$out")" = token ] || fail "sessions token: $out"
jwt=$(py 'd["jwt"]' <<<"$out")
payload=$(jwt_part 1 <<<"$jwt")
[ "$(py '(d["sub"], d["sid"], d["v"], d["exp"] - d["iat"])' <<<"$payload")" = \
  "('$user_id', '$session_id', 2, 60)" ] || fail "default session token payload: $payload"
ctl_ok sessions token "$session_id" --expires_in_seconds 120
[ "$(jwt_part 1 <<<"$(py 'd["jwt"]' <<<"$out")" | py 'd["exp"] - d["iat"]')" = 120 ] ||
  fail "sessions token --expires_in_seconds 120: $out"
ctl_ok verify "$jwt" --family=session
[ "$(py 'd["claims"]["sid"]' <<<"$out")" = "$session_id" ] || fail "verify session token: $out"
pass "sessions token: sub, sid, v=2, 60 s (120 s on request); tokend verifies it"

ctl_ok templates create --name=email-tmpl \
  --claims '{"email":"{{user.primary_email_address}}"}' --lifetime 300
template_id=$(py 'd["id"]' <<<"$out")
[ "$(py '(d["object"], d["name"], d["claims"], d["lifetime"], d["custom_signing_key"])' <<<"$out")" = \
  "('jwt_template', 'email-tmpl', {'email': '{{user.primary_email_address}}'}, 300, False)" ] ||
  fail "templates create: $out"
ctl_ok sessions token "$session_id" --template email-tmpl
payload=$(jwt_part 1 <<<"$(py 'd["jwt"]' <<<"$out")")
[ "$(py '(d["email"], d["sub"], d["exp"] - d["iat"])' <<<"$payload")" = \
  "('ada@example.com', '$user_id', 300)" ] || fail "template token payload: $payload"
ctl_ok templates get "$template_id"
[ "$(py 'd["name"]' <<<"$out")" = email-tmpl ] || fail "templates get: $out"
ctl_ok templates list
[ "$(py '[t["id"] for t in d] == ["'"$template_id"'"]' <<<"$out")" = True ] ||
  fail "templates list: want the array [$template_id]: $out"
ctl sessions token "$session_id" --template no-such-template
[ "$rc" -eq 1 ] && grep -q 'NOT_FOUND: .*no-such-template' <<<"$err" ||
  fail "sessions token, unknown template: rc $rc: $err"
ctl templates create --name=broken
[ "$rc" -eq 2 ] && grep -q -- '--claims' <<<"$err" || fail "templates create without --claims: rc $rc: $err"
pass "templates create / get / list; sessions token --template renders the email"

# update: the flags not given are kept (the RPC replaces the template).
ctl_ok templates update "$template_id" --lifetime 90
[ "$(py '(d["name"], d["claims"], d["lifetime"])' <<<"$out")" = \
  "('email-tmpl', {'email': '{{user.primary_email_address}}'}, 90)" ] ||
  fail "templates update --lifetime: $out"
ctl_ok sessions token "$session_id" --template email-tmpl
[ "$(jwt_part 1 <<<"$(py 'd["jwt"]' <<<"$out")" | py 'd["exp"] - d["iat"]')" = 90 ] ||
  fail "template token after update: $out"
# A custom HS256 key from a file (its trailing newline is not part of it).
hs_secret='tokenctl-test-hmac-secret-0123456789abcdefghijklmnop'
printf '%s\n' "$hs_secret" >"$dir/hs256.key"
ctl_ok templates update "$template_id" --signing_algorithm=HS256 --signing_key_file="$dir/hs256.key"
[ "$(py '(d["custom_signing_key"], d["signing_algorithm"])' <<<"$out")" = "(True, 'HS256')" ] ||
  fail "templates update --signing_algorithm=HS256: $out"
grep -qF "$hs_secret" <<<"$out" && fail "templates update printed the signing key: $out"
ctl_ok sessions token "$session_id" --template email-tmpl
jwt=$(py 'd["jwt"]' <<<"$out")
[ "$(jwt_part 0 <<<"$jwt" | py 'd["alg"]')" = HS256 ] || fail "custom key token header: $jwt"
"$python" - "$jwt" "$hs_secret" <<'EOF_PY' || fail "custom key token: bad HS256 signature"
import base64, hashlib, hmac, sys
jwt, secret = sys.argv[1], sys.argv[2]
signing_input, _, sig = jwt.rpartition(".")
want = base64.urlsafe_b64encode(
    hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=")
sys.exit(0 if hmac.compare_digest(want.decode(), sig) else 1)
EOF_PY
ctl templates update "$template_id" --lifetime 60
[ "$rc" -eq 2 ] && grep -q -- '--signing_algorithm=none' <<<"$err" ||
  fail "templates update would silently drop the custom key: rc $rc: $err"
ctl_ok templates update "$template_id" --signing_algorithm=none
[ "$(py '(d["custom_signing_key"], d["lifetime"])' <<<"$out")" = "(False, 90)" ] ||
  fail "templates update --signing_algorithm=none: $out"
pass "templates update keeps what is not given; custom HS256 key; =none drops it"

ctl_ok sessions create --user_id="$user_id" --expires_in_seconds 3600
session2_id=$(py 'd["id"]' <<<"$out")
ctl_ok sessions list --user_id="$user_id"
[ "$(py 'sorted(s["id"] for s in d) == sorted(["'"$session_id"'", "'"$session2_id"'"])' <<<"$out")" = True ] ||
  fail "sessions list --user_id: want $session_id and $session2_id: $out"
grep -q client_token <<<"$out" && fail "sessions list shows client tokens: $out"
ctl_ok sessions list --limit 1
[ "$(py 'len(d)' <<<"$out")" = 1 ] || fail "sessions list --limit 1: $out"
ctl sessions list --status bogus
[ "$rc" -eq 1 ] && grep -q INVALID_ARGUMENT <<<"$err" || fail "sessions list --status bogus: rc $rc: $err"
pass "sessions list (--user_id, --limit, --status)"

ctl_ok sessions revoke "$session_id"
[ "$(py '(d["id"], d["status"])' <<<"$out")" = "('$session_id', 'revoked')" ] ||
  fail "sessions revoke: $out"
ctl sessions token "$session_id"
[ "$rc" -ne 0 ] || fail "sessions token of a revoked session succeeded: $out"
[ -z "$out" ] || fail "sessions token of a revoked session printed: $out"
grep -qi 'session' <<<"$err" && grep -qF "$session_id" <<<"$err" ||
  fail "sessions token of a revoked session: want a message naming the session: $err"
revoked_err=$err
ctl sessions token "$session_id" --template email-tmpl
[ "$rc" -ne 0 ] || fail "template token of a revoked session succeeded: $out"
ctl_ok sessions list --user_id="$user_id" --status revoked
[ "$(py '[s["id"] for s in d] == ["'"$session_id"'"]' <<<"$out")" = True ] ||
  fail "sessions list --status revoked: $out"
ctl_ok sessions list --user_id="$user_id" --status active
[ "$(py '[s["id"] for s in d] == ["'"$session2_id"'"]' <<<"$out")" = True ] ||
  fail "sessions list --status active: $out"
pass "sessions revoke → sessions token fails: $revoked_err"

ctl_ok templates delete "$template_id"
[ "$(py '(d["id"], d["deleted"])' <<<"$out")" = "('$template_id', True)" ] ||
  fail "templates delete: $out"
ctl_ok templates list
[ "$out" = "[]" ] || fail "templates list after delete: $out"
ctl templates get "$template_id"
[ "$rc" -eq 1 ] && grep -q NOT_FOUND <<<"$err" || fail "templates get after delete: rc $rc: $err"
ctl_ok users delete "$user_id"
[ "$(py '(d["id"], d["deleted"])' <<<"$out")" = "('$user_id', True)" ] || fail "users delete: $out"
ctl users get "$user_id"
[ "$rc" -eq 1 ] && grep -q NOT_FOUND <<<"$err" || fail "users get after delete: rc $rc: $err"
ctl sessions token "$session2_id"
[ "$rc" -ne 0 ] || fail "sessions token for a deleted user succeeded: $out"
pass "templates delete, users delete (its sessions mint no more)"

# --- usage --------------------------------------------------------------
for args in "" "frobnicate" "keys" "keys delete" "apikey" "apikey revoke" "decode" \
  "sa" "sa delete" "key" "key list" "oauth" "oauth revoke" "iam" "iam token x" \
  "users" "users get" "users list" "sessions" "sessions get" "sessions token" \
  "sessions list x" "templates" "templates update" "templates list x"; do
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
grep -qF "$client_token" "$dir/tokend.log" && fail "tokend logged a client token"
grep -qF "$hs_secret" "$dir/tokend.log" && fail "tokend logged a template signing key"

echo "PASS"
