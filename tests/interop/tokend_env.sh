# Sourced by the interop drivers: start the real tokend on loopback ports
# chosen by the kernel, wait for its ready file, and stop it on exit.
#
#   source "$TEST_SRCDIR/tokend/tests/interop/tokend_env.sh"
#   start_tokend "$data" [extra tokend flags...]   # sets pid, grpc, http
#   ...                                             # log_tail on failure
# The caller sets `data` (the data directory, also holding the log) and may
# call stop; an EXIT trap stops tokend anyway.
#
# With TOKEND_STORE=postgres (each test's *_pg variant) tokend runs as a
# replica over a throwaway PostgreSQL 15: a fresh database per start, the
# master, admin and audit keys an operator would hand every replica written into
# the data dir (where tests read admin.key either way), and the issuer its
# own HTTP URL, as it defaults to with SQLite (a caller's --issuer wins).

tokend="$TEST_SRCDIR/tokend/server/tokend"
tokenctl="$TEST_SRCDIR/tokend/tools/tokenctl/tokenctl"
source "$TEST_SRCDIR/tokend/tests/testing/wait_until.sh"
source "$TEST_SRCDIR/tokend/tests/testing/postgres_env.sh"
pid=

fail() { echo "FAIL: $*"; exit 1; }
stop() { [ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$pid" ] && wait $pid 2>/dev/null; pid=; }

# Every log tokend wrote, the request log and the audit log (which every
# suite keeps, --audit_log=$data/audit.log), is searched for secrets when
# the test ends (issue 18): API keys (sk_, sck_), the admin and audit keys
# (tka_, tkau_ and the data dir's own), OAuth tokens (y0_), client tokens,
# JWTs and PEM blocks, and each line of $data/secrets, where a suite may
# list the secrets it obtained. A find fails the test, naming the line
# without the secret. The audit log's HMAC chain is checked too, with
# Python's own HMAC (README "Audit log").
scan_log_for_secrets() {
  [ -n "${data:-}" ] && [ -f "$data/log" ] || return 0
  /usr/bin/python3 -s - "$data" <<'PY' || { echo "FAIL: a secret in tokend's logs, or a broken audit chain"; return 1; }
import base64, hashlib, hmac, json, os, re, sys
data = sys.argv[1]
patterns = [r"\bsk_[A-Za-z0-9_-]{20,}", r"\bsck_[A-Za-z0-9_-]{20,}",
            r"\btka_[A-Za-z0-9_-]{20,}", r"\btkau_[A-Za-z0-9_-]{20,}",
            r"\by0_[A-Za-z0-9_-]{20,}", r"\bclient_[A-Za-z0-9_-]{40,}",
            r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.", r"-----BEGIN"]
for name in ("admin.key", "audit.key"):
    path = os.path.join(data, name)
    if os.path.exists(path):
        patterns.append(re.escape(open(path).read().strip()))
listed = os.path.join(data, "secrets")
if os.path.exists(listed):
    patterns += [re.escape(s) for s in open(listed).read().split("\n") if s]
found = 0
for log in ("log", "audit.log"):
    path = os.path.join(data, log)
    if not os.path.exists(path):
        continue
    for n, line in enumerate(open(path, errors="replace"), 1):
        for p in patterns:
            if re.search(p, line):
                found += 1
                print("secret-like %r at %s line %d: %s" % (p, log, n, re.sub(p, "<redacted>", line).strip()[:300]))
audit = os.path.join(data, "audit.log")
if os.path.exists(audit) and os.path.exists(os.path.join(data, "audit.key")):
    secret = open(os.path.join(data, "audit.key"), "rb").read().strip()
    key = hmac.new(secret, b"tokend audit chain v1", hashlib.sha256).digest()
    prev = ""
    for n, line in enumerate(open(audit).read().splitlines(), 1):
        doc = json.loads(line)
        # A rotated file starts by linking to its predecessor.
        if doc["prev"] != prev and (n > 1 or doc["event"] != "audit_log_opened"):
            found += 1
            print("audit.log line %d does not link to the line before" % n)
        prev = base64.urlsafe_b64encode(hmac.new(key, line.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
sys.exit(1 if found else 0)
PY
}
on_exit() {
  local rc=$?
  stop; pg_stop
  scan_log_for_secrets || rc=1
  exit $rc
}
trap on_exit EXIT
log_tail() { echo "--- tokend log (tail) ---"; tail -n 40 "$data/log"; }

# A loopback port free now (for an issuer that must be known at start).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Flags for a replica over PostgreSQL in `dir` (sets shared_flags).
shared_store_flags() {  # data_dir [tokend flags, to see --tls_cert]
  local dir=$1; shift
  [ -n "$pg_dir" ] || pg_start || fail "cannot start PostgreSQL"
  pg_new_database || fail "cannot create a database"
  mkdir -p "$dir"
  (umask 077
   head -c 32 /dev/urandom >"$dir/master.key"
   printf 'tka_%s\n' "$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" \
     >"$dir/admin.key"
   printf 'tkau_%s\n' "$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" \
     >"$dir/audit.key")
  local scheme=http port
  case " $* " in *" --tls_cert="*) scheme=https ;; esac
  port=$(free_port)
  shared_flags=(--store="$pg_url" --master_key_file="$dir/master.key"
    --admin_key_file="$dir/admin.key" --audit_key_file="$dir/audit.key"
    --http_listen="127.0.0.1:$port"
    --issuer="$scheme://127.0.0.1:$port")
  echo "tokend as a replica over PostgreSQL: $pg_url"
}

start_tokend() {  # data_dir [flags...]
  local dir=$1; shift
  local shared_flags=()
  if [ "${TOKEND_STORE:-sqlite}" = postgres ]; then
    shared_store_flags "$dir" "$@"
  fi
  "$tokend" --data_dir="$dir" --grpc_listen=127.0.0.1:0 \
    --http_listen=127.0.0.1:0 "${shared_flags[@]}" --ready_file="$dir/ready" --drain_delay=0s \
    --audit_log="$dir/audit.log" \
    "$@" 2>"$dir/log" &
  pid=$!
  wait_until $pid test -s "$dir/ready" || { log_tail; fail "tokend not ready"; }
  grpc=$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")
  http=$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")
}
