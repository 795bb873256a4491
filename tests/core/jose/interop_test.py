"""Interop between core/jose and libraries nobody here wrote.

Run by interop_test.sh with Debian's /usr/bin/python3 (PyJWT 2.6,
python3-jwcrypto, python3-cryptography). Both directions, every algorithm:
  1. tokens signed by interop_tool verify in PyJWT and jwcrypto;
  2. tokens signed by PyJWT verify in interop_tool, and tampered, expired,
     wrong-audience (string and array), wrong-issuer, alg=none,
     algorithm-confusion and oversized ones are refused, each with the
     status code and rule named in core/jose/jwt_validator.h.
"""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
        "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, length: int = 0) -> str:
    length = max(length, (n.bit_length() + 7) // 8 or 1)
    return b64u(n.to_bytes(length, "big"))


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def pyjwt_key(alg, jwk_obj):
    if alg.startswith("HS"):
        return base64.urlsafe_b64decode(jwk_obj["k"] + "==")
    return jwt.PyJWK(jwk_obj, algorithm=alg).key


def check_ours_in_pyjwt(tool):
    out = subprocess.run([tool, "sign"], check=True, capture_output=True,
                         text=True).stdout
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    if sorted(l["alg"] for l in lines) != sorted(ALGS):
        fail("tool did not sign with every algorithm: %s" % out)
    for line in lines:
        alg, token, jwk_obj = line["alg"], line["token"], line["jwk"]
        header = jwt.get_unverified_header(token)
        if header.get("alg") != alg or header.get("typ") != "JWT" or \
                header.get("kid") != jwk_obj["kid"]:
            fail("%s: unexpected header %r" % (alg, header))
        claims = jwt.decode(token, pyjwt_key(alg, jwk_obj), algorithms=[alg],
                            audience="pyjwt", issuer="tokend-interop",
                            options={"require": ["exp", "iat", "nbf"]})
        if claims["sub"] != "subject-" + alg or claims["n"] != 42 or \
                claims["unicode"] != "h\u00e9llo \u2713":
            fail("%s: unexpected claims %r" % (alg, claims))
        # PyJWT must reject it under any other algorithm too.
        other = "HS256" if alg != "HS256" else "HS384"
        try:
            jwt.decode(token, pyjwt_key(alg, jwk_obj), algorithms=[other],
                       audience="pyjwt")
            fail("%s: PyJWT accepted it as %s" % (alg, other))
        except jwt.exceptions.InvalidTokenError:
            pass
        # A second, independent verifier.
        key = jwcrypto_jwk.JWK(**jwk_obj)
        sig = jwcrypto_jws.JWS()
        sig.deserialize(token)
        sig.verify(key, alg=alg)
        print("ok  tokend -> PyJWT/jwcrypto  %s" % alg)


def make_keys():
    """One fresh key per algorithm: (private key for PyJWT, JWK dict)."""
    keys = {}
    for alg, size in (("HS256", 32), ("HS384", 48), ("HS512", 64)):
        secret = bytes(range(size))[::-1]
        keys[alg] = (secret, {"kty": "oct", "k": b64u(secret)})
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = rsa_key.public_key().public_numbers()
    rsa_jwk = {"kty": "RSA", "n": uint(pub.n), "e": uint(pub.e)}
    for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
        keys[alg] = (rsa_key, dict(rsa_jwk))
    for alg, curve, crv, width in (("ES256", ec.SECP256R1(), "P-256", 32),
                                   ("ES384", ec.SECP384R1(), "P-384", 48),
                                   ("ES512", ec.SECP521R1(), "P-521", 66)):
        k = ec.generate_private_key(curve)
        n = k.public_key().public_numbers()
        keys[alg] = (k, {"kty": "EC", "crv": crv, "x": uint(n.x, width),
                         "y": uint(n.y, width)})
    ed = ed25519.Ed25519PrivateKey.generate()
    raw = ed.public_key().public_bytes(serialization.Encoding.Raw,
                                       serialization.PublicFormat.Raw)
    keys["EdDSA"] = (ed, {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)})
    return keys


def run_verify(tool, lines):
    stdin = "".join(json.dumps(l) + "\n" for l in lines)
    out = subprocess.run([tool, "verify"], input=stdin, check=True,
                         capture_output=True, text=True).stdout
    results = [json.loads(l) for l in out.splitlines() if l.strip()]
    if len(results) != len(lines):
        fail("verify printed %d results for %d tokens" %
             (len(results), len(lines)))
    return results


def rejection(name, alg, token, jwk_obj, code, message, allow=None):
    """A token interop_tool must refuse with `code` and a message containing
    `message`. Expectations come from core/jose/jwt_validator.h: shape and
    claim-type errors are INVALID_ARGUMENT, every policy, key and signature
    refusal is UNAUTHENTICATED, and messages name the rule."""
    line = {"alg": alg, "token": token, "jwk": jwk_obj}
    if allow is not None:
        line["allow"] = allow
    return {"name": name, "line": line, "code": code, "message": message}


def public_pem(private):
    return private.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def hand_built(header, claims, sign=None):
    """Compact JWS without PyJWT, for tokens PyJWT refuses to produce."""
    signing_input = (b64u(json.dumps(header).encode()) + "." +
                     b64u(json.dumps(claims).encode()))
    sig = sign(signing_input.encode()) if sign else b""
    return signing_input + "." + b64u(sig)


def check_pyjwt_in_ours(tool):
    now = int(time.time())
    good, bad = [], []
    for alg, (private, jwk_obj) in make_keys().items():
        kid = "py-" + alg
        jwk_obj = dict(jwk_obj, kid=kid, alg=alg, use="sig")
        claims = {"iss": "pyjwt-interop", "aud": ["other", "tokend"],
                  "sub": "py-" + alg, "iat": now, "exp": now + 300}

        def sign(c, alg=alg, private=private, kid=kid):
            return jwt.encode(c, private, algorithm=alg,
                              headers={"kid": kid, "typ": "JWT"})

        token = sign(claims)
        good.append({"alg": alg, "token": token, "jwk": jwk_obj})
        head, payload, sig = token.split(".")

        raw_sig = bytearray(base64.urlsafe_b64decode(sig + "=="))
        raw_sig[len(raw_sig) // 2] ^= 1
        bad.append(rejection(
            "tampered signature", alg, ".".join(
                [head, payload, b64u(bytes(raw_sig))]), jwk_obj,
            "UNAUTHENTICATED", "signature"))
        bad.append(rejection(
            "tampered payload", alg, ".".join(
                [head, b64u(json.dumps(dict(claims, sub="admin")).encode()),
                 sig]), jwk_obj, "UNAUTHENTICATED", "signature"))
        # Past the verifier's 30 s clock skew.
        bad.append(rejection(
            "expired", alg, sign(dict(claims, iat=now - 7200,
                                      exp=now - 3600)), jwk_obj,
            "UNAUTHENTICATED", "token expired"))
        bad.append(rejection(
            "wrong audience (string)", alg,
            sign(dict(claims, aud="someone-else")), jwk_obj,
            "UNAUTHENTICATED", "audience mismatch"))
        bad.append(rejection(
            "wrong audience (array)", alg,
            sign(dict(claims, aud=["someone-else", "tokend-not"])), jwk_obj,
            "UNAUTHENTICATED", "audience mismatch"))
        bad.append(rejection(
            "wrong issuer", alg, sign(dict(claims, iss="pyjwt-evil")),
            jwk_obj, "UNAUTHENTICATED", "issuer mismatch"))
        bad.append(rejection(
            "alg=none", alg, hand_built(
                {"alg": "none", "typ": "JWT", "kid": kid}, claims), jwk_obj,
            "UNAUTHENTICATED", "algorithm not allowed"))
        big = sign(dict(claims, pad="x" * 9000))
        if len(big) <= 8000:
            fail("oversized token is only %d bytes" % len(big))
        bad.append(rejection(
            "oversized", alg, big, jwk_obj, "INVALID_ARGUMENT",
            "token too large"))
        if not alg.startswith("HS"):
            # The classic confusion: HS256 keyed with the public key's PEM
            # (PyJWT refuses to do this, hence by hand), presented with the
            # public key's kid. Refused by the policy, and, when the policy
            # does allow HS256, by the key's bound algorithm.
            pem = public_pem(private)
            confused = hand_built(
                {"alg": "HS256", "typ": "JWT", "kid": kid}, claims,
                lambda data, pem=pem: hmac.new(pem, data,
                                               hashlib.sha256).digest())
            bad.append(rejection(
                "algorithm confusion", alg, confused, jwk_obj,
                "UNAUTHENTICATED", "algorithm not allowed"))
            bad.append(rejection(
                "algorithm confusion, HS256 allowed", alg, confused, jwk_obj,
                "UNAUTHENTICATED", "algorithm does not match key",
                allow=["HS256"]))
    for result, line in zip(run_verify(tool, good), good):
        if not result["ok"] or result["sub"] != "py-" + line["alg"]:
            fail("PyJWT %s token rejected: %r" % (line["alg"], result))
        print("ok  PyJWT -> tokend  %s" % line["alg"])
    failures = 0
    for result, case in zip(run_verify(tool, [c["line"] for c in bad]), bad):
        what = "%s %s" % (case["line"]["alg"], case["name"])
        if result["ok"]:
            print("FAIL: %s accepted: %s" % (what, case["line"]["token"]))
            failures += 1
        elif result.get("stage") != "verify" or \
                result.get("code") != case["code"] or \
                case["message"] not in result.get("message", ""):
            print("FAIL: %s: want %s containing %r from verify, got %r" %
                  (what, case["code"], case["message"], result))
            failures += 1
        else:
            print("ok  rejected  %-40s %s: %s" %
                  (what, result["code"], result["message"]))
    if failures:
        fail("%d of %d bad tokens not rejected as specified" %
             (failures, len(bad)))
    print("ok  %d bad tokens rejected with the specified status" % len(bad))


def main():
    tool = sys.argv[1]
    print("PyJWT", jwt.__version__)
    check_ours_in_pyjwt(tool)
    check_pyjwt_in_ours(tool)
    print("PASS")


if __name__ == "__main__":
    main()
