#!/usr/bin/env bash
# IAM token exchange (issue 3) against the real tokend over TLS, driven by an
# independent client: Debian's /usr/bin/python3 with python3-grpcio (stubs
# over modules generated here by the system protoc), python3-jwt and
# python3-cryptography. See iam_python_test.py for the flow.
set -euo pipefail

fail() { echo "FAIL: $*"; exit 1; }

python=/usr/bin/python3
protoc=/usr/bin/protoc
googleapis=/usr/share/gocode/src/github.com/gogo/googleapis
[ -x "$python" ] || fail "$python missing (apt-get install python3)"
[ -x "$protoc" ] || fail "$protoc missing (apt-get install protobuf-compiler)"
[ -f "$googleapis/google/api/annotations.proto" ] ||
  fail "$googleapis missing (apt-get install golang-github-gogo-googleapis-dev)"
"$python" -s -c 'import grpc, jwt, cryptography, google.protobuf' ||
  fail "need python3-grpcio python3-jwt python3-cryptography python3-protobuf"

tokend="$TEST_SRCDIR/tokend/server/tokend"
protos="$TEST_SRCDIR/tokend/proto"
client="$TEST_SRCDIR/tokend/tests/interop/iam_python_test.py"

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/iam_python.XXXXXX")
mkdir -p "$dir/data" "$dir/gen" "$dir/pki"

# Python modules for the protos the client needs (google.protobuf comes
# with python3-protobuf).
"$protoc" -I"$protos" -I"$googleapis" -I/usr/include --python_out="$dir/gen" \
  google/api/http.proto google/api/annotations.proto google/rpc/status.proto \
  yandex/cloud/validation.proto yandex/cloud/api/operation.proto \
  yandex/cloud/operation/operation.proto yandex/cloud/iam/v1/key.proto \
  yandex/cloud/iam/v1/key_service.proto \
  yandex/cloud/iam/v1/iam_token_service.proto \
  tokend/iam/v1/service_accounts.proto tokend/verify/v1/verification.proto \
  tokend/keys/v1/keyring.proto

"$python" -s "$client" certs "$dir/pki"

issuer="https://tokend.python.test"
"$tokend" --data_dir="$dir/data" --grpc_listen=127.0.0.1:0 \
  --http_listen=127.0.0.1:0 --issuer="$issuer" \
  --tls_cert="$dir/pki/server.pem" --tls_key="$dir/pki/server.key" \
  --ready_file="$dir/ready" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -s "$dir/ready" ] && break; sleep 0.05; done
[ -s "$dir/ready" ] || { cat "$dir/log"; fail "tokend did not become ready"; }
addr=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")

if ! PYTHONPATH="$dir/gen" "$python" -s "$client" client "$addr" \
    "$dir/pki/ca.pem" "$dir/data" "$issuer" "$dir"; then
  echo "--- tokend log (tail) ---"
  tail -n 40 "$dir/log"
  exit 1
fi
