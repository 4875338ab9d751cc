#!/usr/bin/python3
# test/tokens/mint.py: mint the tenant tokens of the regression tests.
#
#   /usr/bin/python3 test/tokens/mint.py NAME...    print each token
#   /usr/bin/python3 test/tokens/mint.py --keys     print the settings
#
# Deterministic (HMAC-SHA256 and Ed25519 signatures are), with fixed times,
# so the tokens can be written into sql/*.sql and the expected output: a
# valid token expires in 2080, an expired one expired in 2021, a token not
# yet valid becomes valid in 2080.  The keys are test keys, published here
# on purpose.  Needs Debian's python3-cryptography for Ed25519 (HS256 needs
# only the standard library); never PyPI.
import base64
import hashlib
import hmac
import json
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SECRETS = {
    "k1": b"tenant-guard-test-secret-one-0123456789abcdef",
    "k2": b"tenant-guard-test-secret-two-0123456789abcdef",
    None: b"tenant-guard-test-secret-nokid-0123456789abcde",
}
ED_KEYS = {
    "ed1": Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"tenant_guard ed1").digest()),
    "ed2": Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"tenant_guard ed2").digest()),
}
# a key that is configured nowhere
OTHER_ED = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"tenant_guard other").digest())

IAT = 1767225600       # 2026-01-01
EXP = 3471292800       # 2080-01-01
PAST = 1609459200      # 2021-01-01
FUTURE = 3471292800    # 2080-01-01


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def enc(obj):
    if isinstance(obj, (bytes, str)):
        return obj.encode() if isinstance(obj, str) else obj
    return json.dumps(obj, separators=(",", ":")).encode()


def sign(header, claims, secret=None, ed=None, raw_header=None, raw_claims=None):
    h = b64(raw_header if raw_header is not None else enc(header))
    c = b64(raw_claims if raw_claims is not None else enc(claims))
    msg = (h + "." + c).encode()
    if ed is not None:
        sig = ed.sign(msg)
    else:
        sig = hmac.new(secret, msg, hashlib.sha256).digest()
    return h + "." + c + "." + b64(sig)


def hs(claims, kid="k1", secret=None, **kw):
    header = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    return sign(header, claims, secret or SECRETS[kid], **kw)


def ed(claims, kid="ed1", key=None, **kw):
    header = {"alg": "EdDSA", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    return sign(header, claims, ed=key or ED_KEYS[kid], **kw)


def base(tenant="1", **extra):
    c = {"tenant": tenant, "sub": "user-17", "iat": IAT, "exp": EXP}
    c.update(extra)
    return c


def tokens():
    valid = hs(base())
    t = {
        "hs_t1": valid,
        "hs_t2": hs(base("2")),
        "hs_k2_t1": hs(base(), kid="k2"),
        "hs_nokid_t1": hs(base(), kid=None),
        "hs_numeric_t7": hs(base(7)),
        "hs_claims": hs(base(role="admin", scopes=["read", "write"], org={"id": 3}, flag=True, gone=None)),
        "ed_t1": ed(base()),
        "ed_ed2_t2": ed(base("2"), kid="ed2"),
        # refusals
        "bad_signature": valid[:-2] + ("AA" if not valid.endswith("AA") else "BA"),
        "tampered_payload": valid.split(".")[0] + "." + b64(enc(base("2"))) + "." + valid.split(".")[2],
        "tampered_header": b64(enc({"alg": "HS256", "kid": "k2"})) + "." + valid.split(".", 1)[1],
        "alg_none": b64(enc({"alg": "none", "typ": "JWT"})) + "." + b64(enc(base())) + ".",
        "alg_none_sig": b64(enc({"alg": "none"})) + "." + b64(enc(base())) + "." + b64(b"x"),
        "alg_hs512": sign({"alg": "HS512", "kid": "k1"}, base(), SECRETS["k1"]),
        "alg_missing": sign({"kid": "k1"}, base(), SECRETS["k1"]),
        # an HS256 token signed with the public key's PEM as the secret
        "alg_confusion": sign({"alg": "HS256"}, base(),
                              ED_KEYS["ed1"].public_key().public_bytes(
                                  serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)),
        "ed_as_hs_kid": sign({"alg": "EdDSA", "kid": "k1"}, base(), ed=ED_KEYS["ed1"]),
        "ed_other_key": ed(base(), key=OTHER_ED),
        "unknown_kid": hs(base(), kid="k9", secret=SECRETS["k1"]),
        "crit": sign({"alg": "HS256", "kid": "k1", "crit": ["exp"]}, base(), SECRETS["k1"]),
        "expired": hs(base(iat=PAST - 60, exp=PAST)),
        "not_yet_valid": hs(base(nbf=FUTURE)),
        "iat_future": hs(base(iat=FUTURE, exp=FUTURE + 60)),
        "no_exp": hs({"tenant": "1", "iat": IAT}),
        "exp_string": hs({"tenant": "1", "iat": IAT, "exp": str(EXP)}),
        "long_lived": hs(base()),
        "aud_app": hs(base(aud="app-db")),
        "aud_list": hs(base(aud=["other", "app-db"])),
        "aud_other": hs(base(aud="other-db")),
        "no_tenant": hs({"sub": "x", "iat": IAT, "exp": EXP}),
        "empty_tenant": hs(base("")),
        "null_tenant": hs(base(None)),
        "object_tenant": hs(base({"id": 1})),
        "fraction_tenant": hs(base(1.5)),
        "org_claim_t3": hs({"org": "3", "iat": IAT, "exp": EXP}),
        "bad_json_claims": hs(None, raw_claims=b'{"tenant":"1",'),
        "array_claims": hs(None, raw_claims=b'["tenant","1"]'),
        "duplicate_tenant": hs(None, raw_claims=b'{"tenant":"1","exp":3471292800,"iat":1767225600,"tenant":"2"}'),
        "deep_claims": hs(None, raw_claims=b'{"tenant":"1","exp":3471292800,"iat":1767225600,"x":' + b"[" * 40 + b"]" * 40 + b"}"),
        "bad_utf8_claims": hs(None, raw_claims=b'{"tenant":"\xff\xfe","exp":3471292800,"iat":1767225600}'),
        "padded": valid + "==",
        "two_parts": ".".join(valid.split(".")[:2]),
        "four_parts": valid + ".x",
        "bad_base64_header": "+" + valid[1:],
        "no_iat": hs({"tenant": "1", "exp": EXP}),
        "noncanonical_sig": valid[:-1] + chr(ord(valid[-1]) + 1) if valid[-1] in "AEIMQUYcgkosw048" else valid[:-1] + "B",
    }
    return t


def settings():
    pems = []
    for kid, key in ED_KEYS.items():
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        pems.append(kid + ":" + pem.replace("\n", ""))
    secrets = [(k + ":" if k else "") + v.decode() for k, v in SECRETS.items()]
    print("tenant_guard.token_secret = '%s'" % ", ".join(secrets))
    print("tenant_guard.token_public_key = '%s'" % ", ".join(pems))


if __name__ == "__main__":
    if sys.argv[1:] == ["--keys"]:
        settings()
    else:
        t = tokens()
        for name in sys.argv[1:] or sorted(t):
            print("\\set %s '%s'" % (name, t[name]))
