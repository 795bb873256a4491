#!/usr/bin/env bash
# buf curl (npm @bufbuild/buf, an independent gRPC client) against the real
# tokend: lists services and methods through server reflection alone, calls
# the health check and GetJwks without any .proto file.
set -euo pipefail

source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"
buf="$TEST_SRCDIR/tokend/tests/interop/node_modules/@bufbuild/buf/bin/buf"
[ -x "$buf" ] || { echo "buf not installed: run tools/setup"; exit 1; }

data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/buf.XXXXXX")
start_tokend "$data"
url="http://$grpc"
export HOME="$data"  # buf writes a cache under $HOME.

methods=$("$buf" curl --protocol grpc --http2-prior-knowledge --list-methods "$url")
echo "$methods"
for m in grpc.health.v1.Health/Check \
         tokend.keys.v1.KeyringService/GetJwks \
         tokend.keys.v1.KeyringService/RotateSigningKeys \
         tokend.verify.v1.VerificationService/Verify \
         tokend.admin.v1.ApiKeyService/CreateApiKey; do
  grep -qx "$m" <<<"$methods" || fail "reflection does not list $m"
done

health=$("$buf" curl --protocol grpc --http2-prior-knowledge "$url/grpc.health.v1.Health/Check")
grep -q '"status": "SERVING"' <<<"$health" || fail "health: $health"

jwks=$("$buf" curl --protocol grpc --http2-prior-knowledge "$url/tokend.keys.v1.KeyringService/GetJwks")
[ "$(grep -c '"kid"' <<<"$jwks")" -eq 3 ] || fail "expected 3 keys: $jwks"

# Admin methods refuse a caller without the admin key.
if out=$("$buf" curl --protocol grpc --http2-prior-knowledge \
    "$url/tokend.keys.v1.KeyringService/ListSigningKeys" 2>&1); then
  fail "ListSigningKeys succeeded without credentials: $out"
fi
grep -q unauthenticated <<<"$out" || fail "expected unauthenticated: $out"
echo "PASS"
