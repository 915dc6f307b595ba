"""ML-DSA and ML-KEM interoperability between libqrcpkcs11.so (driven through
python-pkcs11) and pyca/cryptography, an independent implementation.

Run by pyca-interop.sh: `python pyca_interop.py MODULE`, with QRC_PKCS11_STORE
naming an empty store. Prints one line per check (ok NAME / FAIL NAME: reason /
skip NAME: reason) and exits 1 if any check failed.
"""

import ctypes
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mldsa, mlkem
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.attributes import AttributeMapper

from qrc_pkcs11_helpers import Report, expect, fresh_token

SO_PIN = "pyca-so-pin-1234"
USER_PIN = "pyca-user-1234"
LABEL = "pyca-interop"

CKA_PUBLIC_KEY_INFO = 0x129
CKH_HEDGE_PREFERRED = 0
CKH_DETERMINISTIC_REQUIRED = 2

# parameter set name -> (CKA_PARAMETER_SET, pyca class name prefix)
MLDSA_SETS = {"44": 1, "65": 2, "87": 3}
MLKEM_SETS = {"512": 1, "768": 2, "1024": 3}

report = Report()
ok, fail, skip, check = report.ok, report.fail, report.skip, report.check


class SignContext(ctypes.Structure):
    """CK_SIGN_ADDITIONAL_CONTEXT."""

    _fields_ = [
        ("hedgeVariant", ctypes.c_ulong),
        ("pContext", ctypes.c_void_p),
        ("ulContextLen", ctypes.c_ulong),
    ]


class ContextParam:
    """CK_SIGN_ADDITIONAL_CONTEXT as raw bytes for python-pkcs11's
    mechanism_param, keeping the context buffer it points at alive."""

    def __init__(self, context, hedge=CKH_HEDGE_PREFERRED):
        self.buf = ctypes.create_string_buffer(context, len(context))
        ptr = ctypes.addressof(self.buf) if context else None
        self.raw = bytes(SignContext(hedge, ptr, len(context)))


def pyca_class(kind, size, half):
    """cryptography's MLDSA65PublicKey and the like, or None."""
    module = mldsa if kind == "MLDSA" else mlkem
    return getattr(module, f"{kind}{size}{half}", None)


def public_key_info(key):
    return bytes(key[CKA_PUBLIC_KEY_INFO])


def mldsa_checks(session, size, ps):
    name = f"mldsa-{size}"
    pub_cls = pyca_class("MLDSA", size, "PublicKey")
    priv_cls = pyca_class("MLDSA", size, "PrivateKey")
    if pub_cls is None:
        skip(name, f"cryptography has no MLDSA{size}PublicKey")
        return
    pub, priv = session.generate_keypair(
        KeyType.ML_DSA,
        public_template={Attribute.PARAMETER_SET: ps, Attribute.VERIFY: True},
        private_template={Attribute.SIGN: True},
    )
    msg = b"signed in the module, verified by pyca/cryptography"
    holder = {}

    def spki():
        der = public_key_info(pub)
        key = serialization.load_der_public_key(der)
        expect(isinstance(key, pub_cls), f"SPKI loads as {type(key).__name__}")
        expect(key.public_bytes_raw() == bytes(pub[Attribute.VALUE]), "SPKI key differs from CKA_VALUE")
        holder["key"] = key

    check(f"{name}-spki", spki)
    key = holder.get("key")
    if key is None:
        return

    def plain():
        sig = priv.sign(msg, mechanism=Mechanism.ML_DSA)
        key.verify(sig, msg)
        try:
            key.verify(sig, msg + b"!")
        except InvalidSignature:
            return
        raise AssertionError("pyca accepted the signature on another message")

    def with_context():
        ctx = b"pyca interop context"
        param = ContextParam(ctx)
        sig = priv.sign(msg, mechanism=Mechanism.ML_DSA, mechanism_param=param.raw)
        key.verify(sig, msg, ctx)
        det = ContextParam(ctx, CKH_DETERMINISTIC_REQUIRED)
        sig2 = priv.sign(msg, mechanism=Mechanism.ML_DSA, mechanism_param=det.raw)
        key.verify(sig2, msg, ctx)
        try:
            key.verify(sig, msg, b"another context")
        except InvalidSignature:
            return
        raise AssertionError("pyca accepted the signature under another context")

    check(f"{name}-module-signs-pyca-verifies", plain)
    check(f"{name}-module-signs-pyca-verifies-context", with_context)

    def reverse():
        seed = os.urandom(32)
        theirs = priv_cls.from_seed_bytes(seed)
        mine = session.create_object(
            {
                Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                Attribute.KEY_TYPE: KeyType.ML_DSA,
                Attribute.PARAMETER_SET: ps,
                Attribute.SEED: seed,
                Attribute.SIGN: True,
                Attribute.TOKEN: False,
            }
        )
        ctx = b"seed import"
        sig = mine.sign(msg, mechanism=Mechanism.ML_DSA, mechanism_param=ContextParam(ctx).raw)
        theirs.public_key().verify(sig, msg, ctx)
        their_pub = session.create_object(
            {
                Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                Attribute.KEY_TYPE: KeyType.ML_DSA,
                Attribute.PARAMETER_SET: ps,
                Attribute.VALUE: theirs.public_key().public_bytes_raw(),
                Attribute.VERIFY: True,
                Attribute.TOKEN: False,
            }
        )
        their_sig = theirs.sign(msg, ctx)
        good = their_pub.verify(msg, their_sig, mechanism=Mechanism.ML_DSA, mechanism_param=ContextParam(ctx).raw)
        expect(good, "the module rejected pyca's signature")
        bad = their_pub.verify(msg, their_sig, mechanism=Mechanism.ML_DSA, mechanism_param=ContextParam(b"x").raw)
        expect(not bad, "the module accepted pyca's signature under another context")

    check(f"{name}-seed-import-both-ways", reverse)


READABLE = {Attribute.SENSITIVE: False, Attribute.EXTRACTABLE: True, Attribute.TOKEN: False}


def mlkem_checks(session, size, ps):
    name = f"mlkem-{size}"
    pub_cls = pyca_class("MLKEM", size, "PublicKey")
    priv_cls = pyca_class("MLKEM", size, "PrivateKey")
    if pub_cls is None:
        for check_name in ("spki", "pyca-encapsulates-module-decapsulates", "module-encapsulates-pyca-decapsulates"):
            skip(f"{name}-{check_name}", f"cryptography has no MLKEM{size}PublicKey / MLKEM{size}PrivateKey")
        return
    pub, priv = session.generate_keypair(KeyType.ML_KEM, public_template={Attribute.PARAMETER_SET: ps})
    holder = {}

    def spki():
        key = serialization.load_der_public_key(public_key_info(pub))
        expect(isinstance(key, pub_cls), f"SPKI loads as {type(key).__name__}")
        expect(key.public_bytes_raw() == bytes(pub[Attribute.VALUE]), "SPKI key differs from CKA_VALUE")
        holder["key"] = key

    check(f"{name}-spki", spki)
    key = holder.get("key")
    if key is None:
        return

    def pyca_encapsulates():
        secret, ct = key.encapsulate()
        got = priv.decapsulate_key(ct, KeyType.GENERIC_SECRET, template=READABLE)
        expect(bytes(got[Attribute.VALUE]) == secret, "the module decapsulated another secret")

    def module_encapsulates():
        seed = os.urandom(64)
        theirs = priv_cls.from_seed_bytes(seed)
        imported = session.create_object(
            {
                Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                Attribute.KEY_TYPE: KeyType.ML_KEM,
                Attribute.PARAMETER_SET: ps,
                Attribute.VALUE: theirs.public_key().public_bytes_raw(),
                Attribute.ENCAPSULATE: True,
                Attribute.TOKEN: False,
            }
        )
        ct, secret = imported.encapsulate_key(KeyType.GENERIC_SECRET, template=READABLE)
        expect(theirs.decapsulate(ct) == bytes(secret[Attribute.VALUE]), "pyca decapsulated another secret")
        # The same seed imported into the module decapsulates pyca's ciphertexts.
        mine = session.create_object(
            {
                Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                Attribute.KEY_TYPE: KeyType.ML_KEM,
                Attribute.PARAMETER_SET: ps,
                Attribute.SEED: seed,
                Attribute.DECAPSULATE: True,
                Attribute.TOKEN: False,
            }
        )
        their_secret, their_ct = theirs.public_key().encapsulate()
        got = mine.decapsulate_key(their_ct, KeyType.GENERIC_SECRET, template=READABLE)
        expect(bytes(got[Attribute.VALUE]) == their_secret, "seed-imported key decapsulated another secret")

    check(f"{name}-pyca-encapsulates-module-decapsulates", pyca_encapsulates)
    check(f"{name}-module-encapsulates-pyca-decapsulates", module_encapsulates)


def main():
    module = sys.argv[1]
    token = fresh_token(report, "pyca-token-init", module, LABEL, SO_PIN, USER_PIN)
    # python-pkcs11 names no CKA_PUBLIC_KEY_INFO: read it as bytes.
    mapper = AttributeMapper()
    mapper.register_handler(CKA_PUBLIC_KEY_INFO, bytes, bytes)
    with token.open(rw=True, user_pin=USER_PIN, attribute_mapper=mapper) as session:
        for size, ps in MLDSA_SETS.items():
            mldsa_checks(session, size, ps)
        for size, ps in MLKEM_SETS.items():
            mlkem_checks(session, size, ps)
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
