#!/usr/bin/env bash
# The audit log on the real binary: see audit_log_test.py.
set -euo pipefail
source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"
data=$(mktemp -d "${TEST_TMPDIR:-/tmp}/audit.XXXXXX")
ln -s "$data/a1.log" "$data/audit.log"
start_tokend "$data" --audit_log="$data/audit.log"
test="$TEST_SRCDIR/tokend/tests/security/audit_log_test.py"
/usr/bin/python3 -s "$test" live "$http" "$data" "$pid" "$tokenctl" ||
  { log_tail; exit 1; }
stop
/usr/bin/python3 -s "$test" after "$data" "$tokenctl" || { log_tail; exit 1; }
