#!/usr/bin/env bash
# The loadgen binary end to end: flags, exit codes, table and JSON output,
# against test_server. Catches what library tests cannot, e.g. a proto whose
# descriptor the statically linked binary dropped.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"

loadgen="$TEST_SRCDIR/tokend/tools/loadgen/loadgen"
server="$TEST_SRCDIR/tokend/tests/tools/loadgen/test_server"

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/loadgen.XXXXXX")
"$server" --port=0 >"$dir/server.out" 2>"$dir/server.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
wait_until $pid grep -q listening "$dir/server.out" || true  # Checked below.
target=$(sed -nE 's/^listening on (.*)$/\1/p' "$dir/server.out")
[ -n "$target" ] || { cat "$dir/server.err"; echo "FAIL: test_server did not start"; exit 1; }

fail() { echo "FAIL: $*"; exit 1; }
expect_in() { grep -qF -- "$1" <<<"$2" || fail "expected '$1' in: $2"; }

# Health/Check resolves from the binary's own descriptors.
out=$("$loadgen" --target="$target" --method=grpc.health.v1.Health/Check \
  --count=200 --warmup=0s --concurrency=4 --json)
echo "$out"
expect_in '"descriptor_source":"binary"' "$out"
expect_in '"calls":200,"ok":200,"errors":0' "$out"
/usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["latency_us"]["p50"] > 0 and j["throughput"] > 0' "$out" ||
  fail "JSON output does not parse or lacks numbers"

# A service only the server knows, with repeated metadata; errors by code.
out=$("$loadgen" --target="$target" --method=tokend.loadgen.test.v1.TestService/Fail \
  --request='{"code": 16, "message": "who are you"}' --count=50 --warmup=0s \
  --metadata='authorization: Bearer xyz' --metadata='x-a: 1, x-b: 2')
echo "$out"
expect_in "descriptor from reflection" "$out"
expect_in "UNAUTHENTICATED" "$out"
expect_in "who are you" "$out"

# --request=@file
echo '{"text": "from a file"}' >"$dir/req.json"
out=$("$loadgen" --target="$target" --method=tokend.loadgen.test.v1.TestService/Echo \
  --request=@"$dir/req.json" --count=10 --warmup=0s --json)
expect_in '"ok":10' "$out"

# TLS: a self-signed certificate for "localhost" is its own root.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
"$server" --port=0 --tls_cert="$dir/cert.pem" --tls_key="$dir/key.pem" \
  >"$dir/tls.out" 2>"$dir/tls.err" &
tls_pid=$!
trap 'kill $pid $tls_pid 2>/dev/null || true; wait $pid $tls_pid 2>/dev/null || true' EXIT
wait_until $tls_pid grep -q listening "$dir/tls.out" || true  # Checked below.
tls_target=$(sed -nE 's/^listening on (.*)$/\1/p' "$dir/tls.out")
[ -n "$tls_target" ] || { cat "$dir/tls.err"; echo "FAIL: TLS test_server did not start"; exit 1; }
out=$("$loadgen" --target="$tls_target" --tls_ca="$dir/cert.pem" \
  --tls_server_name=localhost --method=grpc.health.v1.Health/Check \
  --count=20 --warmup=0s --json)
expect_in '"ok":20' "$out"
# Plaintext against the TLS port cannot connect.
set +e
err=$("$loadgen" --target="$tls_target" --method=grpc.health.v1.Health/Check \
  --count=1 --connect_timeout=1s 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "plaintext to TLS: exit $rc"
expect_in "cannot connect" "$err"

# Exit codes: 1 for setup errors, 2 for usage errors.
set +e
err=$("$loadgen" --target="$target" --method=grpc.health.v1.Health/Chek 2>&1); rc=$?
[ $rc -eq 1 ] || fail "unknown method: exit $rc"
expect_in 'has no method "Chek"' "$err"
err=$("$loadgen" --target="$target" --method=grpc.health.v1.Health/Check --request='{"svc": 1}' 2>&1); rc=$?
[ $rc -eq 1 ] || fail "bad JSON: exit $rc"
expect_in "not a valid grpc.health.v1.HealthCheckRequest" "$err"
err=$("$loadgen" --method=grpc.health.v1.Health/Check 2>&1); rc=$?
[ $rc -eq 2 ] || fail "missing --target: exit $rc"
err=$("$loadgen" --target="$target" --method=grpc.health.v1.Health/Check --metadata='bad key: v' 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad metadata: exit $rc"
set -e

echo PASS
