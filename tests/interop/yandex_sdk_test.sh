#!/usr/bin/env bash
# Issue 16: Yandex Cloud's own Node.js SDK (@yandex-cloud/nodejs-sdk) against
# the real tokend over TLS (the SDK speaks nothing else): a service account
# set up with the real tokenctl (account, authorized key file, OAuth token),
# then yandex_sdk_test.cjs drives Session, KeyService and waitForOperation.
set -euo pipefail
here="$TEST_SRCDIR/tokend/tests/interop"
source "$here/tokend_env.sh"
command -v node >/dev/null || fail "node missing"
[ -f "$here/node_modules/@yandex-cloud/nodejs-sdk/package.json" ] ||
  fail "@yandex-cloud/nodejs-sdk missing from tests/interop/node_modules (run tools/setup)"
python=/usr/bin/python3

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/yandex_sdk.XXXXXX")
mkdir -p "$dir/data" "$dir/pki"
"$python" -s "$here/iam_python_test.py" certs "$dir/pki"
start_tokend "$dir/data" \
  --tls_cert="$dir/pki/server.pem" --tls_key="$dir/pki/server.key"

ctl() {
  "$tokenctl" --server="$grpc" --tls_ca="$dir/pki/ca.pem" \
    --admin_key_file="$dir/data/admin.key" "$@"
}
field() { "$python" -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
sa=$(ctl sa create sdk-robot | field id) || { log_tail; fail "tokenctl sa create"; }
other=$(ctl sa create other-robot | field id) || fail "tokenctl sa create (other)"
ctl key create --service_account_id="$sa" --out="$dir/key.json" >/dev/null ||
  fail "tokenctl key create"
oauth=$(ctl oauth create "$sa" sdk-oauth | field token) || fail "tokenctl oauth create"

# grpc-js reads its trust roots from this variable when it loads.
if ! GRPC_DEFAULT_SSL_ROOTS_FILE_PATH="$dir/pki/ca.pem" NODE_PATH="$here/node_modules" \
    node "$here/yandex_sdk_test.cjs" "$grpc" "$dir/key.json" "$oauth" "$other"; then
  log_tail; exit 1
fi
stop
echo PASS
