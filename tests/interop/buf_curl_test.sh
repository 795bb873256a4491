#!/usr/bin/env bash
# buf curl (npm @bufbuild/buf, an independent gRPC client) against the real
# tokend: lists services and methods through server reflection alone, calls
# the health check and GetJwks without any .proto file.
set -euo pipefail

tokend="$TEST_SRCDIR/tokend/server/tokend"
buf="$TEST_SRCDIR/tokend/tests/interop/node_modules/@bufbuild/buf/bin/buf"
[ -x "$buf" ] || { echo "buf not installed: run tools/setup"; exit 1; }
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/buf.XXXXXX")
"$tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --ready_file="$dir/ready" \
  2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
wait_until $pid test -s "$dir/ready" || { cat "$dir/log"; echo "FAIL: tokend not ready"; exit 1; }
addr=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
url="http://$addr"
export HOME="$dir"  # buf writes a cache under $HOME.

fail() { echo "FAIL: $*"; exit 1; }

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
