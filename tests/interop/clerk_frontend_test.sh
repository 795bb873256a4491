#!/usr/bin/env bash
# Issue 5 acceptance, Frontend API side: requests shaped exactly as clerk-js,
# clerk-ios and Expo send them (curl), tokens verified by PyJWT — the default
# session token, templates, /v1/me/tokens for clerk, hasura and firebase (the
# Firebase custom token verified with the service account's own public key),
# errors in Clerk's shape, revocation. See clerk_frontend_test.py.
set -euo pipefail

here="$TEST_SRCDIR/tokend/tests/interop"
source "$here/tokend_env.sh"

python=/usr/bin/python3
[ -x /usr/bin/curl ] || fail "curl missing (apt-get install curl)"
"$python" -s -c 'import jwt, cryptography' ||
  fail "need python3-jwt python3-cryptography"

data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/clerk_frontend.XXXXXX")

"$python" -s "$here/clerk_frontend_test.py" firebase-key "$data/firebase-sa.json"

# A broken service-account file stops tokend at start, naming the flag and
# never printing key material.
printf '{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----"}' \
  >"$data/broken-sa.json"
if "$tokend" --data_dir="$data/broken" --grpc_listen=127.0.0.1:0 \
    --http_listen=127.0.0.1:0 --firebase_service_account="$data/broken-sa.json" \
    2>"$data/broken.log"; then
  fail "tokend started with a broken Firebase service-account file"
fi
grep -q -- "--firebase_service_account" "$data/broken.log" ||
  { cat "$data/broken.log"; fail "the start-up error does not name the flag"; }
! grep -q "AAAA" "$data/broken.log" || fail "the start-up error quotes the key"
echo "ok: a broken service-account file stops tokend: $(head -c 160 "$data/broken.log")"

start_tokend "$data" --firebase_service_account="$data/firebase-sa.json" \
  --allowed_origins=https://app.example.com,http://localhost:3000

out=$("$tokenctl" --server="$grpc" --admin_key_file="$data/admin.key" \
  apikey create sessions clerk-frontend-test) ||
  { log_tail; fail "tokenctl apikey create sessions: $out"; }
secret=$(printf '%s' "$out" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

if ! "$python" -s "$here/clerk_frontend_test.py" run "http://$http" "$secret" \
    "$data/firebase-sa.json"; then
  log_tail; exit 1
fi
# No secret reaches the log: not the Firebase key, not a client token.
! grep -q "PRIVATE KEY" "$data/log" || fail "the log holds the Firebase key"
stop
echo PASS
