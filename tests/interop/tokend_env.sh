# Sourced by the interop drivers: start the real tokend on loopback ports
# chosen by the kernel, wait for its ready file, and stop it on exit.
#
#   source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"
#   start_tokend "$data" [extra tokend flags...]   # sets pid, grpc, http
#   ...                                             # log_tail on failure
# The caller sets `data` (the data directory, also holding the log) and may
# call stop; an EXIT trap stops tokend anyway.

tokend="$TEST_SRCDIR/tokend/server/tokend"
tokenctl="$TEST_SRCDIR/tokend/tools/tokenctl/tokenctl"
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"
pid=

fail() { echo "FAIL: $*"; exit 1; }
stop() { [ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$pid" ] && wait $pid 2>/dev/null; pid=; }
trap 'stop' EXIT
log_tail() { echo "--- tokend log (tail) ---"; tail -n 40 "$data/log"; }

start_tokend() {  # data_dir [flags...]
  local dir=$1; shift
  "$tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 \
    --http_listen=127.0.0.1:0 --ready_file="$dir/ready" "$@" 2>"$dir/log" &
  pid=$!
  wait_until $pid test -s "$dir/ready" || { log_tail; fail "tokend not ready"; }
  grpc=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
  http=$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")
}
