# Sourced by shell tests that start a server: waits for its readiness without
# counting tries (a loaded machine makes every try slower).
#
#   source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"
#   wait_until PID COMMAND...   # e.g. wait_until $pid test -s "$dir/ready"
#
# Returns 0 once COMMAND succeeds; 1 at once if process PID has exited (its
# log says why), or after WAIT_UNTIL_SECONDS (default 60) of wall time.
wait_until() {
  local pid=$1
  shift
  local deadline=$((SECONDS + ${WAIT_UNTIL_SECONDS:-60}))
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "wait_until: process $pid exited before: $*" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "wait_until: still not true after ${WAIT_UNTIL_SECONDS:-60}s: $*" >&2
      return 1
    fi
    sleep 0.05
  done
}
