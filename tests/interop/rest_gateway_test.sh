#!/usr/bin/env bash
# The REST gateway (issue 4) on the real tokend, plain HTTP and TLS, driven by
# independent clients: curl (every request), Debian's python3 with PyJWT (the
# service-account JWT, JSON checks), Node's `jose` (createRemoteJWKSet on our
# JWKS URL), openid-client (discovery). See rest_gateway_test.py,
# jose_jwks_test.cjs and oidc_discovery_test.cjs.
set -euo pipefail

here="$TEST_SRCDIR/tokend/tests/interop"
source "$here/tokend_env.sh"

python=/usr/bin/python3
[ -x /usr/bin/curl ] || fail "curl missing (apt-get install curl)"
"$python" -s -c 'import jwt, cryptography' ||
  fail "need python3-jwt python3-cryptography"
command -v node >/dev/null || fail "node missing"

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/rest_gateway.XXXXXX")
mkdir -p "$dir/pki"
"$python" -s "$here/iam_python_test.py" certs "$dir/pki"

run_mode() {  # plain | tls
  local mode=$1 data="$dir/$1" tls=() ctl_tls=() scheme=http
  mkdir -p "$data"
  if [ "$mode" = tls ]; then
    tls=(--tls_cert="$dir/pki/server.pem" --tls_key="$dir/pki/server.key")
    ctl_tls=(--tls_ca="$dir/pki/ca.pem")
    scheme=https
  fi
  start_tokend "$data" "${tls[@]}"
  local base="$scheme://$http"
  ctl() { "$tokenctl" --server="$grpc" --admin_key_file="$data/admin.key" "${ctl_tls[@]}" "$@"; }
  local sa
  sa=$(ctl sa create rest-sa | "$python" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  ctl key create --service_account_id="$sa" --out="$data/key.json" >/dev/null
  mkdir -p "$data/out"
  ctl oauth create "$sa" rest-oauth | "$python" -c \
    'import json,sys; print(json.load(sys.stdin)["token"], end="")' >"$data/out/oauth_token"

  local cacert=""
  [ "$mode" = tls ] && cacert="$dir/pki/ca.pem"
  if ! "$python" -s "$here/rest_gateway_test.py" "$mode" "$base" "$cacert" \
      "$data/key.json" "$data/admin.key" "$data/out"; then
    echo "--- tokend log (tail) ---"; tail -n 30 "$data/log"; exit 1
  fi
  NODE_PATH="$here/node_modules" NODE_EXTRA_CA_CERTS="${cacert:-/dev/null}" \
    node "$here/jose_jwks_test.cjs" "$base" "$(cat "$data/out/iam_token")" \
      "$base" || fail "$mode: jose"
  # openid-client: plain HTTP only with its allowInsecureRequests opt-in;
  # over TLS it trusts our test CA like any Node program.
  NODE_PATH="$here/node_modules" NODE_EXTRA_CA_CERTS="${cacert:-/dev/null}" \
    node "$here/oidc_discovery_test.cjs" "$base" "$(cat "$data/out/iam_token")" ||
    fail "$mode: openid-client"
  stop
  echo "ok: $mode"
}

run_mode plain
run_mode tls
echo PASS
