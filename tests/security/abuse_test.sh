#!/usr/bin/env bash
# Rate limits, lockout and client addresses on the real tokend over REST,
# from several loopback source addresses: see abuse_test.py.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"
data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/abuse.XXXXXX")
start_tokend "$data" \
  --rate_limits=clerk_backend=5/1m,courier=5/1m,iam=5/1m,clerk_frontend=5/1m \
  --lockout=30/1h --trusted_proxies=127.0.0.9/32
/usr/bin/python3 -s "$TEST_SRCDIR/tokend/tests/security/abuse_test.py" \
  "$http" "$(cat "$data/admin.key")" || { log_tail; exit 1; }
# 32 refused guesses from 127.0.0.6: one line in full, the rest counted for
# the minute's aggregate (written when the interval ends).
lines=$(grep -c '"code":"UNAUTHENTICATED".*"client":"127.0.0.6"' "$data/log" || true)
[ "$lines" = 1 ] || { log_tail; fail "refused guesses logged $lines times in full, want 1"; }
stop
grep -q '"msg":"refused calls","client":"127.0.0.6".*"unauthenticated":32' "$data/log" ||
  { log_tail; fail "no aggregate line for 127.0.0.6 at shutdown"; }
echo "ok: 32 refused guesses wrote one full line and one aggregate"
