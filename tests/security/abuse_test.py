"""Hostile clients over REST (issue 18), from several loopback addresses.

Usage: abuse_test.py HTTP_ADDRESS ADMIN_KEY

tokend runs with --rate_limits=clerk_backend=5/1m,courier=5/1m,iam=5/1m,
clerk_frontend=5/1m --lockout=30/1h --trusted_proxies=127.0.0.9/32
(abuse_test.sh). Each part uses its own source address, so their limits
and lockouts do not meet:
  127.0.0.1  setup (API keys)
  127.0.0.2  rate limits in each surface's shape
  127.0.0.3  Frontend API limited per address, before the credential check
  127.0.0.4  X-Forwarded-For from an untrusted peer changes nothing
  127.0.0.9  a trusted balancer: X-Forwarded-For names the client
  127.0.0.6  brute force: locked out after the budget, right key included
  127.0.0.7  an innocent neighbour: served while .6 is locked out
"""

import http.client
import json
import sys

address, admin_key = sys.argv[1], sys.argv[2]
host, port = address.rsplit(":", 1)


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def check(cond, what, detail=""):
    if not cond:
        fail("%s%s" % (what, (": " + str(detail)) if detail != "" else ""))


def call(source, method, path, body=None, headers=None):
    """(status, headers lowercased, parsed JSON body or raw bytes)."""
    c = http.client.HTTPConnection(host, int(port), timeout=30,
                                   source_address=(source, 0))
    h = {"Content-Type": "application/json"} if body is not None else {}
    h.update(headers or {})
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return r.status, hdrs, parsed


def bearer(key):
    return {"Authorization": "Bearer " + key}


def api_key(surface):
    s, _, b = call("127.0.0.1", "POST", "/v1/admin/api-keys",
                   {"surface": surface, "name": "abuse-" + surface},
                   bearer(admin_key))
    check(s == 200, "create %s key" % surface, (s, b))
    return b["secret"]


def retry_after(hdrs):
    value = hdrs.get("retry-after", "")
    check(value.isdigit() and 1 <= int(value) <= 12,
          "Retry-After in whole seconds, within one refill (12 s)", hdrs)
    return int(value)


sk = api_key("sessions")
sck = api_key("scoped")
sk_locked_out = api_key("sessions")  # its own rate budget for the lockout part

# --- Rate limits in each surface's shape (127.0.0.2) ---
src = "127.0.0.2"
for i in range(5):
    s, _, b = call(src, "POST", "/v1/sessions/sess_none/tokens", {}, bearer(sk))
    check(s == 404, "Clerk BAPI call %d admitted (no such session)" % (i + 1),
          (s, b))
s, h, b = call(src, "POST", "/v1/sessions/sess_none/tokens", {}, bearer(sk))
check(s == 429, "Clerk BAPI: the sixth call is limited", (s, b))
retry_after(h)
check(b["errors"][0]["code"] == "too_many_requests" and b["clerk_trace_id"],
      "Clerk's error body", b)
print("ok: Clerk BAPI 429, Retry-After %s, %s" % (h["retry-after"],
                                                  b["errors"][0]["code"]))
# The limit is the key's, not the address's: the admin key is not limited.
s, _, b = call(src, "POST", "/v1/sessions/sess_none/tokens", {},
               bearer(admin_key))
check(s == 404, "another credential keeps its own budget", (s, b))

for i in range(5):
    s, _, b = call(src, "POST", "/auth/issue-token", {"scope": "user_id:u1"},
                   bearer(sck))
    check(s == 200, "Courier call %d admitted" % (i + 1), (s, b))
s, h, b = call(src, "POST", "/auth/issue-token", {"scope": "user_id:u1"},
               bearer(sck))
check(s == 429, "Courier: the sixth call is limited", (s, b))
check(h.get("x-should-retry") == "true", "Courier: x-should-retry: true", h)
retry_after(h)
check(set(b) == {"message", "type"}, "Courier's error body", b)
print("ok: Courier 429, x-should-retry: true, %s" % b["message"])

for i in range(5):
    s, _, b = call(src, "POST", "/iam/v1/tokens", {})
    check(s == 400, "IAM call %d admitted (validation)" % (i + 1), (s, b))
s, h, b = call(src, "POST", "/iam/v1/tokens", {})
check(s == 429 and b["code"] == 8, "IAM: the sixth call is limited", (s, b))
retry_after(h)
types = [d.get("@type") for d in b.get("details", [])]
check("type.googleapis.com/google.rpc.RetryInfo" in types,
      "google.rpc.Status with RetryInfo", b)
print("ok: IAM 429, google.rpc.Status %s" % types)

# JWKS and discovery are served from cache and never limited.
for path in ["/.well-known/jwks.json", "/.well-known/openid-configuration"]:
    for _ in range(50):
        s, _, _ = call(src, "GET", path)
        check(s == 200, "GET %s is not limited" % path, s)
print("ok: JWKS and discovery not limited")

# --- Frontend API: per client address, before the credential check ---
src = "127.0.0.3"
for i in range(5):
    s, _, b = call(src, "POST", "/v1/client/sessions/sess_none/tokens", {},
                   {"Authorization": "not-a-client-token-%d" % i})
    check(s == 401, "FAPI call %d checked" % (i + 1), (s, b))
s, h, b = call(src, "POST", "/v1/client/sessions/sess_none/tokens", {},
               {"Authorization": "yet-another"})
check(s == 429, "FAPI: the sixth call from the address is limited", (s, b))
print("ok: FAPI limited per address (429, not 401)")

# --- X-Forwarded-For: believed only from a trusted balancer ---
src = "127.0.0.4"
for i in range(5):
    s, _, _ = call(src, "POST", "/iam/v1/tokens", {},
                   {"X-Forwarded-For": "198.51.100.%d" % (i + 1)})
    check(s == 400, "spoofed X-Forwarded-For call %d" % (i + 1), s)
s, _, _ = call(src, "POST", "/iam/v1/tokens", {},
               {"X-Forwarded-For": "198.51.100.99"})
check(s == 429, "rotating X-Forwarded-For from an untrusted peer gains nothing",
      s)
src = "127.0.0.9"
for i in range(5):
    s, _, _ = call(src, "POST", "/iam/v1/tokens", {},
                   {"X-Forwarded-For": "203.0.113.50, 198.51.100.7"})
    check(s == 400, "client behind the balancer, call %d" % (i + 1), s)
s, _, _ = call(src, "POST", "/iam/v1/tokens", {},
               {"X-Forwarded-For": "203.0.113.51, 198.51.100.7"})
check(s == 429, "the client's address, not what it wrote to the left", s)
s, _, _ = call(src, "POST", "/iam/v1/tokens", {},
               {"X-Forwarded-For": "198.51.100.8"})
check(s == 400, "another client behind the same balancer", s)
print("ok: X-Forwarded-For from trusted proxies only, rightmost hop")

# --- Brute force: lockout after the budget (127.0.0.6) ---
src = "127.0.0.6"
wrong = None
for i in range(30):
    s, _, b = call(src, "GET", "/v1/users/user_none", None,
                   bearer("sk_guess_%d" % i))
    check(s == 401, "guess %d refused" % (i + 1), (s, b))
    wrong = b
for key, what in [("sk_guess_more", "a further guess"),
                  (sk_locked_out, "the right key")]:
    s, _, b = call(src, "GET", "/v1/users/user_none", None, bearer(key))
    check(s == 401, "%s from a locked-out address: 401" % what, (s, b))
    b.pop("clerk_trace_id"), wrong.pop("clerk_trace_id", None)
    check(b == wrong, "%s gets the reply a wrong key gets" % what, (b, wrong))
print("ok: locked out after 30 guesses; the right key gets the same 401")
s, _, b = call("127.0.0.7", "GET", "/v1/users/user_none", None,
               bearer(sk_locked_out))
check(s == 404, "a neighbouring address is served", (s, b))
s, _, metrics = call("127.0.0.1", "GET", "/metrics")
text = metrics.decode()
for line in ["tokend_lockouts_total 1", "tokend_lockout_refusals_total 2"]:
    check(line in text.splitlines(), "metrics: " + line,
          [l for l in text.splitlines() if l.startswith("tokend_lock")])
print("ok: the neighbour is served; metrics count the lockout")

# --- A size limit is 413 INVALID_ARGUMENT, never a 429 to retry ---
# A 40 KB body of small numbers: each "0," becomes an 11-byte
# google.protobuf.Value, so the message is five times the body, far over the
# services' 64 KiB.
s, h, b = call("127.0.0.1", "POST", "/v1/jwt_templates",
               {"name": "big", "claims": {"n": [0] * 20000}},
               bearer(admin_key))
check(s == 413, "an expanding request is 413", (s, b))
check("retry-after" not in h, "no Retry-After on a size limit", h)
print("ok: a request whose message outgrows the limit is 413: %s" %
      b["errors"][0]["long_message"])
print("PASS")
