#!/usr/bin/env bash
# systemd-cryptenroll and cryptsetup against libqrcpkcs11.so, registered with
# p11-kit (the only way systemd finds PKCS#11 modules) through the shipped
# packaging/qrcpkcs11.module, in a fresh token store: an RSA-2048 key made on
# the token with a certificate of the same CKA_ID, a LUKS2 image file, a
# keyslot enrolled against the token (the volume key encrypted to the
# certificate's key), and `cryptsetup open --test-passphrase --token-only`
# unlocking it with the token's CKM_RSA_PKCS decryption: with the right PIN,
# not with a wrong one, and again with the right one after it.
#
# No device-mapper or loop device is needed: --test-passphrase only checks
# that a keyslot opens, against the LUKS2 digest of the volume key. (Mapping
# the volume needs /dev/mapper/control and a loop device, which a container
# usually lacks.)
# One line per check (see lib.sh); exit 1 if any check failed.
set -uo pipefail

dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=conformance/clients/lib.sh
source "$dir/lib.sh"
# shellcheck source=conformance/clients/p11kit-lib.bash
source "$dir/p11kit-lib.bash"

for tool in systemd-cryptenroll:systemd cryptsetup:cryptsetup-bin p11-kit:p11-kit \
    pkcs11-tool:opensc openssl:openssl; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        echo "FAIL systemd-cryptenroll: ${tool%%:*} not found (apt-get install -y ${tool#*:})"
        exit 1
    fi
done
# cryptsetup's token plugin for systemd-pkcs11 keyslots (package systemd on
# Debian 12).
plugin=
for f in /usr/lib/*/cryptsetup/libcryptsetup-token-systemd-pkcs11.so; do
    [[ -e $f ]] && plugin=$f
done
if [[ -z $plugin ]]; then
    echo "FAIL systemd-cryptenroll: cryptsetup's systemd-pkcs11 token plugin not found (apt-get install -y systemd)"
    exit 1
fi
need_module systemd-cryptenroll || exit 1
version p11-kit "$(p11kit_version)"
version systemd "$(systemd-cryptenroll --version | awk 'NR == 1 { print $2, $3 }')"
version cryptsetup "$(cryptsetup --version | awk '{ print $2 }')"

p11kit_workdir

LABEL=qrc-luks
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234
PASSPHRASE=ci-luks-passphrase
ID=21
URI="pkcs11:token=$LABEL;id=%$ID"
IMAGE=$work/luks.img

# Every program is bounded: a hung call must not hang CI. One program holds
# the token store at a time, so they run one after the other.
p11() { timeout 60 pkcs11-tool --module "$P11KIT_SO" --token-label "$LABEL" "$@"; }
# unlock PIN: a test unlock through the token keyslot only. The PIN comes on
# standard input: cryptsetup asks for it, non-interactively from a pipe (the
# systemd-pkcs11 plugin does not read $PIN, systemd-cryptenroll does).
unlock() {
    printf '%s\n' "$1" | timeout 60 cryptsetup -v open --test-passphrase --token-only \
        --token-type systemd-pkcs11 "$IMAGE"
}

n=p11kit-register
p11kit_install "$n" "$work/backup" || exit 1
p11kit_check_registered "$n" && ok "$n"

n=cryptenroll-list-uninitialised
# A fresh store's token is not initialised yet; systemd opens a session on
# every token it lists and aborts on a refusal.
run "$n" env SYSTEMD_LOG_LEVEL=debug timeout 60 systemd-cryptenroll --pkcs11-token-uri=list &&
    refuse "$n" 'Failed to create session' && ok "$n"

n=token-setup
p11kit_token_setup "$n" "$LABEL" "$SO_PIN" "$PIN" && ok "$n" || exit 1

n=p11kit-list-token
p11kit_check_registered "$n" "$LABEL" && ok "$n"

n=rsa-key-and-certificate
# The key is made on the token. systemd only reads the certificate's public
# key (it does not check the signature), so OpenSSL issues it from a throwaway
# CA around the token's public key; GnuTLS's certtool, which could sign it
# with the token's key, is tested in p11kit-gnutls.sh.
run "$n" p11 --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id "$ID" --label luks-rsa &&
    run "$n" p11 --read-object --type pubkey --id "$ID" --output-file "$work/pub.der" &&
    run "$n" openssl pkey -pubin -inform DER -in "$work/pub.der" -out "$work/pub.pem" &&
    run "$n" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$work/ca.key" -out "$work/ca.crt" -subj /CN=throwaway-ca -days 30 &&
    run "$n" openssl req -new -key "$work/ca.key" -subj /CN=luks-rsa -out "$work/req.csr" &&
    run "$n" openssl x509 -req -in "$work/req.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
        -force_pubkey "$work/pub.pem" -days 30 -outform DER -out "$work/cert.der" &&
    run "$n" p11 --login --pin "$PIN" --write-object "$work/cert.der" --type cert \
        --id "$ID" --label luks-rsa &&
    run "$n" p11 --read-object --type cert --id "$ID" --output-file "$work/cert-back.der" &&
    if ! cmp -s "$work/cert.der" "$work/cert-back.der"; then
        fail "$n" "the certificate read back from the token differs from the one written"
    else
        ok "$n"
    fi

n=luks-format
# A sparse file; PBKDF2 at its minimum so that the passphrase keyslot is fast.
printf '%s' "$PASSPHRASE" >"$work/passphrase"
run "$n" truncate -s 20M "$IMAGE" &&
    run "$n" timeout 60 cryptsetup luksFormat --batch-mode --type luks2 \
        --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$work/passphrase" "$IMAGE" &&
    run "$n" timeout 60 cryptsetup isLuks --type luks2 "$IMAGE" &&
    ok "$n" || exit 1

n=cryptenroll-list
# systemd enumerates every p11-kit module's tokens; an unusable one aborts
# the listing. Its table then shows only tokens in slots with CKF_HW_SLOT,
# which a software token's slot does not have, so the check is that systemd
# found the token (its debug log) and listed without error.
if run "$n" env SYSTEMD_LOG_LEVEL=debug timeout 60 systemd-cryptenroll --pkcs11-token-uri=list; then
    listing=$out
    if expect "$n" "^Found matching token with URI pkcs11:.*token=$LABEL\\.\$"; then
        ok "$n"
        out=$listing
        if ! grep -qE "^pkcs11:.*token=$LABEL([; ]|\$)" <<<"$out"; then
            skip cryptenroll-list-table "systemd 252 lists only tokens in hardware slots (CKF_HW_SLOT); the module's slot is a software slot"
        else
            ok cryptenroll-list-table
        fi
    fi
fi

n=cryptenroll-enroll
# systemd-cryptenroll takes the passphrase of an existing keyslot from
# $PASSWORD and the token PIN from $PIN.
if run "$n" env PASSWORD="$PASSPHRASE" PIN="$PIN" timeout 60 systemd-cryptenroll \
    --pkcs11-token-uri="$URI" "$IMAGE" </dev/null; then
    expect "$n" 'New PKCS#11 token enrolled as key slot 1\.' &&
        run "$n" timeout 60 cryptsetup luksDump "$IMAGE" &&
        expect "$n" '^  [0-9]+: systemd-pkcs11$' &&
        expect "$n" "pkcs11-uri: +$URI\$" &&
        expect "$n" '^[[:space:]]+Keyslot: +1$' &&
        ok "$n"
fi

n=unlock-right-pin
run "$n" unlock "$PIN" &&
    expect "$n" '^Key slot 1 unlocked\.' &&
    ok "$n"

n=unlock-wrong-pin
# The token must refuse the PIN and count the failure (CKF_USER_PIN_COUNT_LOW,
# which systemd reads to warn before the last tries).
run_fails "$n" unlock wrong-pin-0000 &&
    refuse "$n" 'Key slot [0-9]+ unlocked' &&
    expect "$n" 'No token could be unlocked' &&
    run "$n" p11 --list-token-slots &&
    expect "$n" 'token flags +:.*user PIN count low' &&
    ok "$n"

n=unlock-after-wrong-pin
# A right PIN still unlocks after a wrong one and resets the count.
run "$n" unlock "$PIN" &&
    expect "$n" '^Key slot 1 unlocked\.' &&
    run "$n" p11 --list-token-slots &&
    refuse "$n" 'user PIN count low' &&
    ok "$n"

((failures == 0))
