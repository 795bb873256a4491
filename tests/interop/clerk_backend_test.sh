#!/usr/bin/env bash
# Issue 5 acceptance: the real @clerk/backend package from npm
# (createClerkClient({secretKey, apiUrl})) against the real tokend over its
# REST gateway, with Node's `jose` verifying every token against our JWKS.
# This driver starts tokend, creates a "sessions" API key (sk_…) with the real
# tokenctl and hands both to clerk_backend_test.cjs, which does the rest
# (user, session, JWT template, getToken variants, errors, revocation).
# An argument names another script to run the same way (clerk_users_test.cjs:
# the SDK's user, session and template management calls); any further ones
# are tokend flags.
set -euo pipefail
script=${1:-clerk_backend_test.cjs}
shift || true

here="$TEST_SRCDIR/tokend/tests/interop"
source "$here/tokend_env.sh"
command -v node >/dev/null || fail "node missing"
[ -f "$here/node_modules/@clerk/backend/package.json" ] ||
  fail "@clerk/backend missing from tests/interop/node_modules (run tools/setup)"
data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/clerk_backend.XXXXXX")

start_tokend "$data" "$@"
base="http://$http"

out=$("$tokenctl" --server="$grpc" --admin_key_file="$data/admin.key" \
  apikey create sessions clerk-backend-test) ||
  { log_tail; fail "tokenctl apikey create sessions: $out"; }
secret=$(printf '%s' "$out" | node -e '
  let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => {
    const j = JSON.parse(s); if (!j.secret) process.exit(1); console.log(j.secret); });') ||
  fail "no secret in tokenctl output: $out"
case "$secret" in sk_*) ;; *) fail "sessions API key does not start with sk_: $secret" ;; esac
echo "ok: tokend at $base, sessions API key ${secret:0:8}…"

if ! NODE_PATH="$here/node_modules" node "$here/$script" "$base" "$secret"; then
  log_tail; exit 1
fi
stop
echo PASS
