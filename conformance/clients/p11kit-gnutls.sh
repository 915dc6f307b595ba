#!/usr/bin/env bash
# p11-kit and GnuTLS (p11tool, certtool) against libqrcpkcs11.so, registered
# with p11-kit through the shipped packaging/qrcpkcs11.module installed as a
# package installs it, in a fresh token store: the module and token listed by
# p11-kit, the token listed by p11tool, EC P-256 and RSA-2048 keys made on the
# token, self-signed certificates (RSA PKCS#1 v1.5 and PSS, ECDSA) and CSRs
# signed by the token's keys and checked by OpenSSL, and a certificate stored
# on the token and read back. GnuTLS finds everything by pkcs11: URI.
# One line per check (see lib.sh); exit 1 if any check failed.
set -uo pipefail

dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=conformance/clients/lib.sh
source "$dir/lib.sh"
# shellcheck source=conformance/clients/p11kit-lib.bash
source "$dir/p11kit-lib.bash"

for tool in p11-kit:p11-kit p11tool:gnutls-bin certtool:gnutls-bin \
    pkcs11-tool:opensc openssl:openssl; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        echo "FAIL p11kit-gnutls: ${tool%%:*} not found (apt-get install -y ${tool#*:})"
        exit 1
    fi
done
need_module p11kit-gnutls || exit 1
version p11-kit "$(p11kit_version)"
version certtool "$(certtool --version | awk 'NR == 1 { print $2 }')"
version p11tool "$(p11tool --version | awk 'NR == 1 { print $2 }')"

p11kit_workdir

LABEL=qrc-gnutls
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234
TOKEN="pkcs11:token=$LABEL"
# p11tool and certtool take the user PIN from here (--login).
export GNUTLS_PIN=$PIN

# Every program is bounded: a hung call must not hang CI. One program holds
# the token store at a time, so they run one after the other.
p11t() { timeout 60 p11tool "$@" </dev/null; }
cert() { timeout 60 certtool "$@" </dev/null; }
# spki FILE: the DER SubjectPublicKeyInfo of a PEM public key, certificate or
# CSR (certtool puts a text dump before a CSR's PEM), as hex, to compare keys.
spki() {
    case $(grep -m1 '^-----BEGIN ' "$1") in
    *CERTIFICATE\ REQUEST*) openssl req -in "$1" -noout -pubkey ;;
    *CERTIFICATE*) openssl x509 -in "$1" -noout -pubkey ;;
    *) cat "$1" ;;
    esac 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 -v | tr -d ' \n'
}

# same_key NAME FILE KEY-LABEL WHAT: FILE's public key must be the one p11tool
# wrote when it generated the token's key KEY-LABEL.
same_key() {
    local key
    key=$(spki "$2")
    if [[ -z $key ]]; then
        fail "$1" "no public key in $4"
    elif [[ $key != $(spki "$work/$3.pub") ]]; then
        fail "$1" "$4 does not hold the public key of the token's key $3"
    else
        return 0
    fi
    return 1
}

cat >"$work/template" <<'EOF'
cn = "qrcpkcs11 GnuTLS CI"
serial = 1
expiration_days = 30
ca
cert_signing_key
signing_key
EOF

n=p11kit-register
p11kit_install "$n" "$work/backup" || exit 1
p11kit_check_registered "$n" && ok "$n"

n=token-setup
p11kit_token_setup "$n" "$LABEL" "$SO_PIN" "$PIN" && ok "$n" || exit 1

n=p11kit-list-token
p11kit_check_registered "$n" "$LABEL" && ok "$n"

# GnuTLS lists only the tokens of the modules it could initialise.
n=p11tool-list-tokens
gnutls_sees_token=0
if run "$n" p11t --list-token-urls; then
    if grep -qE "^pkcs11:.*token=$LABEL(;|\$)" <<<"$out"; then
        gnutls_sees_token=1
        ok "$n"
    else
        # Load the module alone, which shows why GnuTLS left it out.
        listing=$out
        out=$(p11t --provider "$P11KIT_SO" --list-tokens 2>&1)
        if grep -q 'Thread locking error' <<<"$out"; then
            # GnuTLS 3.7 calls C_Initialize itself, always with
            # CKF_OS_LOCKING_OK|CKF_LIBRARY_CANT_CREATE_OS_THREADS.
            fail "$n" "GnuTLS left the module out: C_Initialize with CKF_LIBRARY_CANT_CREATE_OS_THREADS failed ('$(reason)')"
        else
            out="$listing"$'\n'"$out"
            fail "$n" "token $LABEL is not among p11tool's tokens"
        fi
    fi
fi

# gnutls NAME: false, with a skip line, when GnuTLS cannot see the token: the
# checks after it would fail only for that one reason, reported above.
gnutls() {
    ((gnutls_sees_token)) && return 0
    skip "$1" "GnuTLS does not see the token (FAIL p11tool-list-tokens)"
    return 1
}

# keygen NAME KEY-LABEL ID TYPE-REGEX ARGS...: a key pair made on the token by
# p11tool; its public key as p11tool wrote it must be the one read back from
# the token.
keygen() {
    local n=$1 label=$2 id=$3 type=$4
    shift 4
    gnutls "$n" || return 1
    run "$n" p11t --login --generate-privkey="$1" "${@:2}" --label="$label" --id="$id" \
        --outfile="$work/$label.pub" "$TOKEN" &&
        run "$n" p11t --login --list-privkeys "$TOKEN" &&
        expect "$n" "object=$label;type=private" &&
        expect "$n" "Type: Private key \\($type\\)" &&
        run "$n" p11t --export-pubkey --outfile="$work/$label.pub2" \
            "$TOKEN;object=$label;type=public" &&
        same_key "$n" "$work/$label.pub2" "$label" "the public key read back from the token" &&
        ok "$n"
}

keygen keygen-ec-p256 gt-ec 01 'EC/ECDSA-SECP256R1' ECDSA --curve=secp256r1
keygen keygen-rsa-2048 gt-rsa 02 'RSA-2048' RSA --bits=2048

# selfsigned NAME KEY-LABEL SIG-REGEX [ARGS...]: a self-signed certificate
# signed by the token's key; OpenSSL checks the signature, and its key must be
# the token's.
selfsigned() {
    local n=$1 label=$2 sig=$3 crt=$work/$1.crt
    shift 3
    gnutls "$n" || return 1
    [[ -s $work/$label.pub ]] || {
        skip "$n" "no key $label (keygen failed)"
        return 1
    }
    run "$n" cert --generate-self-signed "$@" --template "$work/template" \
        --load-privkey "$TOKEN;object=$label;type=private" --outfile "$crt" &&
        run "$n" openssl x509 -in "$crt" -noout -text &&
        expect "$n" "Signature Algorithm: $sig" &&
        run "$n" openssl verify -CAfile "$crt" "$crt" &&
        expect "$n" ': OK$' &&
        same_key "$n" "$crt" "$label" "the certificate" &&
        ok "$n"
}

selfsigned selfsigned-ecdsa gt-ec 'ecdsa-with-SHA256'
selfsigned selfsigned-rsa gt-rsa 'sha256WithRSAEncryption'
selfsigned selfsigned-rsa-pss gt-rsa 'rsassaPss' --sign-params RSA-PSS

# csr NAME KEY-LABEL: a PKCS#10 request signed by the token's key, checked by
# OpenSSL.
csr() {
    local n=$1 label=$2 req=$work/$1.csr
    gnutls "$n" || return 1
    [[ -s $work/$label.pub ]] || {
        skip "$n" "no key $label (keygen failed)"
        return 1
    }
    run "$n" cert --generate-request --template "$work/template" \
        --load-privkey "$TOKEN;object=$label;type=private" --outfile "$req" &&
        run "$n" openssl req -in "$req" -noout -verify &&
        expect "$n" 'verify OK' &&
        same_key "$n" "$req" "$label" "the request" &&
        ok "$n"
}

csr csr-ecdsa gt-ec
csr csr-rsa gt-rsa

n=cert-write
# Stored with the key's label and CKA_ID, as GnuTLS pairs them; listed and
# read back without logging in (certificates are public objects).
crt=$work/selfsigned-ecdsa.crt
if gnutls "$n"; then
    if [[ ! -s $crt ]]; then
        skip "$n" "no certificate to write (selfsigned-ecdsa failed)"
    else
        run "$n" p11t --login --write --load-certificate "$crt" --label gt-ec --id 01 "$TOKEN" &&
            run "$n" p11t --list-all-certs "$TOKEN" &&
            expect "$n" "object=gt-ec;type=cert" &&
            expect "$n" 'Type: X.509 Certificate \(EC/ECDSA-SECP256R1\)' &&
            expect "$n" 'ID: 01$' &&
            run "$n" p11t --export --outfile "$work/back.crt" "$TOKEN;object=gt-ec;type=cert" &&
            if ! cmp -s <(openssl x509 -in "$crt" -outform DER) \
                <(openssl x509 -in "$work/back.crt" -outform DER 2>/dev/null); then
                fail "$n" "the certificate read back differs from the one written"
            else
                ok "$n"
            fi
    fi
fi

((failures == 0))
