"""Clerk Frontend API checks (issue 5) against the real tokend, every request
made by /usr/bin/curl exactly as clerk-js / clerk-ios / Expo send them, every
token verified by PyJWT with keys fetched from tokend (or, for Firebase, with
the service account's own public key).

Usage:
  clerk_frontend_test.py firebase-key OUT_JSON     writes a Google service-
      account key file (RSA 2048, PKCS#8) for tokend --firebase_service_account
  clerk_frontend_test.py run BASE_URL SECRET_KEY FIREBASE_KEY_JSON
"""

import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rest_gateway_test import Http, expect, fail  # noqa: E402

HASURA_NS = "https://hasura.io/jwt/claims"
FIREBASE_AUD = ("https://identitytoolkit.googleapis.com/"
                "google.identity.identitytoolkit.v1.IdentityToolkit")
ORIGIN = "https://app.example.com"
# What clerk-js (fapiClient.ts) adds to every FAPI request.
CLERK_JS_QUERY = ("__clerk_api_version=2025-04-10&_clerk_js_version=5.69.0"
                  "&debug=skip_cache")


def write_firebase_key(path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    doc = {
        "type": "service_account",
        "project_id": "tokend-demo",
        "private_key_id": "5f1c0ffee",
        "private_key": pem,
        "client_email":
            "firebase-adminsdk-abc12@tokend-demo.iam.gserviceaccount.com",
        "client_id": "104236518851234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)


def body_json(name, status, body, want_status=200):
    expect(status == want_status,
           "%s: HTTP %d, want %d (%r)" % (name, status, want_status, body[:300]))
    try:
        return json.loads(body)
    except ValueError:
        fail("%s: not JSON: %r" % (name, body[:200]))


def expect_clerk_error(http, name, method, path, want_status, want_code,
                       **kw):
    status, headers, body = http.call(method, path, **kw)
    doc = body_json(name, status, body, want_status)
    errors = doc.get("errors")
    expect(isinstance(errors, list) and errors,
           "%s: no errors[] in %r" % (name, doc))
    expect(errors[0].get("code") == want_code,
           "%s: code %r, want %r (%r)" % (name, errors[0].get("code"),
                                          want_code, doc))
    print("ok: %s -> %d %s: %s" % (name, status, want_code,
                                    errors[0].get("message", "")[:70]))
    return errors[0]


class Checker:
    def __init__(self, http, base):
        import jwt
        self.jwt = jwt
        self.http = http
        status, _, body = http.call("GET", "/v1/jwks")
        jwks = body_json("GET /v1/jwks", status, body)
        self.keys = {k["kid"]: jwt.PyJWK(k) for k in jwks["keys"]}
        self.issuer = base

    def session_token(self, name, token, session_id, user_id, azp=None,
                      lifetime=60):
        header = self.jwt.get_unverified_header(token)
        expect(header.get("alg") == "RS256" and header.get("kid") in self.keys,
               "%s: header %r, want RS256 with a kid of /v1/jwks" %
               (name, header))
        claims = self.jwt.decode(
            token, self.keys[header["kid"]].key, algorithms=["RS256"],
            issuer=self.issuer, options={"require": ["exp", "iat", "nbf"]})
        expect(claims["sid"] == session_id and claims["sub"] == user_id and
               claims["v"] == 2, "%s: claims %r" % (name, claims))
        expect(claims["exp"] - claims["iat"] == lifetime,
               "%s: exp - iat = %d, want %d" %
               (name, claims["exp"] - claims["iat"], lifetime))
        expect(claims.get("azp") == azp,
               "%s: azp %r, want %r" % (name, claims.get("azp"), azp))
        return claims


def run(base, secret, firebase_key_file):
    import jwt
    from cryptography.hazmat.primitives import serialization

    http = Http(base, None)
    bapi = {"Authorization": "Bearer " + secret,
            "Content-Type": "application/json"}

    # Setup over the BAPI: a user with Hasura roles, a session, a template.
    status, _, body = http.call("POST", "/v1/users", headers=bapi, body=json.dumps({
        "first_name": "Grace", "last_name": "Hopper",
        "email_address": ["grace@example.com"],
        "public_metadata": {"hasura_roles": ["editor", "viewer"],
                            "hasura_default_role": "viewer"}}))
    user = body_json("POST /v1/users", status, body)
    status, _, body = http.call("POST", "/v1/sessions", headers=bapi,
                                body=json.dumps({"user_id": user["id"]}))
    session = body_json("POST /v1/sessions", status, body)
    sid, client = session["id"], session["client_token"]
    expect(client, "POST /v1/sessions returned no client_token")
    # Clerk's Backend API introduction (reference.clerk.dev), verbatim but
    # for the host and key: a GET with a JSON Content-Type and no body.
    status, _, body = http.call("GET", "/v1/users", raw_args=[
        "-H", "Authorization: Bearer " + secret,
        "-H", "Content-type: application/json"])
    listed = body_json("documented GET /v1/users", status, body)
    expect(isinstance(listed, list) and user["id"] in [u["id"] for u in listed],
           "documented GET /v1/users: %r" % listed)
    print("ok: Clerk's documented curl (GET /v1/users)")
    status, _, body = http.call("POST", "/v1/jwt_templates", headers=bapi,
                                body=json.dumps({
                                    "name": "supabase",
                                    "claims": {"email": "{{user.primary_email_address}}",
                                               "role": "authenticated"},
                                    "lifetime": 300}))
    body_json("POST /v1/jwt_templates", status, body)
    check = Checker(http, base)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    # 1. clerk-js in a browser: the __client cookie, clerk-js's query
    #    parameters, its form body, and an Origin.
    path = "/v1/client/sessions/%s/tokens?%s" % (sid, CLERK_JS_QUERY)
    status, headers, body = http.call(
        "POST", path, body="organization_id=&tab_state=active&force_origin=true",
        headers=dict(form, Cookie="__client=" + client, Origin=ORIGIN))
    doc = body_json("clerk-js POST " + path, status, body)
    expect(doc.get("object") == "token" and doc.get("jwt"),
           "clerk-js: body %r, want {object: token, jwt}" % doc)
    expect(headers.get("content-type") == "application/json",
           "clerk-js: Content-Type %r" % headers.get("content-type"))
    check.session_token("clerk-js cookie", doc["jwt"], sid, user["id"],
                        azp=ORIGIN)
    print("ok: clerk-js (cookie, query, form, Origin) -> session token, azp")

    # 2. Expo / clerk-ios: the raw client token in Authorization, _is_native.
    status, _, body = http.call(
        "POST", "/v1/client/sessions/%s/tokens?_is_native=1" % sid,
        headers={"Authorization": client})
    doc = body_json("native raw Authorization", status, body)
    check.session_token("native", doc["jwt"], sid, user["id"])
    status, _, body = http.call(
        "POST", "/v1/client/sessions/%s/tokens" % sid,
        headers={"Authorization": "Bearer " + client})
    check.session_token("Bearer", body_json("Bearer", status, body)["jwt"],
                        sid, user["id"])
    print("ok: native (raw Authorization, _is_native=1) and Bearer")

    # 3. A template through the FAPI: the template's claims, its lifetime.
    status, _, body = http.call(
        "POST", "/v1/client/sessions/%s/tokens/supabase?%s" % (sid, CLERK_JS_QUERY),
        headers={"Authorization": client})
    doc = body_json("FAPI template", status, body)
    header = jwt.get_unverified_header(doc["jwt"])
    claims = jwt.decode(doc["jwt"], check.keys[header["kid"]].key,
                        algorithms=["RS256"], issuer=base)
    expect(claims["email"] == "grace@example.com" and
           claims["role"] == "authenticated" and claims["sub"] == user["id"] and
           claims["exp"] - claims["iat"] == 300 and "sid" not in claims,
           "FAPI template: claims %r" % claims)
    print("ok: FAPI template token: " + json.dumps(claims, sort_keys=True)[:120])

    # 4. /v1/me/tokens: clerk (default), hasura, firebase; form bodies.
    me = "/v1/me/tokens?_clerk_session_id=%s&%s" % (sid, CLERK_JS_QUERY)
    auth = dict(form, Authorization=client)
    status, _, body = http.call("POST", me, headers=auth, body="")
    check.session_token("me clerk (no service)", body_json("me", status, body)["jwt"],
                        sid, user["id"])
    status, _, body = http.call("POST", me, headers=auth, body="service=clerk")
    check.session_token("me clerk", body_json("me clerk", status, body)["jwt"],
                        sid, user["id"])

    status, _, body = http.call("POST", me, headers=auth, body="service=hasura")
    token = body_json("me hasura", status, body)["jwt"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, check.keys[header["kid"]].key,
                        algorithms=["RS256"], issuer=base)
    ns = claims.get(HASURA_NS)
    expect(ns == {"x-hasura-default-role": "viewer",
                  "x-hasura-allowed-roles": ["editor", "viewer"],
                  "x-hasura-user-id": user["id"]},
           "hasura: namespace %r" % ns)
    expect(ns["x-hasura-default-role"] in ns["x-hasura-allowed-roles"],
           "hasura: the default role is not an allowed role")
    print("ok: me hasura -> " + json.dumps(ns, sort_keys=True))

    # A template named integration_hasura overrides the built-in format, and
    # deleting it brings the built-in back.
    status, _, body = http.call("POST", "/v1/jwt_templates", headers=bapi,
                                body=json.dumps({
                                    "name": "integration_hasura",
                                    "claims": {HASURA_NS: {
                                        "x-hasura-default-role": "owner",
                                        "x-hasura-allowed-roles": ["owner"],
                                        "x-hasura-user-id": "{{user.id}}"},
                                        "src": "template"}}))
    override = body_json("POST /v1/jwt_templates integration_hasura", status,
                         body)
    status, _, body = http.call("POST", me, headers=auth, body="service=hasura")
    token = body_json("me hasura (override)", status, body)["jwt"]
    claims = jwt.decode(token, check.keys[jwt.get_unverified_header(token)["kid"]].key,
                        algorithms=["RS256"], issuer=base)
    expect(claims.get("src") == "template" and
           claims[HASURA_NS]["x-hasura-default-role"] == "owner" and
           claims[HASURA_NS]["x-hasura-user-id"] == user["id"] and
           "sid" not in claims,
           "integration_hasura did not override: %r" % claims)
    status, _, body = http.call("DELETE", "/v1/jwt_templates/" + override["id"],
                                headers=bapi)
    body_json("DELETE integration_hasura", status, body)
    status, _, body = http.call("POST", me, headers=auth, body="service=hasura")
    token = body_json("me hasura (built-in again)", status, body)["jwt"]
    claims = jwt.decode(token, check.keys[jwt.get_unverified_header(token)["kid"]].key,
                        algorithms=["RS256"], issuer=base)
    expect("src" not in claims and
           claims[HASURA_NS]["x-hasura-default-role"] == "viewer",
           "after deleting integration_hasura: %r" % claims)
    print("ok: integration_hasura overrides the built-in Hasura format; "
          "deleting it restores it")

    with open(firebase_key_file) as f:
        sa = json.load(f)
    public = serialization.load_pem_private_key(
        sa["private_key"].encode(), password=None).public_key()
    status, _, body = http.call("POST", me, headers=auth, body="service=firebase")
    token = body_json("me firebase", status, body)["jwt"]
    header = jwt.get_unverified_header(token)
    expect(header == {"alg": "RS256", "typ": "JWT"},
           "firebase: header %r, want firebase-admin's" % header)
    claims = jwt.decode(token, public, algorithms=["RS256"],
                        audience=FIREBASE_AUD, issuer=sa["client_email"],
                        options={"require": ["exp", "iat", "sub"]})
    expect(claims["sub"] == sa["client_email"] and claims["uid"] == user["id"]
           and claims["exp"] - claims["iat"] == 3600,
           "firebase: claims %r" % claims)
    expect(abs(claims["iat"] - time.time()) < 60, "firebase: iat not now")
    # The keyring does not sign Firebase tokens.
    expect(header.get("kid") is None, "firebase: a kid of ours")
    print("ok: me firebase -> verified with the service account key, "
          "uid %s, exp - iat = 3600" % claims["uid"])

    # 4b. Browsers (CORS): clerk-js on an allowed origin preflights, then
    # calls with its origin and the __client cookie; other origins get no
    # grant, so the browser withholds the response.
    app = "https://app.example.com"
    path = "/v1/client/sessions/%s/tokens" % sid
    preflight = {"Origin": app, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    status, headers, _ = http.call("OPTIONS", path, headers=preflight)
    expect(status == 204 and headers.get("access-control-allow-origin") == app
           and headers.get("access-control-allow-credentials") == "true"
           and "POST" in headers.get("access-control-allow-methods", "")
           and headers.get("access-control-allow-headers") ==
           "authorization, content-type",
           "preflight from %s: %d %r" % (app, status, headers))
    status, headers, _ = http.call(
        "OPTIONS", path, headers=dict(preflight, Origin="https://evil.example"))
    expect(status == 204 and "access-control-allow-origin" not in headers,
           "preflight from another origin: %d %r" % (status, headers))
    status, headers, body = http.call(
        "POST", path, headers={"Origin": app, "Cookie": "__client=" + client})
    expect(status == 200 and headers.get("access-control-allow-origin") == app
           and headers.get("access-control-allow-credentials") == "true"
           and "origin" in headers.get("vary", "").lower(),
           "POST from %s: %d %r %r" % (app, status, headers, body[:200]))
    status, headers, _ = http.call(
        "POST", path, headers={"Origin": "https://evil.example",
                               "Cookie": "__client=" + client})
    expect("access-control-allow-origin" not in headers,
           "POST from another origin: CORS headers %r" % headers)
    status, headers, _ = http.call("OPTIONS", "/v1/users", headers=preflight)
    expect("access-control-allow-origin" not in headers,
           "Backend API routes grant no browser: %d %r" % (status, headers))
    print("ok: CORS: preflight and response grant %s only, credentials "
          "allowed; the Backend API grants none" % app)

    # 5. Errors, in Clerk's shape.
    expect_clerk_error(http, "me: unknown service", "POST", "/v1/me/tokens",
                       422, "form_param_value_invalid",
                       headers=auth, body="service=auth0")
    expect_clerk_error(http, "me: _clerk_session_id of another session",
                       "POST", "/v1/me/tokens?_clerk_session_id=sess_other",
                       404, "resource_not_found", headers=auth, body="")
    expect_clerk_error(http, "FAPI: wrong client token", "POST",
                       "/v1/client/sessions/%s/tokens" % sid, 401,
                       "authentication_invalid",
                       headers={"Authorization": "not-a-client-token"})
    expect_clerk_error(http, "FAPI: no credential", "POST",
                       "/v1/client/sessions/%s/tokens" % sid, 401,
                       "authentication_invalid")
    expect_clerk_error(http, "FAPI: a parameter clerk-js never sends", "POST",
                       "/v1/client/sessions/%s/tokens?bogus=1" % sid, 422,
                       "form_param_unknown", headers={"Authorization": client})

    # 6. Revocation: the FAPI stops minting at once.
    status, _, body = http.call("POST", "/v1/sessions/%s/revoke" % sid,
                                headers=bapi)
    revoked = body_json("POST /v1/sessions/{id}/revoke", status, body)
    expect(revoked.get("status") == "revoked", "revoke: %r" % revoked)
    for path, payload in (("/v1/client/sessions/%s/tokens" % sid, ""),
                          ("/v1/me/tokens", "service=firebase")):
        status, _, body = http.call("POST", path, headers=auth, body=payload)
        expect(status in (401, 404),
               "after revoke %s: HTTP %d (%r)" % (path, status, body[:200]))
    print("ok: after revoke the FAPI refuses (401/404)")
    print("PASS")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "firebase-key":
        write_firebase_key(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        fail("usage: see the module docstring")
