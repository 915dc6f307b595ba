#!/usr/bin/env bash
# pyca/cryptography (an independent implementation) against libqrcpkcs11.so
# driven through python-pkcs11, for the classical mechanisms, in a fresh token
# store: ECDSA, ECDH, Ed25519, X25519, RSA (PKCS #1 v1.5, PSS, OAEP, raw),
# AES (ECB, CBC, CBC_PAD, CTR, GCM, KW, KWP), HMAC, HKDF, the SP 800-108
# counter KDF, digests, and wrapping of private and secret keys; what the
# module makes is checked by pyca and the reverse (see pyca_classic.py).
# One line per check (see lib.sh); exit 1 if any check failed.
#
# Needs python3 with venv and pip access to PyPI. QRC_PYTHON_VENV names an
# existing venv to reuse (holding cryptography and python-pkcs11) instead of
# building one in the temporary directory.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=conformance/clients/lib.sh
source "$dir/lib.sh"

n=pyca-classic
need_module $n || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/store"
export QRC_PKCS11_STORE=$work/store
unset QRC_PKCS11_CONF

venv=${QRC_PYTHON_VENV:-$work/venv}
# python-pkcs11 0.10 passes raw bytes as mechanism parameters.
python_venv $n "$venv" 'cryptography>=47' 'python-pkcs11>=0.10' || exit 1
out=$("$venv/bin/python" -c '
import importlib.metadata as m
print(m.version("cryptography"), m.version("python-pkcs11"))' 2>&1) || {
    fail $n "cryptography / python-pkcs11 not importable"
    exit 1
}
read -r pyca_version pkcs11_version <<<"$out"
version cryptography "$pyca_version"
version python-pkcs11 "$pkcs11_version"

lines=$work/lines
timeout 300 "$venv/bin/python" "$dir/pyca_classic.py" "$QRC_MODULE" 2>"$work/stderr" | tee "$lines"
rc=${PIPESTATUS[0]}
if ((rc != 0)); then
    if ! grep -q '^FAIL ' "$lines"; then
        out=$(tail -n 20 "$work/stderr")
        fail $n "pyca_classic.py exited $rc"
    else
        sed 's/^/    | /' "$work/stderr" >&2
    fi
    exit 1
fi
