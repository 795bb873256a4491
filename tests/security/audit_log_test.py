"""The audit log on the real binary (issue 18 item 4).

Usage: audit_log_test.py live HTTP DATA_DIR PID TOKENCTL
       audit_log_test.py after DATA_DIR TOKENCTL

tokend runs with --audit_log=DATA_DIR/audit.log, a symlink to a1.log
(audit_log_test.sh). `live`: calls of every audited kind, then what each
line says, that no secret or token is in it, and its chain, checked here
with Python's own HMAC from the key file as README specifies it; then a
write failure (the symlink turned to /dev/full, SIGHUP) seen in /metrics
and /healthz, and a rotation to a2.log. `after` (tokend stopped): the
refused guesses' aggregate, and the chain across both files.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import sys
import time


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def check(cond, what, detail=""):
    if not cond:
        fail("%s%s" % (what, (": " + str(detail)) if detail != "" else ""))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keys:
    """README's derivation, independently of tokend's code."""

    def __init__(self, data):
        secret = open(os.path.join(data, "audit.key"), "rb").read().strip()
        self.secret = secret.decode()
        self.id_key = hmac.new(secret, b"tokend audit secret id v1",
                               hashlib.sha256).digest()
        self.chain_key = hmac.new(secret, b"tokend audit chain v1",
                                  hashlib.sha256).digest()

    def secret_id(self, value):
        return "hmac-sha256:" + hmac.new(self.id_key, value.encode(),
                                         hashlib.sha256).hexdigest()

    def link(self, line):
        return b64url(hmac.new(self.chain_key, line.encode(),
                               hashlib.sha256).digest())


def read_lines(path):
    with open(path) as f:
        text = f.read()
    check(text.endswith("\n"), "%s ends with a whole line" % path)
    return text[:-1].split("\n")


def check_chain(keys, lines, prev=""):
    """Every line's prev is the HMAC of the line before; returns the head."""
    for n, line in enumerate(lines, 1):
        doc = json.loads(line)
        check(list(doc)[:3] == ["prev", "event", "ts"],
              "line %d starts with prev, event, ts" % n, line[:80])
        check(doc["prev"] == prev, "line %d links to the line before" % n,
              (doc["prev"], prev))
        prev = keys.link(line)
    return prev


def tokenctl(binary, data, *args, stdin=None):
    return subprocess.run([binary, "--audit_key_file=" + data + "/audit.key",
                           "audit"] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=60)


def live(address, data, pid, binary):
    host, port = address.rsplit(":", 1)
    admin = open(os.path.join(data, "admin.key")).read().strip()
    keys = Keys(data)

    def call(method, path, body=None, headers=None, source="127.0.0.1"):
        c = http.client.HTTPConnection(host, int(port), timeout=30,
                                       source_address=(source, 0))
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path,
                  body=json.dumps(body) if body is not None else None,
                  headers=h)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw.decode(errors="replace")

    def ok(method, path, body=None, credential=admin, raw=False):
        headers = {"Authorization": credential if raw else
                   "Bearer " + credential}
        s, b = call(method, path, body, headers)
        check(s == 200, "%s %s" % (method, path), (s, b))
        return b

    # Calls of every audited kind; the values the log must name.
    sk_doc = ok("POST", "/v1/admin/api-keys",
                {"surface": "sessions", "name": "audit-sk"})
    sck_doc = ok("POST", "/v1/admin/api-keys",
                 {"surface": "scoped", "name": "audit-sck"})
    sk, sck = sk_doc["secret"], sck_doc["secret"]
    scoped = ok("POST", "/auth/issue-token", {"scope": "user_id:u1"},
                sck)["token"]
    user = ok("POST", "/v1/users", {"first_name": "Ada"}, sk)
    session = ok("POST", "/v1/sessions", {"user_id": user["id"]}, sk)
    sid, client = session["id"], session["client_token"]
    session_jwt = ok("POST", "/v1/sessions/%s/tokens" % sid, {}, sk)["jwt"]
    client_jwt = ok("POST", "/v1/client/sessions/%s/tokens" % sid, {}, client,
                    raw=True)["jwt"]
    account = ok("POST", "/iam/v1/serviceAccounts", {"name": "audited"})
    oauth = ok("POST", "/v1/admin/oauthTokens", {"accountId": account["id"]})
    s, b = call("POST", "/iam/v1/tokens",
                {"yandexPassportOauthToken": oauth["token"]})
    check(s == 200, "IAM Create with the OAuth token", (s, b))
    iam = b["iamToken"]
    s, b = call("POST", "/iam/v1/tokens:revoke", {"iamToken": iam})
    check(s == 200, "IAM Revoke", (s, b))
    ok("POST", "/v1/sessions/%s/revoke" % sid, {}, sk)
    ok("POST", "/v1/admin/api-keys/%s:revoke" % sck_doc["apiKey"]["id"])
    # Reads leave no line.
    ok("GET", "/v1/admin/api-keys")
    s, _ = call("GET", "/v1/jwks")
    check(s == 200, "GET /v1/jwks")
    # Guesses from 127.0.0.5: counted into the minute's aggregate.
    for i in range(3):
        s, _ = call("POST", "/auth/issue-token", {"scope": "user_id:u1"},
                    {"Authorization": "Bearer sck_wrong%d" % i},
                    source="127.0.0.5")
        check(s == 401, "guess %d refused" % i, s)

    lines = read_lines(os.path.join(data, "a1.log"))
    docs = [json.loads(line) for line in lines]
    head = check_chain(keys, lines)
    check(docs[0]["event"] == "audit_log_opened" and
          docs[0]["reason"] == "start" and docs[0]["pid"] == pid,
          "the log opens with tokend's start", docs[0])

    def one(method, **want):
        found = [d for d in docs if d.get("method", "").endswith(method) and
                 all(d.get(k) == v for k, v in want.items())]
        check(len(found) == 1, "one line for %s %s" % (method, want),
              [d.get("method") for d in docs])
        return found[0]

    def claims(jwt):
        header, payload = jwt.split(".")[:2]
        return json.loads(unb64url(header)), json.loads(unb64url(payload))

    def token_fields(jwt):
        h, p = claims(jwt)
        want = {k: h[k] for k in ("kid", "typ", "alg") if k in h}
        want.update({k: p[k] for k in ("tkd_family", "sub", "sid", "jti",
                                       "exp") if k in p})
        return want

    admin_caller = {"kind": "admin", "id": "admin",
                    "credential": keys.secret_id(admin)}
    d = one("ApiKeyService/CreateApiKey", resource={
        "response.api_key.id": sck_doc["apiKey"]["id"], "surface": "scoped"})
    check(d["event"] == "change" and d["code"] == "OK" and
          d["client"] == "127.0.0.1" and d["caller"] == admin_caller,
          "CreateApiKey: who, from where", d)
    check(d["secret"] == {"response.secret": keys.secret_id(sck)},
          "CreateApiKey: the new key as its HMAC", d)
    r = tokenctl(binary, data, "hmac", stdin=sck + "\n")
    check(r.returncode == 0 and r.stdout.strip() == keys.secret_id(sck),
          "tokenctl audit hmac finds the key's lines", (r.stdout, r.stderr))

    d = one("ScopedTokenService/IssueToken")
    check(d["event"] == "issue" and d["caller"] == {
        "kind": "api_key", "id": sck_doc["apiKey"]["id"],
        "credential": keys.secret_id(sck)}, "IssueToken: the key's id", d)
    check(d["token"] == token_fields(scoped), "IssueToken: the token's ids",
          (d["token"], token_fields(scoped)))

    d = one("SessionService/CreateSession")
    check(d["resource"] == {"response.id": sid, "user_id": user["id"]} and
          d["secret"] == {"response.client_token": keys.secret_id(client)},
          "CreateSession: the session, its client token as an HMAC", d)
    d = one("SessionTokenService/CreateSessionToken")
    check(d["resource"] == {"session_id": sid} and
          d["token"] == token_fields(session_jwt) and
          d["token"]["sid"] == sid, "CreateSessionToken", d)
    d = one("SessionTokenService/CreateClientSessionToken")
    check(d["caller"] == {"kind": "client_token", "id": sid,
                          "credential": keys.secret_id(client)} and
          d["token"] == token_fields(client_jwt),
          "CreateClientSessionToken: the client token's session", d)

    d = one("OAuthTokenService/Create")
    check(d["event"] == "issue" and
          d["secret"] == {"response.token": keys.secret_id(oauth["token"])} and
          d["resource"]["response.oauth_token.account_id"] == account["id"],
          "OAuthTokenService/Create", d)
    d = one("IamTokenService/Create")
    check(d["caller"] == {"kind": "anyone"} and
          d["secret"] == {"yandex_passport_oauth_token":
                          keys.secret_id(oauth["token"])} and
          d["token"]["sub"] == account["id"] and
          d["token"] == token_fields(iam), "IamTokenService/Create", d)
    d = one("IamTokenService/Revoke")
    check(d["event"] == "revoke" and d["token"]["jti"] == claims(iam)[1]["jti"]
          and d["secret"] == {"iam_token": keys.secret_id(iam)},
          "IamTokenService/Revoke names the token by jti", d)
    one("SessionService/RevokeSession", event="revoke",
        resource={"session_id": sid})
    one("ApiKeyService/RevokeApiKey", event="revoke",
        resource={"id": sck_doc["apiKey"]["id"]})
    one("ServiceAccountService/Create", event="change")
    one("UserService/CreateUser", resource={"response.id": user["id"]})
    for read in ("ListApiKeys", "GetJwks"):
        check(not any(d.get("method", "").endswith(read) for d in docs),
              "no line for a read (%s)" % read)

    # tokend_env.sh searches every log tokend wrote for these at exit.
    with open(os.path.join(data, "secrets"), "a") as f:
        for secret in (sk, sck, client, oauth["token"], scoped, session_jwt,
                       client_jwt, iam):
            f.write(secret + "\n")
    text = "\n".join(lines)
    for name, secret in [("admin key", admin), ("sk_", sk), ("sck_", sck),
                         ("client token", client), ("OAuth token",
                                                    oauth["token"]),
                         ("audit key", keys.secret)]:
        check(secret not in text, "the %s is not in the audit log" % name)
    for name, jwt in [("scoped", scoped), ("session", session_jwt),
                      ("client", client_jwt), ("IAM", iam)]:
        for part in jwt.split("."):
            check(part not in text, "no part of the %s token in the log" % name)
    check("eyJ" not in text, "no JWT-like text in the audit log")
    print("ok: %d lines name who did what to which resource, tokens by "
          "kid/sub/jti, secrets as HMACs; chain verified independently"
          % len(lines))

    # Tampering, as tokenctl reports it.
    r = tokenctl(binary, data, "verify", os.path.join(data, "a1.log"))
    check(r.returncode == 0 and ("verified %d lines" % len(lines)) in r.stdout
          and head in r.stdout, "tokenctl audit verify", (r.stdout, r.stderr))
    for what, edit in [
            ("an edited line", lambda l: l[:4] + [l[4].replace(
                '"code":"OK"', '"code":"NOT_FOUND"')] + l[5:]),
            ("a removed line", lambda l: l[:4] + l[5:]),
            ("a removed head", lambda l: l[2:])]:
        copy = os.path.join(data, "tampered.log")
        with open(copy, "w") as f:
            f.write("\n".join(edit(lines)) + "\n")
        r = tokenctl(binary, data, "verify", copy)
        check(r.returncode == 1 and "tampered.log:" in r.stderr,
              "tokenctl audit verify refuses %s" % what, (r.stdout, r.stderr))
    print("ok: tokenctl audit verify passes the log and refuses an edited "
          "line, a removed line and a removed head")

    # A write failure: reported by /metrics and health, the call answered.
    def metric(name):
        s, text = call("GET", "/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        fail("no %s in /metrics" % name)

    def healthz_becomes(status):
        deadline = time.monotonic() + 30  # Maintain runs every <= 3.4 s
        while time.monotonic() < deadline:
            s, _ = call("GET", "/healthz")
            if s == status:
                return
            time.sleep(0.1)
        fail("/healthz never answered %d" % status)

    link = os.path.join(data, "audit.log")
    check(metric("tokend_audit_log_healthy") == 1, "healthy before")
    os.remove(link)
    os.symlink("/dev/full", link)
    os.kill(pid, signal.SIGHUP)
    ok("POST", "/v1/admin/api-keys", {"surface": "scoped", "name": "lost"})
    check(metric("tokend_audit_write_failures_total") >= 1 and
          metric("tokend_audit_log_healthy") == 0,
          "/metrics reports the failed writes")
    healthz_becomes(503)
    os.remove(link)
    os.symlink(os.path.join(data, "a2.log"), link)
    os.kill(pid, signal.SIGHUP)
    healthz_becomes(200)
    check(metric("tokend_audit_log_healthy") == 1, "healthy after")
    # The old file's last line as it stands now: SIGHUP is handled on
    # tokend's signal thread, so the "lost" call above may have been written
    # to a1.log before the switch to /dev/full (the failed write is then the
    # reopen's own line).
    head = check_chain(keys, read_lines(os.path.join(data, "a1.log")))
    second = read_lines(os.path.join(data, "a2.log"))
    first = json.loads(second[0])
    check(first["event"] == "audit_log_opened" and
          first["reason"] == "reopen" and first["prev"] == head,
          "the new file links to the old file's last line", first)
    print("ok: a failed write shows in /metrics and /healthz (503) until "
          "the log is writable again; the reopened file continues the chain")


def after(data, binary):
    keys = Keys(data)
    a1 = read_lines(os.path.join(data, "a1.log"))
    a2 = read_lines(os.path.join(data, "a2.log"))
    check_chain(keys, a2, check_chain(keys, a1))
    refused = [json.loads(l) for l in a2 if '"event":"refused"' in l]
    check(any(d["client"] == "127.0.0.5" and d["unauthenticated"] == 3 and
              d["rate_limited"] == 0 and d["interval_s"] == 60
              for d in refused), "the guesses' aggregate", refused)
    r = tokenctl(binary, data, "verify", os.path.join(data, "a1.log"),
                 os.path.join(data, "a2.log"))
    check(r.returncode == 0 and "continues an earlier" not in r.stdout,
          "tokenctl audit verify across the rotation", (r.stdout, r.stderr))
    r = tokenctl(binary, data, "verify", os.path.join(data, "a2.log"))
    check(r.returncode == 0 and "continues an earlier" in r.stdout,
          "the second file alone says it continues another",
          (r.stdout, r.stderr))
    print("ok: refused guesses aggregated per address; the chain holds "
          "across the rotation")


if sys.argv[1] == "live":
    live(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
else:
    after(sys.argv[2], sys.argv[3])
