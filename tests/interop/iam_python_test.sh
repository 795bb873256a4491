#!/usr/bin/env bash
# IAM token exchange (issue 3) against the real tokend over TLS, driven by an
# independent client: Debian's /usr/bin/python3 with python3-grpcio (stubs
# over modules generated here by the system protoc), python3-jwt and
# python3-cryptography. The service account and its authorized key file come
# from the real tokenctl (sa create, key create --out); the Python client reads
# that key file as the Yandex SDK does. See iam_python_test.py for the flow.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"

python=/usr/bin/python3
protoc=/usr/bin/protoc
googleapis=/usr/share/gocode/src/github.com/gogo/googleapis
[ -x "$python" ] || fail "$python missing (apt-get install python3)"
[ -x "$protoc" ] || fail "$protoc missing (apt-get install protobuf-compiler)"
[ -f "$googleapis/google/api/annotations.proto" ] ||
  fail "$googleapis missing (apt-get install golang-github-gogo-googleapis-dev)"
"$python" -s -c 'import grpc, jwt, cryptography, google.protobuf' ||
  fail "need python3-grpcio python3-jwt python3-cryptography python3-protobuf"

[ -x "$tokenctl" ] || fail "$tokenctl missing"
protos="$TEST_SRCDIR/tokend/proto"
client="$TEST_SRCDIR/tokend/tests/interop/iam_python_test.py"

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/iam_python.XXXXXX")
mkdir -p "$dir/data" "$dir/gen" "$dir/pki"

# Python modules for the protos the client needs (google.protobuf comes
# with python3-protobuf).
"$protoc" -I"$protos" -I"$googleapis" -I/usr/include --python_out="$dir/gen" \
  google/api/http.proto google/api/annotations.proto google/rpc/status.proto \
  yandex/cloud/validation.proto yandex/cloud/api/operation.proto \
  tokend/api/v1/policy.proto \
  yandex/cloud/operation/operation.proto yandex/cloud/iam/v1/key.proto \
  yandex/cloud/iam/v1/key_service.proto \
  yandex/cloud/iam/v1/iam_token_service.proto \
  tokend/iam/v1/service_accounts.proto tokend/verify/v1/verification.proto \
  tokend/keys/v1/keyring.proto

"$python" -s "$client" certs "$dir/pki"

issuer="https://tokend.python.test"
data="$dir/data"
start_tokend "$data" --issuer="$issuer" \
  --tls_cert="$dir/pki/server.pem" --tls_key="$dir/pki/server.key"
addr=$grpc

# tokenctl over TLS with the test CA and the admin key tokend wrote. OUT is
# its stdout (JSON), ERR its stderr; fails the test on a non-zero exit.
ctl() {
  local out=$1 err=$2
  shift 2
  if ! "$tokenctl" --server="$addr" --tls_ca="$dir/pki/ca.pem" \
      --admin_key_file="$dir/data/admin.key" "$@" >"$out" 2>"$err"; then
    cat "$err"
    log_tail
    fail "tokenctl $*"
  fi
}

# The service account and its authorized key file, from tokenctl.
ctl "$dir/sa.json" "$dir/sa.err" sa create python-sa "python interop test"
sa_id=$("$python" -s -c \
  'import json, sys; print(json.load(open(sys.argv[1]))["id"])' \
  "$dir/sa.json") || fail "sa create printed no id: $(cat "$dir/sa.json")"
[ -n "$sa_id" ] || fail "sa create printed an empty id"
key_file="$dir/keys/key.json"
mkdir -p "$dir/keys"
ctl "$dir/key_create.json" "$dir/key_create.err" \
  key create --service_account_id="$sa_id" --out="$key_file"
echo "ok: tokenctl sa create -> $sa_id; key create -> keys/key.json"

# key create never overwrites a key file (it fails before asking the server).
cp "$key_file" "$dir/key.json.orig"
if "$tokenctl" --server="$addr" --tls_ca="$dir/pki/ca.pem" \
    --admin_key_file="$dir/data/admin.key" key create \
    --service_account_id="$sa_id" --out="$key_file" \
    >/dev/null 2>"$dir/again.err"; then
  fail "key create overwrote an existing key file"
fi
grep -q "refusing to overwrite" "$dir/again.err" ||
  fail "key create over an existing file: $(cat "$dir/again.err")"
cmp -s "$key_file" "$dir/key.json.orig" ||
  fail "key create changed an existing key file"
echo "ok: key create refuses to overwrite keys/key.json"

# tokenctl's own exchange: signs the SA JWT from the key file, prints the
# CreateIamTokenResponse. The Python client verifies that token too.
ctl "$dir/ctl_token.json" "$dir/ctl_token.err" iam token --key="$key_file"
echo "ok: tokenctl iam token --key=keys/key.json"

if ! PYTHONPATH="$dir/gen" "$python" -s "$client" client "$addr" \
    "$dir/pki/ca.pem" "$dir/data" "$issuer" "$key_file" "$sa_id" \
    "$dir/key_create.json" "$dir/ctl_token.json"; then
  log_tail
  exit 1
fi
