#!/usr/bin/env bash
# Instructions per call of tokend (valgrind --tool=callgrind), by library, for
# bench/e2e's workloads: unlike rates on this shared VM, instruction counts
# repeat to within a few per cent, so they show what a code change saved.
# They count user-space work only (no kernel, no cache misses) and callgrind
# runs tokend's threads one at a time, so they complement bench/e2e's rates
# rather than predict them.
#
#   bench/ir_per_call.sh [W0 ... W8, default W0 W1 W2 W5 W7]
#   CALLS=3000 TOP=15 CONCURRENCY=1 bench/ir_per_call.sh W5 bare:W5
# bare:Wn (or barefront:Wn) measures the bare server instead
# (//bench:server_model_probe with Wn's raw crypto, without or with tokend's
# HTTP/2 front), so tokend's own instructions per call are the difference.
# For each workload: a fresh tokend under callgrind, 300 calls to warm it,
# counters zeroed, then CALLS calls at concurrency 16 (gRPC: loadgen --count;
# REST: wrk for REST_SECS seconds, counting its requests). Prints Ir per call,
# the libraries' shares and the TOP functions by exclusive count.
# CG_KEEP=dir keeps each callgrind output as dir/<spec>.<calls>.cg.
# TOOL=perf counts, instead of instructions, what the kernel sees per call
# (perf stat on the running server, no valgrind): CPU time, context
# switches, CPU migrations, page faults and system calls: what callgrind
# cannot show, the cost of threads handing a call to each other.
set -euo pipefail
shopt -s inherit_errexit
source "$(dirname "$0")/lib.sh"
tool=${TOOL:-callgrind}
case $tool in
  callgrind) command -v valgrind >/dev/null || die "valgrind missing (tools/setup)" ;;
  perf) command -v perf >/dev/null || die "perf missing (TOOL=perf only)" ;;
  *) die "TOOL: callgrind or perf" ;;
esac
command -v wrk >/dev/null || die "wrk missing (tools/setup)"
calls=${CALLS:-3000}
workloads=("$@")
[ $# -gt 0 ] || workloads=(W0 W1 W2 W5 W7)
bench_build //server:tokend //tools/loadgen //tools/tokenctl //bench:mint_token \
  //bench:server_model_probe
declare -A bare_work=([W0]=none [W1]=ps256v+es256 [W2]=es256 [W3]=rs256
  [W4]=rs256 [W5]=es256 [W6]=es256v)
bench_tmpdir
workloads_setup

summary() {  # callgrind.out calls
  /usr/bin/python3 - "$1" "$2" "${TOP:-12}" <<'PY'
import collections, re, subprocess, sys
path, calls, top = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", path],
                     capture_output=True, text=True, check=True).stdout
total, by_lib, funcs, entries = 0, collections.Counter(), [], set()
rows = []
for line in out.splitlines():
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
    if m:
        rows.append((int(m.group(1).replace(",", "")), m.group(2)))
total = next(n for n, what in rows if "PROGRAM TOTALS" in what)
# Thread entry points (clone, start_thread, gpr's unnamed thread start,
# std::thread's, the sync server's workers, and unnamed trampolines with the
# same count) are listed with inclusive counts; not work of their own.
for n, what in rows:
    unnamed_gpr = re.match(r"\?\?\?:0x[0-9a-f]+ \[.*libgpr", what)
    if (unnamed_gpr and n > 0.3 * total) or n > 0.9 * total or any(
            entry in what for entry in ("WorkerThread::Run", "std::thread::_State_impl",
                                        "start_thread", "clone.S")):
        entries.add(n)
for n, what in rows:
    if "PROGRAM TOTALS" in what or n in entries:
        continue
    lib = re.search(r"\[([^\]]+)\]\s*$", what)
    lib = re.sub(r"\.so[.\d]*$", "", lib.group(1).split("/")[-1]) if lib else "?"
    by_lib[lib] += n
    funcs.append((n, re.sub(r"\s*\[[^\]]+\]\s*$", "", what).replace("???:", "")[:100], lib))
print(f"  {total / calls:,.0f} instructions per call")
print("  " + ", ".join(f"{lib} {n / calls:,.0f}" for lib, n in by_lib.most_common(8)))
for n, f, lib in sorted(funcs, reverse=True)[:top]:
    print(f"    {n / calls:>9,.0f}  {f}  [{lib}]")
PY
}

perf_events=task-clock,context-switches,cpu-migrations,page-faults,raw_syscalls:sys_enter
perf_summary() {  # perf.csv calls
  awk -F, -v calls="$2" '$3 != "" && $1 ~ /^[0-9.]+$/ {
    unit = $3 == "task-clock" ? " µs CPU" : " " $3
    v = $3 == "task-clock" ? $1 * 1000 / calls : $1 / calls
    printf "  %9.2f%s per call\n", v, unit }' "$1"
}
# Starts counting (callgrind: zero its counters; perf: attach perf stat).
count_start() {
  if [ "$tool" = perf ]; then
    perf stat -x, -e "$perf_events" -p "$pid" -o "$out/perf.csv" &
    perf_pid=$!
    sleep 0.3  # perf stat attaches before the counted calls start
  else
    callgrind_control -z "$pid" >/dev/null || die "callgrind_control -z failed"
  fi
}
count_stop() {
  if [ "$tool" = perf ]; then
    kill -INT "$perf_pid" && wait "$perf_pid" || true
  else
    callgrind_control -d "$pid" >/dev/null || die "callgrind_control -d failed"
  fi
}
out=$dir/cg  # removed with $dir on exit
mkdir -p "$out"
for spec in "${workloads[@]}"; do
  w=${spec#*:}
  rm -f "$out"/cg.*
  wrapper="valgrind --tool=callgrind --callgrind-out-file=$out/cg.%p"
  [ "$tool" = perf ] && wrapper=
  method=${wl_method[$w]:-} request=${wl_request[$w]:-} metadata=${wl_metadata[$w]:-}
  case $spec in
    bare:* | barefront:*)
      [ -n "${bare_work[$w]:-}" ] || die "$spec: no bare server for $w"
      front=; [[ $spec == barefront:* ]] && front=--front
      PROBE_WRAPPER=$wrapper probe_start --work="${bare_work[$w]}" $front
      method=tokend.scoped.v1.ScopedTokenService/IssueToken request='{}' metadata= ;;
    *) TOKEND_WRAPPER=$wrapper tokend_start --issuer="$issuer" ;;
  esac
  if [ -n "$method" ]; then
    lg() { "$bin/tools/loadgen/loadgen" --target="$grpc" --method="$method" \
      --request="$request" --metadata="$metadata" --warmup=0s --json "$@"; }
    lg --concurrency=1 --count=300 >/dev/null
    count_start
    c=${CONCURRENCY:-16}
    n=$(lg --concurrency="$c" --channels=$((c < 2 ? 1 : 2)) --count="$calls" | /usr/bin/python3 -c \
      'import json,sys; d=json.load(sys.stdin); print(d["ok"] if d["errors"] == 0 else -1)')
  else
    lua=(); [ "$w" = W7 ] && lua=(-s "$dir/post.lua")
    wrk -t1 -c4 -d3s "${lua[@]}" "http://$http${wl_path[$w]}" >/dev/null
    count_start
    n=$(wrk -t1 -c16 -d"${REST_SECS:-15}s" "${lua[@]}" "http://$http${wl_path[$w]}" |
      awk '/requests in/ {print $1} /Non-2xx/ {print -1; exit}' | tail -n1)
  fi
  count_stop
  tokend_stop
  [ "${n:-0}" -gt 0 ] || die "$spec: calls failed"
  echo "$spec ($n calls):"
  if [ "$tool" = perf ]; then
    perf_summary "$out/perf.csv" "$n"
    continue
  fi
  summary "$(ls "$out"/cg.*.1)" "$n"
  if [ -n "${CG_KEEP:-}" ]; then  # for callgrind_annotate --inclusive=yes
    mkdir -p "$CG_KEEP" && cp "$(ls "$out"/cg.*.1)" "$CG_KEEP/${spec/:/-}.$n.cg"
  fi
done
