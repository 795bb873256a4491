#!/usr/bin/env bash
# Callback API vs completion-queue API on one server core (issue 8): the
# same IssueToken handler doing nothing or one raw ES256 signature, served by
# //bench:server_model_probe on CPU 0 and driven by loadgen on CPU 1. Rates
# are per second of the server's CPU time (see bench/e2e for why).
#
#   bench/server_model.sh [seconds per run, default 8]
#   WORKS=es256 CS=16 MODELS="--model=callback;--model=callback --opt_target=throughput" bench/server_model.sh
set -euo pipefail
shopt -s inherit_errexit
secs=${1:-8}
source "$(dirname "$0")/lib.sh"
bench_build //bench:server_model_probe //tools/loadgen
bench_tmpdir

row='
import json, sys
d = json.loads(sys.stdin.read())
l, cpu = d["latency_us"], d["server_cpu"]
print("| %s | %s | %s | %.0f | %.0f%% | %.0f | %.0f | %.0f | %d |" % (*sys.argv[1:4],
      d["throughput"], 100 * cpu, d["throughput"] / cpu, l["p50"], l["p99"], d["errors"]))'
echo "| model | work | c | calls/s (wall) | server CPU | calls per CPU-s | p50 µs | p99 µs | errors |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
IFS=';' read -r -a models <<<"${MODELS:---model=callback;--model=async --threads=1;--model=async --threads=2}"
for model in "${models[@]}"; do
  for work in ${WORKS:-none es256}; do
    # shellcheck disable=SC2086  # $model is a list of flags
    probe_start $model --work=$work
    for c in ${CS:-1 16}; do
      out=$(grpc_load tokend.scoped.v1.ScopedTokenService/IssueToken '{}' $c)
      printf '%s' "$out" | python3 -c "$row" "$model" $work $c
    done
    tokend_stop
    grep -E "handler_us|tight_loop" "$dir/probe.log" | tail -n2 | paste -sd' '  | sed "s/^/  $model $work: /" >&2
  done
done
