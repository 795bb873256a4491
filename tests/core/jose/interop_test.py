"""Interop between core/jose and libraries nobody here wrote.

Run by interop_test.sh with Debian's /usr/bin/python3 (PyJWT 2.6,
python3-jwcrypto, python3-cryptography). Both directions, every algorithm:
  1. tokens signed by interop_tool verify in PyJWT and jwcrypto;
  2. tokens signed by PyJWT verify in interop_tool, and tampered or
     alg=none versions of them do not.
"""

import base64
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


def check_pyjwt_in_ours(tool):
    now = int(time.time())
    good, bad = [], []
    for alg, (private, jwk_obj) in make_keys().items():
        kid = "py-" + alg
        jwk_obj = dict(jwk_obj, kid=kid, alg=alg, use="sig")
        claims = {"iss": "pyjwt-interop", "aud": ["other", "tokend"],
                  "sub": "py-" + alg, "iat": now, "exp": now + 300}
        token = jwt.encode(claims, private, algorithm=alg,
                           headers={"kid": kid})
        good.append({"alg": alg, "token": token, "jwk": jwk_obj})
        head, payload, sig = token.split(".")
        raw_sig = bytearray(base64.urlsafe_b64decode(sig + "=="))
        raw_sig[len(raw_sig) // 2] ^= 1
        bad.append({"alg": alg, "token": ".".join(
            [head, payload, b64u(bytes(raw_sig))]), "jwk": jwk_obj})
        other = dict(claims, sub="admin")
        bad.append({"alg": alg, "token": ".".join(
            [head, b64u(json.dumps(other).encode()), sig]), "jwk": jwk_obj})
        bad.append({"alg": alg, "token": jwt.encode(
            claims, None, algorithm="none", headers={"kid": kid}),
            "jwk": jwk_obj})
        bad.append({"alg": alg, "token": jwt.encode(
            dict(claims, aud="someone-else"), private, algorithm=alg,
            headers={"kid": kid}), "jwk": jwk_obj})
    for result, line in zip(run_verify(tool, good), good):
        if not result["ok"] or result["sub"] != "py-" + line["alg"]:
            fail("PyJWT %s token rejected: %r" % (line["alg"], result))
        print("ok  PyJWT -> tokend  %s" % line["alg"])
    for result, line in zip(run_verify(tool, bad), bad):
        if result["ok"]:
            fail("bad %s token accepted: %s" % (line["alg"], line["token"]))
    print("ok  %d tampered / alg=none / wrong-audience tokens rejected" %
          len(bad))


def main():
    tool = sys.argv[1]
    print("PyJWT", jwt.__version__)
    check_ours_in_pyjwt(tool)
    check_pyjwt_in_ours(tool)
    print("PASS")


if __name__ == "__main__":
    main()
