# Shared by the bench/ scripts: build, start tokend on CPU 0, drive load from
# CPU 1 with tools/loadgen (gRPC) or wrk (REST), and measure tokend's own CPU
# time over each run (utime + stime from /proc/<pid>/stat).
#
#   source "$(dirname "$0")/lib.sh"     (after set -euo pipefail; cds to the repo)
#   bench_build //server:tokend ...     builds -c opt with ${BAZEL:-bazel}, sets $bin
#   bench_tmpdir                        sets $dir (removed on exit, tokend killed)
#   tokend_start [flags...]             starts tokend on $dir, sets $pid $grpc $http
#   tokend_stop                         (also stops a probe)
#   probe_start [flags...]              starts //bench:server_model_probe instead
#   grpc_load METHOD REQUEST CONCURRENCY [METADATA]   -> loadgen JSON + "server_cpu"
#   wrk_load CONCURRENCY PATH [LUA]     -> one JSON line, loadgen-like + "server_cpu"
#
# Set `secs` (seconds per run) before calling the load functions.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel_cmd=${BAZEL:-bazel}
pid=
dir=

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

bench_build() {
  $bazel_cmd build -c opt "$@" >&2 || die "build failed"
  bin=$($bazel_cmd info -c opt bazel-bin 2>/dev/null) || die "bazel info failed"
}

bench_cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "${dir:-}" ]; then rm -rf "$dir"; fi
}

bench_tmpdir() {
  dir=$(mktemp -d)
  trap bench_cleanup EXIT
}

# Starts tokend pinned to CPU 0 on $dir; extra flags are passed through.
# Sets pid, grpc, http, and start_ns (date +%s%N just before exec).
tokend_start() {
  rm -f "$dir/ready"
  start_ns=$(date +%s%N)
  taskset -c 0 "$bin/server/tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 \
    --http_listen=127.0.0.1:0 --ready_file="$dir/ready" --log_requests=false \
    "$@" 2>>"$dir/log" &
  pid=$!
  local i
  for i in $(seq 2000); do
    [ -s "$dir/ready" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; pid=; die "tokend exited during start-up"; }
    sleep 0.005
  done
  [ -s "$dir/ready" ] || { cat "$dir/log" >&2; die "tokend not ready after 10 s"; }
  grpc=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
  http=$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")
}

# The bare gRPC server with a workload's raw crypto (bench/server_model_probe.cc)
# on CPU 0, in place of tokend; sets pid and grpc.
probe_start() {
  rm -f "$dir/probe.ready"
  taskset -c 0 "$bin/bench/server_model_probe" --ready_file="$dir/probe.ready" \
    "$@" 2>>"$dir/probe.log" &
  pid=$!
  local i
  for i in $(seq 1000); do
    [ -s "$dir/probe.ready" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/probe.log" >&2; pid=; die "probe exited during start-up"; }
    sleep 0.01
  done
  [ -s "$dir/probe.ready" ] || die "probe not ready after 10 s"
  grpc=127.0.0.1:$(cat "$dir/probe.ready")
}

tokend_stop() {
  [ -n "$pid" ] || return 0
  kill "$pid"; wait "$pid" || true; pid=
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# tokend's share of one CPU between two (ticks, time) samples.
cpu_share() {  # c0 t0 -> share
  awk -v c0="$1" -v c1="$(cpu_ticks)" -v t0="$2" -v t1="$(date +%s.%N)" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", (c1 - c0) / hz / (t1 - t0) }'
}

grpc_load() {  # method request concurrency [metadata] -> loadgen's JSON plus "server_cpu"
  local t0 c0 out
  t0=$(date +%s.%N); c0=$(cpu_ticks)
  out=$(taskset -c 1 "$bin/tools/loadgen/loadgen" --target="$grpc" --method="$1" \
    --request="$2" --metadata="${4:-}" --concurrency="$3" \
    --channels=$(( $3 < 2 ? 1 : 2 )) --duration="${secs}s" --warmup=2s --json) \
    || die "loadgen failed: $1 c=$3"
  # The server's share of one CPU over warm-up and run alike (same load).
  printf '%s' "${out%\}},\"server_cpu\":$(cpu_share "$c0" "$t0")}"
}

# wrk reports through a done() hook appended to the request script: requests,
# errors, and latency percentiles (us) including p99.9, which --latency's
# table lacks. A 2 s wrk run at the same concurrency warms up first.
wrk_load() {  # concurrency path [lua] -> JSON line with loadgen's field names
  local script="$dir/wrk.$$.lua" t0 c0 out
  { [ -n "${3:-}" ] && cat "$3"; cat <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"calls":%d,"elapsed_s":%.6f,"errors":%d,"status_errors":%d,"throughput":%.3f,' ..
    '"latency_us":{"mean":%.1f,"p50":%.1f,"p99":%.1f,"p999":%.1f,"max":%.1f}}\n',
    summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout + e.status, e.status,
    summary.requests / (summary.duration / 1e6),
    latency.mean, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
LUA
  } >"$script"
  taskset -c 1 wrk -t1 -c"$1" -d2s -s "$script" "http://$http$2" >/dev/null 2>&1 \
    || die "wrk warm-up failed: $2 c=$1"
  t0=$(date +%s.%N); c0=$(cpu_ticks)
  out=$(taskset -c 1 wrk -t1 -c"$1" -d"${secs}s" --latency -s "$script" "http://$http$2" 2>&1) \
    || die "wrk failed: $2 c=$1"
  local share; share=$(cpu_share "$c0" "$t0")
  out=$(printf '%s\n' "$out" | grep '^{"calls"' | tail -n1)
  [ -n "$out" ] || die "wrk printed no summary: $2 c=$1"
  printf '%s' "${out%\}},\"server_cpu\":$share}"
}

vm_kib() {  # field (VmRSS, VmHWM) of tokend -> KiB
  awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status"
}
