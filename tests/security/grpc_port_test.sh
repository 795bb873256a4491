#!/usr/bin/env bash
# The public gRPC port under hostile clients (issue 17), served by tokend's
# own HTTP/2 front (libnghttp2). tokend runs under
# `prlimit --nofile=1024:4096` (a common default soft limit below the hard
# one). Attackers connect from 127.0.0.2 and up, a normal client
# (health_client.py, python3-grpcio) from 127.0.0.1, whose Health/Check must
# succeed during and after every attack, and RSS must stay under 128 MiB
# (256 MiB with 4,000 connections open):
#   streams       50,000 never-finished streams on one connection: at most
#                 MAX_CONCURRENT_STREAMS (100) taken
#   rapid_reset   100,000 HEADERS + RST_STREAM pairs: the connection is
#                 ended (nghttp2's reset rate limit)
#   continuation  100 MB of CONTINUATION frames: the connection is ended
#   big_header    a 1 MB header block in one write is not answered; 16 KiB
#                 of metadata from a real client is INVALID_ARGUMENT
#   silent        1,100 connections from one address that never send a
#                 byte: the per-address cap refuses most, others get in
#   idle          5,000 connections after the preface from 25 addresses,
#                 more than the hard open-file limit: a connected client is
#                 served meanwhile, and the listener accepts once they go
set -euo pipefail
here="$TEST_SRCDIR/tokend/tests/security"
tokend="$TEST_SRCDIR/tokend/server/tokend"
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"
python=/usr/bin/python3
"$python" -s -c 'import grpc' || { echo "FAIL: need python3-grpcio"; exit 1; }
command -v prlimit >/dev/null || { echo "FAIL: prlimit missing (util-linux)"; exit 1; }

dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/grpc_port.XXXXXX")
pid=
fail() { echo "FAIL: $*"; [ -f "$dir/log" ] && tail -n 20 "$dir/log"; exit 1; }
trap '[ -n "$pid" ] && kill $pid 2>/dev/null
      [ -n "${client_PID:-}" ] && kill $client_PID 2>/dev/null
      wait 2>/dev/null || true' EXIT

prlimit --nofile=1024:4096 "$tokend" --data_dir="$dir/data" --grpc_listen=127.0.0.1:0 \
  --http_listen=127.0.0.1:0 --ready_file="$dir/ready" --log_requests=false \
  --drain_delay=0s 2>"$dir/log" &
pid=$!
wait_until $pid test -s "$dir/ready" || fail "tokend not ready"
grpc=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
[ "$(awk '$1 == "Max" && $2 == "open" {print $4}' /proc/$pid/limits)" = 4096 ] ||
  fail "the soft open-file limit was not raised to the hard one"

rss_mib() { awk '$1 == "VmRSS:" {printf "%d", $2 / 1024}' "/proc/$pid/status"; }
check_rss() {  # what [MiB]
  [ "$(rss_mib)" -lt "${2:-128}" ] || fail "$1: RSS $(rss_mib) MiB"
}
coproc client { "$python" -s "$here/health_client.py" "$grpc"; }
health() {  # kept|new|big what
  echo "$1" >&"${client[1]}"
  local reply
  read -r -t 30 reply <&"${client[0]}" || fail "no answer from the client $2"
  [ "$reply" = ok ] || fail "Health/Check ($1) $2: $reply"
}
attack() {  # attack n seconds source: prints the attacker's JSON line
  "$python" -s "$here/h2_attack.py" "$1" "$grpc" "$2" "$3" "$4"
}
expect() {  # json python-condition what
  "$python" -s -c "import json, sys; r = json.loads(sys.argv[1]); assert $2, r" \
    "$1" || fail "$3: $1"
}
health kept "at start"
health new "at start"

out=$(attack streams 50000 20 127.0.0.2)
echo "streams: $out"
expect "$out" 'r["settings"].get("max_concurrent_streams") == 100' streams
expect "$out" 'r["refused"] >= 1 or r["closed"]' streams
check_rss streams
health new "after 50,000 streams on one connection"
echo "ok: streams bounded at 100 per connection, RSS $(rss_mib) MiB"

out=$(attack rapid_reset 100000 20 127.0.0.3)
echo "rapid_reset: $out"
expect "$out" 'r["closed"] or r["goaway"] is not None' rapid_reset
expect "$out" 'r["resets_sent"] < 100000' rapid_reset
check_rss rapid_reset
health new "after rapid reset"
echo "ok: rapid reset ended the connection, RSS $(rss_mib) MiB"

out=$(attack continuation 100000000 20 127.0.0.4)
echo "continuation: $out"
expect "$out" 'r["closed"] or r["goaway"] is not None' continuation
expect "$out" 'r["bytes_sent"] < 100000000' continuation
check_rss continuation
health new "after a CONTINUATION flood"
echo "ok: CONTINUATION flood ended the connection, RSS $(rss_mib) MiB"

out=$(attack big_header 1000000 5 127.0.0.5)
echo "big_header: $out"
expect "$out" 'r["refused"] and not r["answered"]' big_header
health big "with 16 KiB of metadata"
check_rss big_header
health new "after oversized header blocks"
echo "ok: header blocks over the limit refused, RSS $(rss_mib) MiB"

held() {  # attack n source what: holds the connections while `what` runs
  local attack=$1 n=$2 source=$3 apid; shift 3
  mkfifo "$dir/$attack.in"
  attack "$attack" "$n" 60 "$source" <"$dir/$attack.in" >"$dir/$attack.out" &
  apid=$!
  exec {hold}>"$dir/$attack.in"
  wait_until $apid test -s "$dir/$attack.out" || fail "$attack: attacker did not report"
  echo "$attack: $(cat "$dir/$attack.out")"
  "$@"
  exec {hold}>&-
  wait $apid || fail "$attack: the attacker failed"
}
while_silent() {
  grep -q '"connections": 1100,' "$dir/silent.out" || fail "silent: $(cat "$dir/silent.out")"
  health new "while 1,100 silent connections from one address are held"
}
held silent 1100 127.0.0.6 while_silent
health new "after 1,100 silent connections closed"
echo "ok: one address cannot hold the port; RSS $(rss_mib) MiB"

fds() { ls /proc/$pid/fd | wc -l; }
fds_at_least() { [ "$(fds)" -ge "$1" ]; }
while_idle() {
  # The attacker's connections complete in the kernel's backlog; tokend
  # accepts them until its descriptors run out.
  wait_until $pid fds_at_least 4000 ||
    fail "idle: only $(fds) descriptors in use, the limit was not reached"
  echo "idle: tokend holds $(fds) descriptors, RSS $(rss_mib) MiB"
  health kept "while every descriptor is in use"
  check_rss idle 256  # about 20 KiB per open HTTP/2 connection
}
health kept "before the idle connections"  # Not idle itself meanwhile.
held idle 5000 127.0.0.10-34 while_idle
health new "after the idle connections closed"
echo "ok: past the hard open-file limit a connected client is served, and the listener accepts again"
kill $pid; wait $pid || true; pid=
echo PASS
