#!/usr/bin/env bash
# pyca/cryptography (an independent ML-DSA / ML-KEM implementation) against
# libqrcpkcs11.so driven through python-pkcs11, in a fresh token store:
# module signatures verified by pyca (with and without context), pyca
# encapsulation decapsulated by the module and the reverse, seed imports.
# One line per check (see lib.sh); exit 1 if any check failed.
#
# Needs python3 with venv and pip access to PyPI. QRC_PYTHON_VENV names an
# existing venv to reuse (holding cryptography and python-pkcs11) instead of
# building one in the temporary directory.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=conformance/clients/lib.sh
source "$dir/lib.sh"

n=pyca-interop
need_module $n || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/store"
export QRC_PKCS11_STORE=$work/store
unset QRC_PKCS11_CONF

venv=${QRC_PYTHON_VENV:-$work/venv}
# cryptography 47 brought ML-DSA-44/87 beside 65; python-pkcs11 0.10 C_EncapsulateKey.
python_venv $n "$venv" 'cryptography>=47' 'python-pkcs11>=0.10' || exit 1
out=$("$venv/bin/python" -c 'import cryptography, pkcs11; print(cryptography.__version__)' 2>&1) || {
    fail $n "cryptography / python-pkcs11 not importable"
    exit 1
}
version cryptography "$out"

lines=$work/lines
"$venv/bin/python" "$dir/pyca_interop.py" "$QRC_MODULE" 2>"$work/stderr" | tee "$lines"
rc=${PIPESTATUS[0]}
if ((rc != 0)); then
    if ! grep -q '^FAIL ' "$lines"; then
        out=$(tail -n 20 "$work/stderr")
        fail $n "pyca_interop.py exited $rc"
    else
        sed 's/^/    | /' "$work/stderr" >&2
    fi
    exit 1
fi
