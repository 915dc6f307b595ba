#!/usr/bin/env bash
# python-pkcs11 and PyKCS11 (the two Python PKCS#11 bindings, from PyPI)
# against libqrcpkcs11.so, each in a fresh token store of its own: token set-up,
# EC P-256 / RSA-2048 / AES-256 keys generated on the token, ECDSA-SHA256 and
# RSA PKCS#1 v1.5 / PSS signatures verified by pyca/cryptography from the
# exported public keys, AES-GCM compared with pyca's for a key of known value,
# object search by label / id / class, and the two-call length convention.
# One line per check (see lib.sh); exit 1 if any check failed.
#
# Needs python3 with venv and pip access to PyPI (both bindings ship wheels for
# CPython 3.11 on x86_64, so no compiler or swig). QRC_PYTHON_VENV names an
# existing venv to reuse (holding python-pkcs11, PyKCS11 and cryptography)
# instead of building one in the temporary directory.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=conformance/clients/lib.sh
source "$dir/lib.sh"

n=python-clients
need_module $n || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset QRC_PKCS11_CONF

venv=${QRC_PYTHON_VENV:-$work/venv}
# python-pkcs11 0.10 has GCMParams; PyKCS11 1.5 the AES-GCM and PSS mechanisms.
python_venv $n "$venv" 'python-pkcs11>=0.10' 'PyKCS11>=1.5' 'cryptography>=47' || exit 1
py=$venv/bin/python
if ! out=$("$py" -c '
import importlib.metadata as m
import cryptography, pkcs11, PyKCS11
for d in ("python-pkcs11", "PyKCS11", "cryptography"):
    print(d, m.version(d))' 2>&1); then
    fail $n "python-pkcs11 / PyKCS11 / cryptography not importable in $venv"
    exit 1
fi
while read -r program ver; do
    version "$program" "$ver"
done <<<"$out"
out=

# One process at a time holds a store: the libraries run one after the other.
for lib in python-pkcs11 pykcs11; do
    mkdir "$work/store-$lib"
    lines=$work/lines-$lib
    QRC_PKCS11_STORE=$work/store-$lib timeout 120 "$py" "$dir/python_clients.py" "$QRC_MODULE" "$lib" \
        2>"$work/stderr-$lib" | tee "$lines"
    rc=${PIPESTATUS[0]}
    ((rc == 0)) && continue
    if grep -q '^FAIL ' "$lines"; then
        failures=$((failures + 1))
        sed 's/^/    | /' "$work/stderr-$lib" >&2
    else
        # Killed by timeout (124), a crash in the module, or an import error.
        out=$(tail -n 20 "$work/stderr-$lib")
        fail "$lib" "python_clients.py $lib exited $rc"
    fi
done
((failures == 0))
