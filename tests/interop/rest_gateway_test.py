"""REST gateway checks (issue 4), every request made by /usr/bin/curl.

Usage: rest_gateway_test.py MODE BASE_URL CA_PEM_OR_EMPTY KEY_JSON ADMIN_KEY OUT_DIR
Writes OUT_DIR/iam_token for the jose check that follows.
"""

import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
import time


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


class Http:
    def __init__(self, base, ca):
        self.base = base
        self.ca = ca

    def call(self, method, path, body=None, headers=None, raw_args=None):
        """(status, headers lowercased -> last value, body bytes)."""
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "body")
            hdr = os.path.join(tmp, "headers")
            args = ["/usr/bin/curl", "-sS", "-X", method, "-o", out, "-D", hdr,
                    "-w", "%{http_code}", "--max-time", "30"]
            if self.ca:
                args += ["--cacert", self.ca]
            for k, v in (headers or {}).items():
                args += ["-H", "%s: %s" % (k, v)]
            if body is not None:
                data = os.path.join(tmp, "data")
                with open(data, "wb") as f:
                    f.write(body if isinstance(body, bytes) else body.encode())
                args += ["--data-binary", "@" + data]
            args += raw_args or []
            args.append(self.base + path)
            r = subprocess.run(args, capture_output=True, text=True)
            if r.returncode != 0:
                fail("curl %s %s: %s" % (method, path, r.stderr.strip()))
            status = int(r.stdout.strip())
            parsed = {}
            with open(hdr) as f:
                for line in f:
                    if ":" in line and not line.startswith("HTTP/"):
                        k, v = line.split(":", 1)
                        parsed[k.strip().lower()] = v.strip()
            content = b""
            if os.path.exists(out):  # curl writes no file for an empty body
                with open(out, "rb") as f:
                    content = f.read()
            return status, parsed, content


def expect(cond, message):
    if not cond:
        fail(message)


def as_json(name, status, headers, body):
    expect(headers.get("content-type") == "application/json",
           "%s: Content-Type %r, want exactly application/json"
           % (name, headers.get("content-type")))
    try:
        return json.loads(body)
    except ValueError:
        fail("%s: body is not JSON: %r" % (name, body[:200]))


def expect_error(http, name, method, path, want_status, want_code,
                 contains=None, **kw):
    status, headers, body = http.call(method, path, **kw)
    expect(status == want_status,
           "%s: HTTP %d, want %d (%r)" % (name, status, want_status, body[:300]))
    doc = as_json(name, status, headers, body)
    expect(doc.get("code") == want_code,
           "%s: code %r, want %d (%r)" % (name, doc.get("code"), want_code, doc))
    expect(isinstance(doc.get("message"), str) and doc["message"],
           "%s: no message in %r" % (name, doc))
    if contains is not None:
        expect(contains in doc["message"],
               "%s: message %r lacks %r" % (name, doc["message"], contains))
    expect(headers.get("x-request-id"), "%s: no x-request-id" % name)
    print("ok: %s -> %d %s" % (name, status, doc["message"][:80]))
    return headers


def main(mode, base, ca, key_file, admin_key_file, out_dir):
    import jwt

    http = Http(base, ca)
    os.makedirs(out_dir, exist_ok=True)
    with open(key_file) as f:
        key = json.load(f)
    with open(admin_key_file) as f:
        admin = {"Authorization": "Bearer " + f.read().strip()}

    def sa_jwt(algorithm="PS256"):
        now = int(time.time())
        return jwt.encode(
            {"iss": key["service_account_id"],
             "aud": "https://iam.api.cloud.yandex.net/iam/v1/tokens",
             "iat": now, "exp": now + 3600},
            key["private_key"], algorithm=algorithm,
            headers={"kid": key["id"], "typ": "JWT"})

    json_type = {"Content-Type": "application/json"}

    # Create(jwt): the documented REST shape.
    status, headers, body = http.call(
        "POST", "/iam/v1/tokens", json.dumps({"jwt": sa_jwt()}),
        headers=dict(json_type, **{"X-Request-Id": "rest-test-1"}))
    expect(status == 200, "Create: HTTP %d %r" % (status, body[:300]))
    doc = as_json("Create", status, headers, body)
    expect(sorted(doc) == ["expiresAt", "iamToken"],
           "Create: members %r, want iamToken and expiresAt" % sorted(doc))
    expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["expiresAt"]),
           "Create: expiresAt %r is not RFC 3339 UTC" % doc["expiresAt"])
    expect(headers.get("x-request-id") == "rest-test-1",
           "Create: x-request-id %r not echoed" % headers.get("x-request-id"))
    iam_token = doc["iamToken"]
    claims = jwt.decode(iam_token, options={"verify_signature": False})
    expect(claims["sub"] == key["service_account_id"], "Create: sub")
    expires_at = calendar.timegm(
        time.strptime(doc["expiresAt"], "%Y-%m-%dT%H:%M:%SZ"))
    expect(claims["exp"] == expires_at,
           "Create: exp %r != expiresAt %r" % (claims["exp"], doc["expiresAt"]))
    with open(os.path.join(out_dir, "iam_token"), "w") as f:
        f.write(iam_token)
    print("ok: POST /iam/v1/tokens -> iamToken, expiresAt %s" % doc["expiresAt"])

    expect_error(http, "Create with a bad JWT (RS256)", "POST",
                 "/iam/v1/tokens", 401, 16, "only PS256",
                 body=json.dumps({"jwt": sa_jwt("RS256")}), headers=json_type)
    expect_error(http, "Create with no identity", "POST", "/iam/v1/tokens",
                 400, 3, "identity: One of the options must be selected",
                 body="{}", headers=json_type)
    expect_error(http, "unknown field", "POST", "/iam/v1/tokens", 400, 3,
                 "bogus", body='{"jwt":"x","bogus":1}', headers=json_type)
    expect_error(http, "malformed JSON", "POST", "/iam/v1/tokens", 400, 3,
                 body='{"jwt":', headers=json_type)
    expect_error(http, "both oneof members", "POST", "/iam/v1/tokens", 400, 3,
                 body=json.dumps({"jwt": "a", "yandexPassportOauthToken": "b"}),
                 headers=json_type)
    expect_error(http, "unsupported charset", "POST", "/iam/v1/tokens",
                 415, 3, body=json.dumps({"jwt": sa_jwt()}),
                 headers={"Content-Type": "application/json; charset=latin1"})
    expect_error(http, "text/plain is JSON", "POST", "/iam/v1/tokens", 400, 3,
                 "malformed JSON", body="jwt",
                 headers={"Content-Type": "text/plain"})
    # Yandex's documented command, verbatim: `curl --request POST --data
    # '{"jwt":"..."}' URL` -- no Content-Type, so curl labels the JSON a form.
    status, headers, body = http.call(
        "POST", "/iam/v1/tokens",
        raw_args=["--data", json.dumps({"jwt": sa_jwt()})])
    expect(status == 200, "documented curl: HTTP %d %r" % (status, body[:300]))
    expect("iamToken" in as_json("documented curl", status, headers, body),
           "documented curl: no iamToken")
    print("ok: curl --data '{\"jwt\":...}' (labelled a form) -> iamToken")
    # Yandex's two documented OAuth exchanges, verbatim but for the host
    # (yandex.cloud/en/docs/iam/operations/iam-token/create and the older
    # create-iam-token-api-steps include): no Content-Type either.
    with open(os.path.join(out_dir, "oauth_token")) as f:
        oauth = f.read()
    for args in (["--request", "POST", "--data",
                  '{"yandexPassportOauthToken":"%s"}' % oauth],
                 ["-d", "{\"yandexPassportOauthToken\":\"%s\"}" % oauth]):
        status, headers, body = http.call("POST", "/iam/v1/tokens",
                                          raw_args=args)
        doc = as_json("documented OAuth curl", status, headers, body)
        expect(status == 200 and doc.get("iamToken") and doc.get("expiresAt"),
               "documented OAuth curl %s: HTTP %d %r" % (args[0], status, doc))
        claims = jwt.decode(doc["iamToken"], options={"verify_signature": False})
        expect(claims["sub"] == key["service_account_id"],
               "OAuth exchange: sub %r" % claims.get("sub"))
    print("ok: Yandex's documented OAuth curl commands -> iamToken")
    expect_error(http, "unknown route", "GET", "/no/such/route", 404, 5)
    h = expect_error(http, "wrong method", "GET", "/iam/v1/tokens", 405, 12)
    expect(h.get("allow") == "POST", "405: Allow %r" % h.get("allow"))
    expect_error(http, "body over 64 KiB", "POST", "/iam/v1/tokens", 413, 3,
                 body='{"jwt":"' + "a" * 70000 + '"}', headers=json_type)
    status, _, _ = http.call("GET", "/healthz",
                             headers={"X-Padding": "p" * 20000})
    expect(status == 431, "header over 16 KiB: HTTP %d, want 431" % status)
    print("ok: header over 16 KiB -> 431")

    # Form body where body "*" (Verify): the same fields as JSON.
    status, headers, body = http.call(
        "POST", "/v1/tokens:verify", "token=" + iam_token + "&family=iam",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect(status == 200, "Verify (form): HTTP %d %r" % (status, body[:300]))
    doc = as_json("Verify", status, headers, body)
    expect(doc["claims"]["sub"] == key["service_account_id"], "Verify: sub")
    expect(doc["algorithm"] == "ES256", "Verify: algorithm %r" % doc)
    print("ok: POST /v1/tokens:verify (form body)")

    # Revoke, then Verify fails with 401 in google.rpc.Status form.
    status, headers, body = http.call(
        "POST", "/iam/v1/tokens:revoke", json.dumps({"iamToken": iam_token}),
        headers=json_type)
    expect(status == 200, "Revoke: HTTP %d %r" % (status, body[:300]))
    doc = as_json("Revoke", status, headers, body)
    expect(doc == {"subjectId": key["service_account_id"]},
           "Revoke: %r" % doc)
    print("ok: POST /iam/v1/tokens:revoke -> subjectId")
    expect_error(http, "Verify of a revoked token", "POST", "/v1/tokens:verify",
                 401, 16, body=json.dumps({"token": iam_token,
                                           "family": "iam"}),
                 headers=json_type)
    # A fresh token for the jose check (the first one is revoked).
    status, headers, body = http.call(
        "POST", "/iam/v1/tokens", json.dumps({"jwt": sa_jwt()}),
        headers=json_type)
    expect(status == 200, "Create again: HTTP %d" % status)
    fresh = json.loads(body)["iamToken"]
    with open(os.path.join(out_dir, "iam_token"), "w") as f:
        f.write(fresh)

    # Yandex's documented key-service command (iam/operations/authorized-key/
    # create), verbatim but for the host: the account's own IAM token.
    status, headers, body = http.call("POST", "/iam/v1/keys", raw_args=[
        "--header", "Content-Type: application/json",
        "--header", "Authorization: Bearer " + fresh,
        "--data", '{"serviceAccountId": "%s"}' % key["service_account_id"]])
    doc = as_json("documented key curl", status, headers, body)
    expect(status == 200 and doc["key"]["serviceAccountId"] ==
           key["service_account_id"] and "BEGIN PRIVATE KEY" in doc["privateKey"],
           "documented key curl: HTTP %d %r" % (status, doc))
    own = {"Authorization": "Bearer " + fresh}
    status, headers, body = http.call(
        "DELETE", "/iam/v1/keys/" + doc["key"]["id"], headers=own)
    op = as_json("delete key", status, headers, body)
    expect(status == 200 and op.get("done") is True, "delete key: %r" % op)
    status, headers, body = http.call("GET", "/operations/" + op["id"],
                                      headers=own)
    expect(status == 200 and as_json("operation", status, headers, body) == op,
           "GET /operations/{id}: HTTP %d %r" % (status, body[:300]))
    expect_error(http, "another account's keys", "GET",
                 "/iam/v1/keys?serviceAccountId=ajeother0000000000000", 403, 7,
                 headers=own)
    print("ok: a service account's IAM token manages its own keys "
          "(Yandex's documented curl), GET /operations/{id}")

    # Admin over REST: path variables and the admin credential.
    status, headers, body = http.call(
        "GET", "/iam/v1/serviceAccounts/" + key["service_account_id"],
        headers=admin)
    expect(status == 200, "Get SA: HTTP %d %r" % (status, body[:300]))
    doc = as_json("Get SA", status, headers, body)
    expect(doc.get("id") == key["service_account_id"], "Get SA: %r" % doc)
    expect_error(http, "admin route without the admin key", "GET",
                 "/v1/admin/signing-keys", 401, 16)
    status, headers, body = http.call("GET", "/v1/admin/signing-keys",
                                      headers=admin)
    expect(status == 200, "signing keys: HTTP %d" % status)
    print("ok: admin routes")

    # Discovery and JWKS with caching headers.
    status, headers, body = http.call("GET", "/.well-known/openid-configuration")
    doc = as_json("discovery", status, headers, body)
    expect(status == 200 and doc.get("issuer") == base and
           doc.get("jwks_uri") == base + "/.well-known/jwks.json",
           "discovery: %r" % doc)
    status, headers, body = http.call("GET", "/.well-known/jwks.json")
    doc = as_json("jwks", status, headers, body)
    expect(status == 200 and doc.get("keys"), "jwks: %r" % doc)
    expect(re.fullmatch(r"public, max-age=\d+", headers.get("cache-control", "")),
           "jwks: Cache-Control %r" % headers.get("cache-control"))
    etag = headers.get("etag", "")
    expect(re.fullmatch(r'"[A-Za-z0-9_-]+"', etag), "jwks: ETag %r" % etag)
    status, headers, body = http.call("GET", "/.well-known/jwks.json",
                                      headers={"If-None-Match": etag})
    expect(status == 304 and body == b"" and headers.get("etag") == etag,
           "jwks revalidation: HTTP %d %r" % (status, body[:100]))
    status, _, _ = http.call("GET", "/.well-known/jwks.json",
                             headers={"If-None-Match": '"stale"'})
    expect(status == 200, "jwks with a stale ETag: HTTP %d" % status)
    print("ok: discovery, JWKS, ETag -> 304")

    # Operations.
    status, headers, body = http.call("GET", "/healthz")
    expect(status == 200 and json.loads(body) == {"status": "SERVING"},
           "healthz: %d %r" % (status, body))
    status, headers, body = http.call("GET", "/metrics")
    text = body.decode()
    expect(status == 200 and headers.get("content-type", "").startswith(
        "text/plain; version=0.0.4"), "metrics: %d %r" % (status, headers))
    m = re.search(r'tokend_requests_total\{method="/yandex\.cloud\.iam\.v1\.'
                  r'IamTokenService/Create",code="OK"\} (\d+)', text)
    # Counted: every Create that succeeded above (one is the curl --data,
    # two the documented OAuth curls).
    expect(m and int(m.group(1)) == 5, "metrics: Create OK count %r"
           % (m and m.group(1)))
    m = re.search(r'tokend_tokens_issued_total\{kind="iam"\} (\d+)', text)
    expect(m and int(m.group(1)) == 5, "metrics: iam tokens %r"
           % (m and m.group(1)))
    expect(re.search(r'tokend_signing_keys\{slot="iam",state="active"\} 1',
                     text), "metrics: no active iam key gauge")
    expect('tokend_request_duration_seconds_bucket{method="/yandex.cloud.iam.'
           'v1.IamTokenService/Create",le="+Inf"} ' in text,
           "metrics: no latency histogram")
    print("ok: /healthz, /metrics")
    print("PASS %s" % mode, flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 7:
        fail(__doc__)
    main(*sys.argv[1:])
