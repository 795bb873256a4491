#!/usr/bin/env bash
# The gRPC front's wire behaviour against the real tokend (h2c), from an
# independent HTTP/2 client: see grpc_front_test.py.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"
python=/usr/bin/python3
"$python" -s -c 'import h2' || fail "need python3-h2"
data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/grpc_front.XXXXXX")
# Every client here is "behind" a trusted balancer; the header is optional.
start_tokend "$data" --trusted_proxies=127.0.0.1/32
"$python" -s "$TEST_SRCDIR/tokend/tests/security/grpc_front_test.py" "$grpc" \
  "$data/log" || { log_tail; exit 1; }
