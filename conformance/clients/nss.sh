#!/usr/bin/env bash
# NSS (modutil, certutil) against libqrcpkcs11.so, in a fresh token store and
# a fresh NSS database: the module added to the database and its token
# listed, an EC P-256 key and CSR made on the token, a self-signed CA
# certificate made and stored on the token, certificates and keys listed
# through the token, and a certificate issued by the token's CA key. Every
# signature is checked by OpenSSL, and the keys' CKA_ID (which NSS sets with
# C_SetAttributeValue after key generation) are read back with pkcs11-tool.
# One line per check (see lib.sh); exit 1 if any check failed.
set -uo pipefail

# shellcheck source=conformance/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in certutil:libnss3-tools modutil:libnss3-tools pkcs11-tool:opensc openssl:openssl; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        echo "FAIL nss: ${tool%%:*} not found (apt-get install -y ${tool#*:})"
        exit 1
    fi
done
need_module nss || exit 1
version certutil "$(dpkg-query -W -f '${Version}' libnss3-tools 2>/dev/null || echo unknown)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/store" "$work/db"
export QRC_PKCS11_STORE=$work/store
# Only the store above: no configured tokens, default PIN and KDF settings.
unset QRC_PKCS11_CONF

LABEL=nss-ci
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234
DB=sql:$work/db
# certutil logs in to the token with the PIN from this file (-f).
printf '%s\n' "$PIN" >"$work/pin"
# Seed for NSS's own RNG, so certutil does not ask for keystrokes.
head -c 2048 /dev/urandom >"$work/noise"

# Every program is bounded: a hung call must not hang CI. One program holds
# the token store at a time, so they run one after the other.
p11() { timeout 60 pkcs11-tool --module "$QRC_MODULE" --token-label "$LABEL" "$@"; }
cu() { timeout 60 certutil -d "$DB" "$@"; }
# point_id FILE: the SHA-1 of the raw EC point (the last 65 bytes) of the
# P-256 SubjectPublicKeyInfo in DER FILE, which NSS makes an EC key's CKA_ID.
point_id() { tail -c 65 "$1" | sha1sum | cut -d' ' -f1; }

n=token-setup
run $n timeout 60 pkcs11-tool --module "$QRC_MODULE" --slot 0 --init-token \
    --label "$LABEL" --so-pin "$SO_PIN" &&
    run $n p11 --login --login-type so --so-pin "$SO_PIN" --init-pin --pin "$PIN" &&
    ok $n || exit 1

n=modutil-add
# -force: no "is the browser running" question.
run $n timeout 60 certutil -N -d "$DB" --empty-password &&
    run $n timeout 60 modutil -dbdir "$DB" -force -add qrc -libfile "$QRC_MODULE" &&
    expect $n 'Module "qrc" added to database' &&
    ok $n

n=modutil-list
# NSS loads the module here (C_GetInterface, C_Initialize, slots, token info).
run $n timeout 60 modutil -dbdir "$DB" -list &&
    expect $n '^[[:space:]]*[0-9]+\. qrc$' &&
    expect $n 'library name: .*libqrcpkcs11' &&
    expect $n "^[[:space:]]*token: $LABEL\$" &&
    ok $n

n=csr-ec-p256
# The key pair is generated on the token (-h) and the CSR signed there.
run $n cu -R -h "$LABEL" -f "$work/pin" -z "$work/noise" -k ec -q nistp256 \
    -s "CN=qrc nss csr,O=qrcpkcs11" -o "$work/csr.der" &&
    run $n openssl req -inform DER -in "$work/csr.der" -verify -noout -text &&
    expect $n 'verify OK' &&
    expect $n 'Subject: .*CN *= *qrc nss csr$' &&
    expect $n 'NIST CURVE: P-256' &&
    expect $n 'Signature Algorithm: ecdsa-with-SHA256' &&
    ok $n

n=set-cka-id
# NSS sets CKA_ID = SHA-1(EC point) on both keys after C_GenerateKeyPair. The
# public key found by that ID is the CSR's, and the private key found by that
# ID signs for it (verified by OpenSSL).
if [[ ! -s $work/csr.der ]]; then
    out=
    fail $n "no CSR"
else
    openssl req -inform DER -in "$work/csr.der" -noout -pubkey |
        openssl pkey -pubin -outform DER -out "$work/csr-pub.der"
    id=$(point_id "$work/csr-pub.der")
    printf 'qrc nss' | openssl dgst -sha256 -binary >"$work/hash"
    run $n p11 --read-object --type pubkey --id "$id" --output-file "$work/tok-pub.der" &&
        if ! openssl pkey -pubin -inform DER -in "$work/tok-pub.der" -outform DER 2>/dev/null |
            cmp -s - "$work/csr-pub.der"; then
            out=
            fail $n "the public key with CKA_ID $id is not the CSR's"
        else
            run $n p11 --login --pin "$PIN" --sign -m ECDSA --id "$id" \
                --signature-format openssl --input-file "$work/hash" \
                --output-file "$work/hash.sig" &&
                run $n openssl pkeyutl -verify -pubin -inkey "$work/csr-pub.der" -keyform DER \
                    -in "$work/hash" -sigfile "$work/hash.sig" &&
                expect $n 'Signature Verified Successfully' &&
                ok $n
        fi
fi

n=self-signed-cert
# -x: self-signed by a new token key; -2 (answers on stdin): a CA with
# pathlen 0, for the issuing check below; -t: NSS may try to store trust as
# CKO_NSS_TRUST objects, which the token may refuse.
run $n cu -S -h "$LABEL" -f "$work/pin" -z "$work/noise" -n qrc-ca -x -t 'CT,,' \
    -k ec -q nistp256 -s "CN=qrc nss ca,O=qrcpkcs11" -m 4242 -v 12 -2 <<<$'y\n0\ny' &&
    run $n cu -L -h "$LABEL" -f "$work/pin" -n "$LABEL:qrc-ca" -a &&
    printf '%s\n' "$out" | sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' \
        >"$work/ca.pem" &&
    run $n openssl x509 -in "$work/ca.pem" -noout -subject -issuer -serial -ext basicConstraints &&
    expect $n '^subject=.*CN *= *qrc nss ca$' &&
    expect $n '^issuer=.*CN *= *qrc nss ca$' &&
    expect $n '^serial=1092$' &&
    expect $n 'CA:TRUE' &&
    ok $n

n=list-certs
# "u" in the trust column: NSS found the certificate's private key.
run $n cu -L -h "$LABEL" -f "$work/pin" &&
    expect $n "^$LABEL:qrc-ca +[A-Za-z]*u[A-Za-z]*,[A-Za-z]*,[A-Za-z]*\$" &&
    ok $n

n=list-keys
run $n cu -K -h "$LABEL" -f "$work/pin" &&
    expect $n "^<[ 0-9]+> ec +[0-9a-f]{40} +$LABEL:qrc-ca\$" &&
    expect $n "^<[ 0-9]+> ec +[0-9a-f]{40} +\\(orphan\\)\$" &&
    ok $n
keys=$out

n=cert-signature
# OpenSSL checks the token's signature on the certificate, and the
# certificate's key is the token key that certutil -K names after it.
if [[ ! -s $work/ca.pem ]]; then
    out=
    fail $n "no certificate"
else
    openssl x509 -in "$work/ca.pem" -noout -pubkey |
        openssl pkey -pubin -outform DER -out "$work/ca-pub.der"
    id=$(point_id "$work/ca-pub.der")
    run $n openssl verify -check_ss_sig -CAfile "$work/ca.pem" "$work/ca.pem" &&
        expect $n ': OK$' &&
        out=$keys &&
        expect $n "^<[ 0-9]+> ec +$id +$LABEL:qrc-ca\$" &&
        ok $n
fi

n=issue-from-csr
# The token's CA key signs a certificate for the CSR's key (certutil -C).
# certutil -C looks the issuer up by nickname without passing on the -f
# password: on a token that needs a login it asks on the terminal and never
# calls C_Login. A second database declares the slot's certificates public
# (FRIENDLY), which they are here, so no login is needed to find them.
mkdir "$work/db2"
db2=sql:$work/db2
if [[ ! -s $work/ca.pem || ! -s $work/csr.der ]]; then
    out=
    fail $n "no CA certificate or CSR"
else
    run $n timeout 60 certutil -N -d "$db2" --empty-password &&
        run $n timeout 60 modutil -dbdir "$db2" -force -add qrc -libfile "$QRC_MODULE" \
            -mechanisms FRIENDLY &&
        run $n timeout 60 certutil -C -d "$db2" -f "$work/pin" -c "$LABEL:qrc-ca" \
            -i "$work/csr.der" -o "$work/leaf.der" -m 7 -v 12 </dev/null &&
        run $n openssl x509 -inform DER -in "$work/leaf.der" -out "$work/leaf.pem" &&
        run $n openssl verify -CAfile "$work/ca.pem" "$work/leaf.pem" &&
        expect $n ': OK$' &&
        run $n openssl x509 -in "$work/leaf.pem" -noout -pubkey &&
        if ! openssl pkey -pubin -outform DER <<<"$out" | cmp -s - "$work/csr-pub.der"; then
            out=
            fail $n "the issued certificate is not for the CSR's key"
        else
            ok $n
        fi
fi

((failures == 0))
