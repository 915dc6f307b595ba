#!/usr/bin/env bash
# OpenSC pkcs11-tool against libqrcpkcs11.so, in a fresh token store:
# token and PIN set-up, mechanisms, AES keys and AES-CBC-PAD (checked against
# OpenSSL), EC and RSA keys (signatures and OAEP checked by OpenSSL),
# objects, random numbers, and pkcs11-tool's own --test with an RSA key.
# One line per check (see lib.sh); exit 1 if any check failed.
set -uo pipefail

# shellcheck source=conformance/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v pkcs11-tool >/dev/null; then
    echo "FAIL pkcs11-tool: pkcs11-tool not found (apt-get install -y opensc)"
    exit 1
fi
need_module pkcs11-tool || exit 1
version opensc "$(dpkg-query -W -f '${Version}' opensc 2>/dev/null || echo unknown)"

store=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$store" "$work"' EXIT
export QRC_PKCS11_STORE=$store
# Only the store above: no configured tokens, default PIN and KDF settings.
unset QRC_PKCS11_CONF

LABEL=qrc-ci
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234
NEW_PIN=ci-user-5678
IV=000102030405060708090a0b0c0d0e0f

p11() { pkcs11-tool --module "$QRC_MODULE" "$@"; }
# After C_InitToken, find the token by label: slot IDs are a module's choice.
tok() { p11 --token-label "$LABEL" "$@"; }
user() { tok --login --pin "$NEW_PIN" "$@"; }

n=list-slots
run $n p11 -L &&
    expect $n '^Slot 0 ' &&
    expect $n 'token state: +uninitialized' &&
    ok $n

n=init-token
run $n p11 --slot 0 --init-token --label "$LABEL" --so-pin "$SO_PIN" &&
    expect $n 'Token successfully initialized' &&
    run $n p11 -L &&
    expect $n "token label +: $LABEL" &&
    expect $n 'token flags +:.*token initialized' &&
    ok $n

n=init-pin
run $n tok --login --login-type so --so-pin "$SO_PIN" --init-pin --pin "$PIN" &&
    expect $n 'User PIN successfully initialized' &&
    run $n p11 -L &&
    expect $n 'token flags +:.*PIN initialized' &&
    ok $n

n=change-pin
run $n tok --login --pin "$PIN" --change-pin --new-pin "$NEW_PIN" &&
    expect $n 'PIN successfully changed' &&
    run_fails $n tok --login --pin "$PIN" -O &&
    expect $n 'CKR_PIN_INCORRECT' &&
    run $n user -O &&
    ok $n

n=list-mechanisms
if run $n tok -M; then
    missing=()
    for m in AES-KEY-GEN AES-ECB AES-CBC AES-CBC-PAD AES-CTR AES-GCM AES-KEY-WRAP \
        GENERIC-SECRET-KEY-GEN SHA-1 SHA224 SHA256 SHA384 SHA512 SHA3-256 SHA3-512 \
        SHA-1-HMAC SHA256-HMAC SHA3-256-HMAC; do
        grep -qE "^  ${m}[,:]? " <<<"$out" || missing+=("$m")
    done
    if ((${#missing[@]})); then
        fail $n "not listed: ${missing[*]}"
    else
        ok $n
    fi
fi

n=keygen-aes
run $n user --keygen --key-type AES:32 --label ci-aes --id 01 --private --sensitive &&
    expect $n 'Secret Key Object; AES length 32' &&
    expect $n 'label: +ci-aes' &&
    ok $n

n=aes-cbc-pad-roundtrip
# Keys are named by --id: pkcs11-tool 0.23 ignores --label for --encrypt and
# --decrypt and would take the first secret key.
# 100 bytes: not a block multiple, so the padding is exercised.
head -c 100 /dev/urandom >"$work/plain"
run $n user --encrypt -m AES-CBC-PAD --iv "$IV" --id 01 \
    --input-file "$work/plain" --output-file "$work/cipher" &&
    run $n user --decrypt -m AES-CBC-PAD --iv "$IV" --id 01 \
        --input-file "$work/cipher" --output-file "$work/decrypted" &&
    if [[ $(stat -c %s "$work/cipher") != 112 ]]; then
        fail $n "ciphertext of 100 bytes is $(stat -c %s "$work/cipher") bytes, expected 112"
    elif ! cmp -s "$work/plain" "$work/decrypted"; then
        fail $n "decryption did not return the plaintext"
    else
        ok $n
    fi

n=aes-cbc-pad-openssl
# An imported key of known value: the token's ciphertext must be OpenSSL's.
if ! command -v openssl >/dev/null; then
    skip $n "openssl not found (apt-get install -y openssl)"
else
    head -c 32 /dev/urandom >"$work/key"
    key=$(od -An -tx1 -v "$work/key" | tr -d ' \n')
    run $n user --write-object "$work/key" --type secrkey --key-type AES:32 \
        --label ci-imported --id 0a --usage-decrypt &&
        run $n user --encrypt -m AES-CBC-PAD --iv "$IV" --id 0a \
            --input-file "$work/plain" --output-file "$work/cipher-token" &&
        run $n openssl enc -aes-256-cbc -K "$key" -iv "$IV" \
            -in "$work/plain" -out "$work/cipher-openssl" &&
        if cmp -s "$work/cipher-token" "$work/cipher-openssl"; then
            ok $n
        else
            fail $n "the token's AES-256-CBC-PAD ciphertext differs from OpenSSL's"
        fi
fi

n=list-objects
run $n user -O &&
    expect $n 'Secret Key Object; AES length 32' &&
    expect $n 'label: +ci-aes' &&
    run $n tok -O &&
    refuse $n 'ci-aes' &&
    ok $n

n=generate-random
run $n tok --generate-random 64 --output-file "$work/r1" &&
    run $n tok --generate-random 64 --output-file "$work/r2" &&
    if [[ $(stat -c %s "$work/r1") != 64 ]]; then
        fail $n "asked for 64 bytes, got $(stat -c %s "$work/r1")"
    elif cmp -s "$work/r1" "$work/r2"; then
        fail $n "two draws of 64 random bytes are equal"
    else
        ok $n
    fi

n=delete-object
run $n user --delete-object --type secrkey --label ci-aes &&
    run $n user -O &&
    refuse $n 'label: +ci-aes' &&
    ok $n

# Key pairs on the token; their public keys, read back as DER, are what
# plain OpenSSL checks the token's signatures and ciphertexts against.
printf 'qrcpkcs11 pkcs11-tool check\n' >"$work/msg"
for spec in EC:prime256v1:10:ec rsa:2048:20:rsa; do
    IFS=: read -r kind param id name <<<"$spec"
    n=keygen-$name
    run $n user --keypairgen --key-type "$kind:$param" --id "$id" --label "ci-$name" &&
        run $n user --read-object --type pubkey --id "$id" --output-file "$work/$name.der" &&
        run $n openssl pkey -pubin -inform DER -in "$work/$name.der" -out "$work/$name.pem" &&
        ok $n
done

# sign-verify NAME ID MECHANISM OPENSSL-ARGS...: the token signs, pkcs11-tool
# verifies on the token, and OpenSSL verifies with the public key alone.
sign_verify() {
    local n=$1 id=$2 mech=$3 key=$4
    shift 4
    run $n user --sign --id "$id" -m "$mech" "$@" --input-file "$work/msg" --output-file "$work/$n.sig" &&
        run $n user --verify --id "$id" -m "$mech" "$@" --input-file "$work/msg" --signature-file "$work/$n.sig" &&
        expect $n 'Signature is valid' &&
        run $n openssl dgst -sha256 -verify "$work/$key.pem" "${openssl_args[@]}" -signature "$work/$n.sig" "$work/msg" &&
        expect $n 'Verified OK' &&
        ok $n
}
openssl_args=()
sign_verify sign-ecdsa-sha256 10 ECDSA-SHA256 ec --signature-format openssl
sign_verify sign-rsa-pkcs-sha256 20 SHA256-RSA-PKCS rsa
openssl_args=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32)
sign_verify sign-rsa-pss-sha256 20 SHA256-RSA-PKCS-PSS rsa --mgf MGF1-SHA256 --salt-len 32

n=rsa-oaep-decrypt
printf 'a secret for the token' >"$work/secret"
run $n openssl pkeyutl -encrypt -pubin -inkey "$work/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$work/secret" -out "$work/secret.enc" &&
    run $n user --decrypt --id 20 -m RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 \
        --input-file "$work/secret.enc" --output-file "$work/secret.dec" &&
    if cmp -s "$work/secret" "$work/secret.dec"; then ok $n; else fail $n "decrypted text differs"; fi

# pkcs11-tool --test with the RSA key on the token: every section. Its
# signature tests only pick mechanisms flagged CKF_HW unless --allow-sw is
# given; a software token rightly does not claim CKF_HW.
rc=0
out=$(user --test --allow-sw 2>&1) || rc=$?
test_out=$out

# section HEADER: the lines of --test's output from HEADER to the next
# unindented line.
section() {
    awk -v h="$1" 'index($0, h) == 1 { on = 1; print; next } on && /^[^ ]/ { on = 0 } on' <<<"$test_out"
}

# self_test NAME HEADER REGEX...: the section must exist, have no error and
# match every REGEX.
self_test() {
    local n=$1 header=$2 re
    shift 2
    out=$(section "$header")
    if [[ -z $out ]]; then
        out=$test_out
        fail $n "no '$header' section in the output of --test"
        return
    fi
    refuse $n 'not implemented|ERR|ended prematurely|failed' || return
    for re in "$@"; do expect $n "$re" || return; done
    ok $n
}
self_test self-test-rng 'C_SeedRandom() and C_GenerateRandom():' '^  seems to be OK'
self_test self-test-digests 'Digests:' '^  all 4 digest functions seem to work' '^  SHA-1: OK$' '^  SHA256: OK$'
self_test self-test-signatures 'Signatures' '^  all 4 signature functions seem to work' \
    '^    RSA-PKCS: OK$' '^    SHA256-RSA-PKCS: OK$'
self_test self-test-verify 'Verify' '^    RSA-X-509: OK$'
self_test self-test-decrypt 'Decryption' '^    RSA-PKCS: OK$' '^    RSA-X-509: OK$'
n=self-test-oaep-sha256-label
out=$test_out
expect $n 'hashAlg=SHA256, mgf=MGF1-SHA256, encoding parameter \(Label\) present' &&
    expect $n 'RSA-PKCS-OAEP: .*' && ok $n

n=self-test
out=$test_out
if ((rc != 0)); then
    fail $n "exit $rc: $(reason)"
else
    expect $n '^No errors$' && ok $n
fi

((failures == 0))
