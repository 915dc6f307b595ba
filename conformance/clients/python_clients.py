"""python-pkcs11 and PyKCS11, the two Python PKCS#11 bindings, against
libqrcpkcs11.so, with pyca/cryptography as the independent check: keys are
generated on the token, the public halves exported and loaded into pyca, the
module's signatures verified by pyca, and AES-GCM ciphertexts under a key of
known value compared byte for byte with pyca's.

Run by python-clients.sh: `python python_clients.py MODULE LIBRARY`, LIBRARY
being python-pkcs11 or pykcs11, with QRC_PKCS11_STORE naming an empty store
(each library initialises its own token). Prints one line per check
(ok LIBRARY/NAME, FAIL LIBRARY/NAME: reason, skip LIBRARY/NAME: reason) and
exits 1 if any check failed.

The checks are written once, against a small adapter per library; each
adapter drives its library the way its documentation shows, so that the
module sees the calls (and the two-call length queries) each library makes.
"""

import sys
import traceback

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from qrc_pkcs11_helpers import expect, init_token

SO_PIN = "py-clients-so-1234"
USER_PIN = "py-clients-user-1234"
LABEL = "py-clients"

# PKCS#11 constants, spelled out so the checks need neither binding's names.
CKO_PUBLIC_KEY, CKO_PRIVATE_KEY, CKO_SECRET_KEY = 2, 3, 4
CKK_RSA, CKK_EC, CKK_AES = 0x0, 0x3, 0x1F
CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL = 0x0, 0x1, 0x2, 0x3
CKA_VALUE, CKA_KEY_TYPE, CKA_ID, CKA_SENSITIVE = 0x11, 0x100, 0x102, 0x103
CKA_MODULUS, CKA_PUBLIC_EXPONENT = 0x120, 0x122
CKA_VALUE_LEN, CKA_EXTRACTABLE, CKA_LOCAL = 0x161, 0x162, 0x163
CKA_EC_PARAMS, CKA_EC_POINT = 0x180, 0x181
CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256 = 0x40, 0x43, 0x1044
CKM_SHA256, CKG_MGF1_SHA256 = 0x250, 0x2
CKR_BUFFER_TOO_SMALL = 0x150

# DER of the P-256 OID, as CKA_EC_PARAMS holds it.
P256_PARAMS = bytes.fromhex("06082a8648ce3d030107")
MSG = b"signed on the token, verified by pyca/cryptography"
# AES-256 key, IV and plaintext of the GCM test case 15 (McGrew & Viega), with
# an AAD of our own: the ciphertext is then compared with pyca's, not a table.
KNOWN_AES = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
IV = bytes.fromhex("cafebabefacedbaddecaf888")
AAD = b"python clients: additional authenticated data"
PLAIN = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)

failures = 0
prefix = ""


def ok(name):
    print(f"ok {prefix}/{name}", flush=True)


def fail(name, reason):
    global failures
    failures += 1
    print(f"FAIL {prefix}/{name}: {reason}", flush=True)


def check(name, fn, *args):
    """Runs fn(*args); an exception is the check's failure. Returns fn's
    result, or None if it failed."""
    try:
        result = fn(*args)
    except Exception as e:  # noqa: BLE001 - every error is a finding to report
        if isinstance(e, InvalidSignature):
            reason = "pyca/cryptography rejected the module's signature"
        else:
            reason = f"{type(e).__name__}: {e}".replace("\n", " ")
        fail(name, reason)
        traceback.print_exc(file=sys.stderr)
        return None
    ok(name)
    return True if result is None else result


def der_octet_string(der):
    """The contents of a DER OCTET STRING (CKA_EC_POINT's encoding)."""
    expect(len(der) >= 2 and der[0] == 0x04, f"CKA_EC_POINT is no OCTET STRING: {der[:4].hex()}")
    n, i = der[1], 2
    if n & 0x80:
        width = n & 0x7F
        n, i = int.from_bytes(der[2 : 2 + width], "big"), 2 + width
    expect(len(der) == i + n, "CKA_EC_POINT: OCTET STRING length disagrees with the attribute's")
    return der[i:]


def pyca_rejects(verify, *args):
    try:
        verify(*args)
    except InvalidSignature:
        return
    raise AssertionError("pyca accepted a signature over another message")


# ---------------------------------------------------------------------------
# python-pkcs11


class PythonPkcs11:
    name = "python-pkcs11"

    def __init__(self, module):
        import pkcs11  # here: each run loads only the library under test

        self.p = pkcs11
        self.module = module
        self.lib = None
        self.session = None

    def init_token(self):
        """C_InitToken through the raw function list (python-pkcs11 has no
        InitToken), then C_InitPIN through python-pkcs11."""
        init_token(self.module, LABEL, SO_PIN)
        self.lib = self.p.lib(self.module)
        with self.lib.get_token(token_label=LABEL).open(rw=True, so_pin=SO_PIN) as so:
            so.init_pin(USER_PIN)

    def open_login(self):
        if self.lib is None:
            self.lib = self.p.lib(self.module)
        token = self.lib.get_token(token_label=LABEL)
        expect(self.p.TokenFlag.USER_PIN_INITIALIZED in token.flags, f"token flags {token.flags!r}")
        self.session = token.open(rw=True, user_pin=USER_PIN)

    def close(self):
        if self.session is not None:
            self.session.close()

    def gen_ec(self, label, id_):
        KeyType, Attribute = self.p.KeyType, self.p.Attribute
        return self.session.generate_keypair(
            KeyType.EC,
            id=id_,
            label=label,
            store=True,
            public_template={Attribute.EC_PARAMS: P256_PARAMS},
            private_template={Attribute.SENSITIVE: True, Attribute.PRIVATE: True},
        )

    def gen_rsa(self, label, id_):
        return self.session.generate_keypair(
            self.p.KeyType.RSA,
            2048,
            id=id_,
            label=label,
            store=True,
            private_template={self.p.Attribute.SENSITIVE: True},
        )

    def gen_aes(self, label, id_):
        return self.session.generate_key(
            self.p.KeyType.AES,
            256,
            id=id_,
            label=label,
            store=True,
            template={self.p.Attribute.SENSITIVE: True, self.p.Attribute.EXTRACTABLE: False},
        )

    def import_aes(self, label, id_, value):
        A = self.p.Attribute
        return self.session.create_object(
            {
                A.CLASS: self.p.ObjectClass.SECRET_KEY,
                A.KEY_TYPE: self.p.KeyType.AES,
                A.TOKEN: True,
                A.LABEL: label,
                A.ID: id_,
                A.VALUE: value,
                A.ENCRYPT: True,
                A.DECRYPT: True,
            }
        )

    def attr(self, obj, cka):
        return obj[self.p.Attribute(cka)]

    def handle(self, obj):
        return obj.handle

    def public_key(self, pub):
        """The public key as python-pkcs11's own encoders export it."""
        from pkcs11.util.ec import encode_ec_public_key
        from pkcs11.util.rsa import encode_rsa_public_key

        if pub.key_type == self.p.KeyType.EC:
            return serialization.load_der_public_key(encode_ec_public_key(pub))
        # encode_rsa_public_key gives PKCS#1 RSAPublicKey DER.
        return serialization.load_der_public_key(encode_rsa_public_key(pub))

    def _mech(self, mech, pss):
        param = (self.p.Mechanism(CKM_SHA256), self.p.MGF(CKG_MGF1_SHA256), 32) if pss else None
        return {"mechanism": self.p.Mechanism(mech), "mechanism_param": param}

    def sign(self, key, mech, data, pss=False):
        return key.sign(data, **self._mech(mech, pss))

    def verify(self, key, mech, data, sig, pss=False):
        return key.verify(data, sig, **self._mech(mech, pss))

    def _gcm(self, iv, aad):
        return {"mechanism": self.p.Mechanism.AES_GCM, "mechanism_param": self.p.mechanisms.GCMParams(iv, aad, 128)}

    def gcm_encrypt(self, key, iv, aad, data):
        return key.encrypt(data, **self._gcm(iv, aad))

    def gcm_decrypt(self, key, iv, aad, data):
        return key.decrypt(data, **self._gcm(iv, aad))

    def find(self, template):
        A = self.p.Attribute
        return {o.handle for o in self.session.get_objects({A(k): v for k, v in template.items()})}

    def two_call(self, keys):
        """python-pkcs11 asks every length with a NULL buffer first (as the
        one-shot calls above already did); its multi-part API does the same
        for each C_EncryptUpdate / C_DecryptUpdate and the C_*Final, whatever
        the module holds back: chunks of 7 bytes, result compared with pyca."""
        key = keys["aes-known"]
        chunks = [PLAIN[i : i + 7] for i in range(0, len(PLAIN), 7)]
        ct = key.encrypt(iter(chunks), **self._gcm(IV, AAD))
        ct = b"".join(ct) if not isinstance(ct, bytes) else ct
        expect(ct == AESGCM(KNOWN_AES).encrypt(IV, PLAIN, AAD), "multi-part ciphertext differs from pyca's")
        pt = key.decrypt(iter([ct[i : i + 9] for i in range(0, len(ct), 9)]), **self._gcm(IV, AAD))
        pt = b"".join(pt) if not isinstance(pt, bytes) else pt
        expect(pt == PLAIN, "multi-part decryption differs from the plaintext")


# ---------------------------------------------------------------------------
# PyKCS11


class PyKcs11:
    name = "pykcs11"

    def __init__(self, module):
        import PyKCS11  # here: each run loads only the library under test

        self.P = PyKCS11
        self.lib = PyKCS11.PyKCS11Lib().load(module)
        self.session = None

    def find_slot(self):
        for slot in self.lib.getSlotList(tokenPresent=True):
            if self.lib.getTokenInfo(slot).label.strip() == LABEL:
                return slot
        raise AssertionError(f"no token labelled {LABEL!r}")

    def init_token(self):
        P = self.P
        slots = self.lib.getSlotList(tokenPresent=True)
        expect(slots, "no slot with a token")
        info = self.lib.getTokenInfo(slots[0])
        expect(not info.flags & P.CKF_TOKEN_INITIALIZED, "token already initialised")
        # PyKCS11 hands the label string to C_InitToken as it is, while the
        # module reads the 32 bytes the standard defines (blank-padded, not
        # NUL-terminated): an unpadded label reads past the string's end. The
        # caller pads, as with any module.
        self.lib.initToken(slots[0], SO_PIN, LABEL.ljust(32))
        session = self.lib.openSession(self.find_slot(), P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
        session.login(SO_PIN, P.CKU_SO)
        session.initPin(USER_PIN)
        session.logout()
        session.closeSession()

    def open_login(self):
        P = self.P
        slot = self.find_slot()
        flags = self.lib.getTokenInfo(slot).flags
        expect(flags & P.CKF_USER_PIN_INITIALIZED, f"token flags 0x{flags:X}")
        self.session = self.lib.openSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
        self.session.login(USER_PIN)

    def close(self):
        if self.session is not None:
            self.session.logout()
            self.session.closeSession()

    def _common(self, cls, key_type, label, id_):
        return [(CKA_CLASS, cls), (CKA_KEY_TYPE, key_type), (CKA_TOKEN, True), (CKA_LABEL, label), (CKA_ID, id_)]

    def gen_ec(self, label, id_):
        P = self.P
        pub = self._common(CKO_PUBLIC_KEY, CKK_EC, label, id_) + [(CKA_EC_PARAMS, P256_PARAMS), (P.CKA_VERIFY, True)]
        priv = self._common(CKO_PRIVATE_KEY, CKK_EC, label, id_) + [
            (CKA_PRIVATE, True),
            (CKA_SENSITIVE, True),
            (P.CKA_SIGN, True),
        ]
        return self.session.generateKeyPair(pub, priv, mecha=P.MechanismECGENERATEKEYPAIR)

    def gen_rsa(self, label, id_):
        P = self.P
        pub = self._common(CKO_PUBLIC_KEY, CKK_RSA, label, id_) + [
            (P.CKA_MODULUS_BITS, 2048),
            (CKA_PUBLIC_EXPONENT, b"\x01\x00\x01"),
            (P.CKA_VERIFY, True),
        ]
        priv = self._common(CKO_PRIVATE_KEY, CKK_RSA, label, id_) + [
            (CKA_PRIVATE, True),
            (CKA_SENSITIVE, True),
            (P.CKA_SIGN, True),
        ]
        return self.session.generateKeyPair(pub, priv, mecha=P.MechanismRSAGENERATEKEYPAIR)

    def gen_aes(self, label, id_):
        P = self.P
        template = self._common(CKO_SECRET_KEY, CKK_AES, label, id_) + [
            (CKA_VALUE_LEN, 32),
            (CKA_SENSITIVE, True),
            (CKA_EXTRACTABLE, False),
            (P.CKA_ENCRYPT, True),
            (P.CKA_DECRYPT, True),
        ]
        return self.session.generateKey(template, mecha=P.MechanismAESGENERATEKEY)

    def import_aes(self, label, id_, value):
        P = self.P
        template = self._common(CKO_SECRET_KEY, CKK_AES, label, id_) + [
            (CKA_VALUE, value),
            (P.CKA_ENCRYPT, True),
            (P.CKA_DECRYPT, True),
        ]
        return self.session.createObject(template)

    def attr(self, obj, cka):
        value = self.session.getAttributeValue(obj, [cka])[0]
        # Byte arrays come back as lists of ints; labels as str.
        return bytes(value) if isinstance(value, (list, tuple, self.P.ckbytelist)) else value

    def handle(self, obj):
        return obj.value()

    def public_key(self, pub):
        if self.attr(pub, CKA_KEY_TYPE) == CKK_EC:
            expect(self.attr(pub, CKA_EC_PARAMS) == P256_PARAMS, "CKA_EC_PARAMS is not P-256's OID")
            point = der_octet_string(self.attr(pub, CKA_EC_POINT))
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        n = int.from_bytes(self.attr(pub, CKA_MODULUS), "big")
        e = int.from_bytes(self.attr(pub, CKA_PUBLIC_EXPONENT), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()

    def _mech(self, mech, pss):
        P = self.P
        if pss:
            return P.RSA_PSS_Mechanism(mech, CKM_SHA256, CKG_MGF1_SHA256, 32)
        return P.Mechanism(mech, None)

    def sign(self, key, mech, data, pss=False):
        return bytes(self.session.sign(key, data, self._mech(mech, pss)))

    def verify(self, key, mech, data, sig, pss=False):
        return self.session.verify(key, data, sig, self._mech(mech, pss))

    def gcm_encrypt(self, key, iv, aad, data):
        return bytes(self.session.encrypt(key, data, self.P.AES_GCM_Mechanism(iv, aad, 128)))

    def gcm_decrypt(self, key, iv, aad, data):
        return bytes(self.session.decrypt(key, data, self.P.AES_GCM_Mechanism(iv, aad, 128)))

    def find(self, template):
        return {h.value() for h in self.session.findObjects(list(template.items()))}

    def two_call(self, keys):
        """PyKCS11 asks every length with an empty buffer first (the calls
        above did); its low-level C_Sign also passes a buffer that is too
        small as it is: CKR_BUFFER_TOO_SMALL must keep the operation, so a
        length query and the real call follow in the same operation."""
        P, low, s = self.P, self.session.lib, self.session.session
        pub, priv = keys["ec"]
        rv = low.C_SignInit(s, P.Mechanism(CKM_ECDSA_SHA256, None).to_native(), priv)
        expect(rv == 0, f"C_SignInit: {P.CKR.get(rv, hex(rv))}")
        small = P.ckbytelist(b"\0" * 10)
        rv = low.C_Sign(s, P.ckbytelist(MSG), small)
        expect(rv == CKR_BUFFER_TOO_SMALL, f"C_Sign into 10 bytes: {P.CKR.get(rv, hex(rv))}, not CKR_BUFFER_TOO_SMALL")
        sig = P.ckbytelist()
        rv = low.C_Sign(s, P.ckbytelist(MSG), sig)
        expect(rv == 0, f"C_Sign length query after CKR_BUFFER_TOO_SMALL: {P.CKR.get(rv, hex(rv))}")
        expect(len(sig) == 64, f"C_Sign length query gave {len(sig)}, not 64")
        rv = low.C_Sign(s, P.ckbytelist(MSG), sig)
        expect(rv == 0, f"C_Sign: {P.CKR.get(rv, hex(rv))}")
        verify_ecdsa(self.public_key(pub), bytes(sig))
        # The operation ended with the signature.
        rv = low.C_Sign(s, P.ckbytelist(MSG), sig)
        expect(rv == P.CKR_OPERATION_NOT_INITIALIZED, f"C_Sign after the signature: {P.CKR.get(rv, hex(rv))}")
        # Attribute lengths: CKA_MODULUS is asked with a NULL pValue first.
        modulus = self.attr(keys["rsa"][0], CKA_MODULUS)
        expect(len(modulus) == 256, f"CKA_MODULUS has {len(modulus)} bytes")


# ---------------------------------------------------------------------------
# The checks, the same for both libraries.


def verify_ecdsa(pub, sig):
    expect(len(sig) == 64, f"ECDSA P-256 signature of {len(sig)} bytes, not r||s of 64")
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, MSG, ec.ECDSA(hashes.SHA256()))
    pyca_rejects(pub.verify, der, MSG + b"!", ec.ECDSA(hashes.SHA256()))


def run(client):
    keys = {}

    if check("token-init", client.init_token) is None:
        return
    if check("find-token-login", client.open_login) is None:
        return

    def keygen(kind, gen, label, id_, checks):
        def go():
            made = gen(label, id_)
            for obj in made if isinstance(made, tuple) else (made,):
                expect(client.attr(obj, CKA_LABEL) == label, f"CKA_LABEL {client.attr(obj, CKA_LABEL)!r}")
                expect(client.attr(obj, CKA_ID) == id_, "CKA_ID differs from the template's")
                expect(client.attr(obj, CKA_TOKEN), "CKA_TOKEN is false")
            checks(made)
            keys[kind] = made

        check(f"keygen-{label}", go)

    def ec_attrs(made):
        pub, priv = made
        expect(client.attr(pub, CKA_KEY_TYPE) == CKK_EC, "public key type is not CKK_EC")
        expect(client.attr(priv, CKA_LOCAL), "private key CKA_LOCAL is false")
        expect(client.attr(priv, CKA_SENSITIVE), "private key CKA_SENSITIVE is false")
        expect(client.attr(pub, CKA_EC_PARAMS) == P256_PARAMS, "CKA_EC_PARAMS is not P-256's OID")
        key = client.public_key(pub)
        expect(isinstance(key.curve, ec.SECP256R1), f"pyca loads a key on {key.curve.name}")

    def rsa_attrs(made):
        pub, priv = made
        expect(client.attr(priv, CKA_KEY_TYPE) == CKK_RSA, "private key type is not CKK_RSA")
        expect(client.attr(priv, CKA_LOCAL), "private key CKA_LOCAL is false")
        key = client.public_key(pub)
        expect(key.key_size == 2048, f"pyca loads a {key.key_size}-bit key")
        expect(key.public_numbers().e == 65537, f"public exponent {key.public_numbers().e}")

    def aes_attrs(key):
        expect(client.attr(key, CKA_KEY_TYPE) == CKK_AES, "key type is not CKK_AES")
        expect(client.attr(key, CKA_VALUE_LEN) == 32, f"CKA_VALUE_LEN {client.attr(key, CKA_VALUE_LEN)}")
        expect(client.attr(key, CKA_SENSITIVE), "CKA_SENSITIVE is false")

    keygen("ec", client.gen_ec, "ec-p256", b"\x01", ec_attrs)
    keygen("rsa", client.gen_rsa, "rsa-2048", b"\x02", rsa_attrs)
    keygen("aes", client.gen_aes, "aes-256", b"\x03", aes_attrs)

    def ecdsa():
        pub, priv = keys["ec"]
        sig = client.sign(priv, CKM_ECDSA_SHA256, MSG)
        verify_ecdsa(client.public_key(pub), sig)
        expect(client.verify(pub, CKM_ECDSA_SHA256, MSG, sig), "the module rejected its own signature")
        expect(not client.verify(pub, CKM_ECDSA_SHA256, MSG + b"!", sig), "the module accepted another message")

    def rsa_pkcs1():
        pub, priv = keys["rsa"]
        sig = client.sign(priv, CKM_SHA256_RSA_PKCS, MSG)
        expect(len(sig) == 256, f"signature of {len(sig)} bytes")
        key = client.public_key(pub)
        key.verify(sig, MSG, padding.PKCS1v15(), hashes.SHA256())
        pyca_rejects(key.verify, sig, MSG + b"!", padding.PKCS1v15(), hashes.SHA256())
        # PKCS#1 v1.5 is deterministic: a second signature is the same.
        expect(client.sign(priv, CKM_SHA256_RSA_PKCS, MSG) == sig, "two PKCS#1 v1.5 signatures differ")
        expect(client.verify(pub, CKM_SHA256_RSA_PKCS, MSG, sig), "the module rejected its own signature")
        expect(not client.verify(pub, CKM_SHA256_RSA_PKCS, MSG + b"!", sig), "the module accepted another message")

    def rsa_pss():
        pub, priv = keys["rsa"]
        sig = client.sign(priv, CKM_SHA256_RSA_PKCS_PSS, MSG, pss=True)
        expect(len(sig) == 256, f"signature of {len(sig)} bytes")
        key = client.public_key(pub)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        key.verify(sig, MSG, pss, hashes.SHA256())
        pyca_rejects(key.verify, sig, MSG + b"!", pss, hashes.SHA256())
        # A random salt: a second signature differs, and verifies too.
        sig2 = client.sign(priv, CKM_SHA256_RSA_PKCS_PSS, MSG, pss=True)
        expect(sig2 != sig, "two PSS signatures are equal (no random salt)")
        key.verify(sig2, MSG, pss, hashes.SHA256())
        expect(client.verify(pub, CKM_SHA256_RSA_PKCS_PSS, MSG, sig, pss=True), "the module rejected its own signature")

    if "ec" in keys:
        check("ecdsa-sha256", ecdsa)
    if "rsa" in keys:
        check("rsa-pkcs1-sha256", rsa_pkcs1)
        check("rsa-pss-sha256", rsa_pss)

    def gcm_roundtrip(key):
        ct = client.gcm_encrypt(key, IV, AAD, PLAIN)
        expect(len(ct) == len(PLAIN) + 16, f"ciphertext of {len(ct)} bytes, not plaintext + 16-byte tag")
        expect(client.gcm_decrypt(key, IV, AAD, ct) == PLAIN, "decryption differs from the plaintext")
        bad = ct[:-1] + bytes([ct[-1] ^ 1])
        for what, args in (("an altered tag", (IV, AAD, bad)), ("another AAD", (IV, AAD + b"!", ct))):
            try:
                out = client.gcm_decrypt(key, *args)
            except Exception as e:  # noqa: BLE001 - the library's error for a CKR
                print(f"# {client.name}: decryption with {what}: {type(e).__name__} {e}", file=sys.stderr)
                continue
            raise AssertionError(f"decryption with {what} succeeded: {out!r}")
        return ct

    def gcm_generated():
        gcm_roundtrip(keys["aes"])

    def gcm_known():
        key = client.import_aes("aes-known", b"\x04", KNOWN_AES)
        keys["aes-known"] = key
        expected = AESGCM(KNOWN_AES).encrypt(IV, PLAIN, AAD)
        ct = gcm_roundtrip(key)
        expect(ct == expected, f"ciphertext differs from pyca's: {ct.hex()} != {expected.hex()}")
        # pyca's own ciphertext of another message decrypts in the module.
        other = AESGCM(KNOWN_AES).encrypt(IV, b"from pyca", b"")
        expect(client.gcm_decrypt(key, IV, b"", other) == b"from pyca", "pyca's ciphertext decrypts otherwise")

    if "aes" in keys:
        check("aes-gcm-generated-key", gcm_generated)
    check("aes-gcm-known-key-vs-pyca", gcm_known)

    def find():
        h = {kind: tuple(client.handle(k) for k in (v if isinstance(v, tuple) else (v,))) for kind, v in keys.items()}
        expect(set(h) == {"ec", "rsa", "aes", "aes-known"}, f"keys missing for the search: {sorted(h)}")
        cases = [
            ("label ec-p256", {CKA_LABEL: "ec-p256"}, set(h["ec"])),
            ("id 02", {CKA_ID: b"\x02"}, set(h["rsa"])),
            ("private key with id 01", {CKA_CLASS: CKO_PRIVATE_KEY, CKA_ID: b"\x01"}, {h["ec"][1]}),
            ("class private key", {CKA_CLASS: CKO_PRIVATE_KEY}, {h["ec"][1], h["rsa"][1]}),
            ("class public key", {CKA_CLASS: CKO_PUBLIC_KEY}, {h["ec"][0], h["rsa"][0]}),
            ("class secret key", {CKA_CLASS: CKO_SECRET_KEY}, {h["aes"][0], h["aes-known"][0]}),
            ("public EC key", {CKA_CLASS: CKO_PUBLIC_KEY, CKA_KEY_TYPE: CKK_EC}, {h["ec"][0]}),
            ("label nowhere", {CKA_LABEL: "nowhere"}, set()),
            ("label with a wrong class", {CKA_LABEL: "aes-256", CKA_CLASS: CKO_PRIVATE_KEY}, set()),
        ]
        for what, template, want in cases:
            got = client.find(template)
            expect(got == want, f"search by {what}: handles {sorted(got)}, expected {sorted(want)}")

    check("find-objects", find)

    def two_call():
        expect("ec" in keys and "rsa" in keys and "aes-known" in keys, "keys missing")
        client.two_call(keys)

    check("two-call-lengths", two_call)
    client.close()


def main():
    global prefix
    module, which = sys.argv[1], sys.argv[2]
    prefix = which
    try:
        client = {"python-pkcs11": PythonPkcs11, "pykcs11": PyKcs11}[which](module)
    except Exception as e:  # noqa: BLE001
        fail("load", f"{type(e).__name__}: {e}")
        return 1
    run(client)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
