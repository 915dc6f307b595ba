#!/usr/bin/env bash
# OpenSSL 3.5 + pkcs11-provider 1.2, the post-quantum client, against
# libqrcpkcs11.so: ML-DSA-65 and ML-KEM-768 keys generated on the token
# through OpenSSL, token signatures verified by OpenSSL alone, a self-signed
# ML-DSA certificate, ML-KEM encapsulation and decapsulation both ways, and a
# TLS 1.3 handshake over X25519MLKEM768 whose server key is on the token.
# One line per check (see lib.sh); exit 1 if any check failed.
#
# Bookworm has neither OpenSSL 3.5 nor pkcs11-provider 1.2, so both run in a
# Debian trixie chroot (pkcs11-provider from trixie-backports), built once by
# debootstrap and cached in QRC_CHROOT_CACHE (default /var/cache/qrc-trixie;
# remove it to rebuild). The module built on bookworm runs there as it is.
# Needs root (debootstrap, chroot, mount), debootstrap while the cache is
# missing, and the host's pkcs11-tool to initialise the token.
# QRC_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -uo pipefail

# shellcheck source=conformance/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=openssl35-pqc
cache=${QRC_CHROOT_CACHE:-/var/cache/qrc-trixie}
mirror=${QRC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ((EUID != 0)); then
    skip $NAME "needs root (debootstrap, chroot, mount)"
    exit 0
fi
if ! command -v pkcs11-tool >/dev/null; then
    echo "FAIL $NAME: pkcs11-tool not found (apt-get install -y opensc)"
    exit 1
fi
need_module $NAME || exit 1

LABEL=qrc-ci
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234
DSA=ci-mldsa65
KEM=ci-mlkem768

work=
server=

# has_mounts DIR: something is mounted on DIR or below it.
has_mounts() {
    local dir
    dir=$(realpath -m "$1")
    awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
        /proc/self/mountinfo
}

# remove_tree DIR: removes DIR, unless something is still mounted in it
# (rm -rf would then delete the host's files through the mount).
remove_tree() {
    [[ -e $1 ]] || return 0
    if has_mounts "$1"; then
        echo "$NAME: not removing $1: something is mounted in it" >&2
        return 1
    fi
    rm -rf --one-file-system "$1"
}

cleanup() {
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    if [[ -n $work ]]; then remove_tree "$work"; fi
}
trap cleanup EXIT

# Enters the chroot $1 and runs the rest of the arguments there, in a mount
# namespace of its own (unshare): the /proc and /dev bind mounts vanish with
# the process, so none can outlive the script, leak into the host or be under
# a directory the trap removes.
# shellcheck disable=SC2016 # expanded by that shell
enter='r=$1
shift
mount --bind /proc "$r/proc" && mount --bind /dev "$r/dev" && exec chroot "$r" "$@"'
clean_env=(/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C)

# chrooted SECONDS ROOT CMD...: CMD in the chroot ROOT with a clean
# environment, killed after SECONDS.
chrooted() {
    local limit=$1 root=$2
    shift 2
    timeout "$limit" unshare --mount --propagation private -- \
        /bin/sh -c "$enter" sh "$root" "${clean_env[@]}" "$@"
}

# ---------------------------------------------------------------- chroot
# Built in $cache.new and renamed when complete: a present $cache is complete.
build_chroot() {
    local new=$cache.new
    remove_tree "$new" || return 1
    if ! command -v debootstrap >/dev/null; then
        out=
        fail trixie-chroot "debootstrap not found (apt-get install -y debootstrap)"
        return 1
    fi
    # debootstrap mounts /proc and /sys in the target: a namespace of its own
    # drops them even if it is killed.
    run trixie-chroot timeout 900 unshare --mount --propagation private -- \
        debootstrap --variant=minbase trixie "$new" "$mirror" || return 1
    echo "deb $mirror trixie-backports main" >"$new/etc/apt/sources.list.d/trixie-backports.list"
    run trixie-chroot chrooted 300 "$new" apt-get update -q &&
        run trixie-chroot chrooted 600 "$new" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends -t trixie-backports pkcs11-provider openssl &&
        run trixie-chroot chrooted 60 "$new" apt-get clean || return 1
    touch "$new/.qrc-complete"
    mv "$new" "$cache"
}

mkdir -p "$(dirname "$cache")"
# One run at a time per cache: a concurrent run would see a half-built chroot.
exec {lock}>"$cache.lock"
if ! flock -w 600 "$lock"; then
    out=
    fail trixie-chroot "another run holds $cache.lock"
    exit 1
fi
if [[ -f $cache/.qrc-complete ]]; then
    echo "$NAME: trixie chroot reused from $cache" >&2
elif [[ -e $cache ]]; then
    # Not built here (a build is renamed into place only when complete):
    # someone else's directory, which is not for this script to delete.
    out=
    fail trixie-chroot "$cache exists but is not a chroot completed by this script (remove it, or set QRC_CHROOT_CACHE)"
    exit 1
else
    start=$SECONDS
    build_chroot || exit 1
    echo "$NAME: trixie chroot built in $((SECONDS - start)) s in $cache" >&2
fi
ok trixie-chroot

root=$cache
# Work directories left by killed runs (a command of theirs may still have
# been writing when their trap ran); the lock is ours, so no run uses them.
for stale in "$root"/tmp/qrc-pqc.*; do
    if [[ -d $stale ]]; then remove_tree "$stale"; fi
done
work=$(mktemp -d "$root/tmp/qrc-pqc.XXXXXX")
# $work as the chroot sees it.
w=/tmp/${work##*/}
mkdir "$work/store"
cp "$QRC_MODULE" "$work/libqrcpkcs11.so"
echo "$PIN" >"$work/pin"
cat >"$work/openssl.cnf" <<EOF
# The default provider and pkcs11-provider with the module under test.
openssl_conf = openssl_init

[openssl_init]
providers = provider_sect

[provider_sect]
default = default_sect
pkcs11 = pkcs11_sect

[default_sect]
activate = 1

[pkcs11_sect]
module = pkcs11.so
pkcs11-module-path = $w/libqrcpkcs11.so
pkcs11-module-token-pin = file:$w/pin
# genpkey writes the new key's URI in a PEM file.
pkcs11-module-encode-provider-uri-to-pem = true
activate = 1
EOF

p11_env=(QRC_PKCS11_STORE="$w/store" OPENSSL_CONF="$w/openssl.cnf")
# ossl ARGS: openssl in the chroot with pkcs11-provider.
ossl() {
    chrooted 60 "$root" "${p11_env[@]}" openssl "$@"
}
# traced LOG ARGS: ossl, with pkcs11-provider's trace of PKCS#11 calls in $work/LOG.
traced() {
    local log=$1
    shift
    rm -f "$work/$log"
    chrooted 60 "$root" "${p11_env[@]}" PKCS11_PROVIDER_DEBUG="file:$w/$log,level:1" openssl "$@"
}
# soft ARGS: openssl in the chroot with its default provider only, the
# independent party.
soft() {
    chrooted 60 "$root" OPENSSL_CONF=/dev/null openssl "$@"
}
# called LOG FUNCTION: the trace $work/LOG shows a call of the PKCS#11 FUNCTION.
called() {
    grep -q "Calling $2\$" "$work/$1"
}

out=$(chrooted 30 "$root" openssl version) && version openssl "$(awk '{ print $2 }' <<<"$out")"
# shellcheck disable=SC2016 # a dpkg-query format, not an expansion
out=$(chrooted 30 "$root" dpkg-query -W -f '${Version}' pkcs11-provider) &&
    version pkcs11-provider "$out"

# The store is a directory: the host's pkcs11-tool initialises it before any
# process in the chroot opens it (one process at a time).
export QRC_PKCS11_STORE=$work/store
unset QRC_PKCS11_CONF
n=init-token
run $n pkcs11-tool --module "$QRC_MODULE" --slot 0 --init-token --label "$LABEL" --so-pin "$SO_PIN" &&
    run $n pkcs11-tool --module "$QRC_MODULE" --token-label "$LABEL" \
        --login --login-type so --so-pin "$SO_PIN" --init-pin --pin "$PIN" &&
    expect $n 'User PIN successfully initialized' &&
    ok $n

# keygen NAME ALG LABEL: ALG key pair generated on the token by genpkey, its
# public key exported to $work/LABEL.pub, which the default provider reads
# back as an ALG key.
keygen() {
    local n=$1 alg=$2 label=$3
    run "$n" traced "$n.log" genpkey -propquery provider=pkcs11 -algorithm "$alg" \
        -pkeyopt "pkcs11_uri:pkcs11:object=$label" -out "$w/$label.uri" || return 1
    # What genpkey writes for a token key: its URI, no key material.
    out=$(cat "$work/$label.uri")
    expect "$n" '^-----BEGIN PKCS#11 PROVIDER URI-----$' || return 1
    if ! called "$n.log" C_GenerateKeyPair; then
        fail "$n" "no C_GenerateKeyPair in pkcs11-provider's trace"
        return 1
    fi
    run "$n" ossl pkey -pubin -in "pkcs11:object=$label;type=public" -pubout -out "$w/$label.pub" &&
        run "$n" soft pkey -pubin -in "$w/$label.pub" -noout -text &&
        expect "$n" "^$alg Public-Key:" &&
        ok "$n"
}
keygen keygen-mldsa65 ML-DSA-65 $DSA
keygen keygen-mlkem768 ML-KEM-768 $KEM

n=interface-3.2
# pkcs11-provider takes the module's "PKCS 11" 3.2 interface (C_GetInterface),
# which carries C_EncapsulateKey and C_DecapsulateKey.
if out=$(cat "$work/keygen-mldsa65.log" 2>&1); then
    expect $n "Populating Interfaces with 'PKCS 11', version 3\.2" &&
        expect $n 'Module Info: ck_ver:3\.2' &&
        ok $n
else
    fail $n "no trace of pkcs11-provider"
fi

n=key-attributes
# pkcs11-provider reads CKA_ALLOWED_MECHANISMS, a common key attribute
# (PKCS#11 3.2 table "Common key attributes"), from every key it loads; a
# CKR_ATTRIBUTE_TYPE_INVALID makes it set a quirk and carry on.
out=$(grep -h -B3 "Set quirk 'sup_attr_" "$work"/keygen-*.log 2>/dev/null)
if [[ -n $out ]]; then
    attrs=$(grep -o "sup_attr_CKA_[A-Z_]*" <<<"$out" | sed 's/^sup_attr_//' | sort -u | paste -sd,)
    fail $n "C_GetAttributeValue($attrs) on a key returns CKR_ATTRIBUTE_TYPE_INVALID"
else
    ok $n
fi

head -c 1000 /dev/urandom >"$work/msg"
cp "$work/msg" "$work/msg.bad"
printf x >>"$work/msg.bad"

n=mldsa-sign
# Signed on the token (the private key never leaves it), verified by OpenSSL's
# default provider with the exported public key.
run $n traced $n.log pkeyutl -sign -inkey "pkcs11:object=$DSA;type=private" -rawin \
    -in "$w/msg" -out "$w/msg.sig" &&
    if ! called $n.log C_SignInit; then
        fail $n "no C_SignInit in pkcs11-provider's trace"
    elif [[ $(stat -c %s "$work/msg.sig") != 3309 ]]; then
        fail $n "an ML-DSA-65 signature is 3309 bytes, got $(stat -c %s "$work/msg.sig")"
    else
        run $n soft pkeyutl -verify -pubin -inkey "$w/$DSA.pub" -rawin \
            -in "$w/msg" -sigfile "$w/msg.sig" &&
            expect $n 'Signature Verified Successfully' &&
            run_fails $n soft pkeyutl -verify -pubin -inkey "$w/$DSA.pub" -rawin \
                -in "$w/msg.bad" -sigfile "$w/msg.sig" &&
            expect $n 'Signature Verification Failure' &&
            ok $n
    fi

n=mldsa-verify-token
# -propquery keeps the verification on the token (C_Verify*): otherwise
# OpenSSL exports the public key and verifies it itself.
run $n traced $n.log pkeyutl -verify -propquery provider=pkcs11 -pubin \
    -inkey "pkcs11:object=$DSA;type=public" -rawin -in "$w/msg" -sigfile "$w/msg.sig" &&
    expect $n 'Signature Verified Successfully' &&
    if ! called $n.log C_VerifyInit; then
        fail $n "no C_VerifyInit in pkcs11-provider's trace: not verified on the token"
    else
        run_fails $n ossl pkeyutl -verify -propquery provider=pkcs11 -pubin \
            -inkey "pkcs11:object=$DSA;type=public" -rawin -in "$w/msg.bad" -sigfile "$w/msg.sig" &&
            expect $n 'Signature Verification Failure' &&
            ok $n
    fi

n=mldsa-sign-context
# A context string (FIPS 204) must reach the token in CK_SIGN_ADDITIONAL_CONTEXT.
run $n ossl pkeyutl -sign -inkey "pkcs11:object=$DSA;type=private" -rawin \
    -pkeyopt context-string:qrc-ci -in "$w/msg" -out "$w/msg.ctx.sig" &&
    if soft pkeyutl -verify -pubin -inkey "$w/$DSA.pub" -rawin -pkeyopt context-string:qrc-ci \
        -in "$w/msg" -sigfile "$w/msg.ctx.sig" >/dev/null 2>&1; then
        ok $n
    elif soft pkeyutl -verify -pubin -inkey "$w/$DSA.pub" -rawin \
        -in "$w/msg" -sigfile "$w/msg.ctx.sig" >/dev/null 2>&1; then
        # The client's fault: pkcs11-provider 1.2 keeps the context in its
        # signature context but always sends CKM_ML_DSA with a NULL parameter
        # (src/sig/mldsa.c, p11prov_mldsa_set_mechanism). The module's own
        # handling of contexts is checked by pyca-interop.sh.
        skip $n "pkcs11-provider drops the context string (CKM_ML_DSA with a NULL parameter): the signature has an empty context"
    else
        out=
        fail $n "the signature made with a context string verifies neither with nor without it"
    fi

n=req-x509
# A self-signed certificate made with the token key, checked by OpenSSL alone.
run $n ossl req -x509 -new -key "pkcs11:object=$DSA;type=private" -subj /CN=qrc-ci-self \
    -days 1 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -out "$w/self.pem" &&
    run $n soft x509 -in "$w/self.pem" -noout -text &&
    expect $n 'Signature Algorithm: ML-DSA-65' &&
    run $n soft x509 -in "$w/self.pem" -noout -pubkey -out "$w/self.pub" &&
    if ! cmp -s "$work/self.pub" "$work/$DSA.pub"; then
        out=
        fail $n "the certificate's public key is not the token key's"
    else
        run $n soft verify -CAfile "$w/self.pem" "$w/self.pem" &&
            expect $n "^$w/self.pem: OK\$" &&
            ok $n
    fi

n=encap-soft-decap-token
# OpenSSL encapsulates to the exported public key; the token decapsulates.
run $n soft pkeyutl -encap -pubin -inkey "$w/$KEM.pub" -out "$w/ct" -secret "$w/ss.soft" &&
    run $n traced $n.log pkeyutl -decap -inkey "pkcs11:object=$KEM;type=private" \
        -in "$w/ct" -secret "$w/ss.token" &&
    if ! called $n.log C_DecapsulateKey; then
        fail $n "no C_DecapsulateKey in pkcs11-provider's trace"
    elif [[ $(stat -c %s "$work/ct") != 1088 || $(stat -c %s "$work/ss.soft") != 32 ]]; then
        fail $n "ciphertext $(stat -c %s "$work/ct") bytes, secret $(stat -c %s "$work/ss.soft"), expected 1088 and 32"
    elif ! cmp -s "$work/ss.soft" "$work/ss.token"; then
        fail $n "the token's decapsulated secret differs from OpenSSL's"
    else
        ok $n
    fi

n=decap-implicit-rejection
# A corrupted ciphertext decapsulates (FIPS 203 implicit rejection) to
# another secret, not to the encapsulated one and not to an error.
if [[ -f $work/ct ]]; then
    byte=$(od -An -tu1 -N1 "$work/ct")
    # shellcheck disable=SC2059 # the format is the escaped byte
    { printf "\\x$(printf %02x $((byte ^ 1)))" && tail -c +2 "$work/ct"; } >"$work/ct.bad"
    run $n ossl pkeyutl -decap -inkey "pkcs11:object=$KEM;type=private" \
        -in "$w/ct.bad" -secret "$w/ss.bad" &&
        if [[ $(stat -c %s "$work/ss.bad") != 32 ]]; then
            fail $n "the rejection secret is $(stat -c %s "$work/ss.bad") bytes, expected 32"
        elif cmp -s "$work/ss.bad" "$work/ss.soft"; then
            fail $n "a corrupted ciphertext decapsulates to the encapsulated secret"
        else
            ok $n
        fi
else
    out=
    fail $n "no ciphertext (encap-soft-decap-token failed)"
fi

n=encap-token-decap-token
# The reverse direction as pkcs11-provider allows it: C_EncapsulateKey with the
# token's public key, decapsulated by the token (whose decapsulation is shown
# above to agree with OpenSSL's). A software ML-KEM key cannot be used: OpenSSL
# keeps the operation with the default provider that loaded the key.
run $n traced $n.log pkeyutl -encap -propquery provider=pkcs11 -pubin \
    -inkey "pkcs11:object=$KEM;type=public" -out "$w/ct2" -secret "$w/ss2.token" &&
    if ! called $n.log C_EncapsulateKey; then
        fail $n "no C_EncapsulateKey in pkcs11-provider's trace: not encapsulated on the token"
    elif [[ $(stat -c %s "$work/ct2") != 1088 || $(stat -c %s "$work/ss2.token") != 32 ]]; then
        fail $n "ciphertext $(stat -c %s "$work/ct2") bytes, secret $(stat -c %s "$work/ss2.token"), expected 1088 and 32"
    else
        run $n ossl pkeyutl -decap -inkey "pkcs11:object=$KEM;type=private" \
            -in "$w/ct2" -secret "$w/ss2.decap" &&
            if cmp -s "$work/ss2.token" "$work/ss2.decap"; then
                ok $n
            else
                out=
                fail $n "the secret decapsulated by the token differs from the encapsulated one"
            fi
    fi

n=tls13-mldsa65-x25519mlkem768
# A software ML-DSA-65 CA certifies the token key (CSR signed on the token);
# s_server signs the handshake with the token key, over X25519MLKEM768 only;
# s_client (default provider only) verifies the chain to the CA.
tls() {
    soft req -x509 -new -newkey ML-DSA-65 -nodes -keyout "$w/ca.key" -subj /CN=qrc-ci-ca -days 1 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
        -out "$w/ca.pem" &&
        ossl req -new -key "pkcs11:object=$DSA;type=private" -subj /CN=127.0.0.1 -out "$w/srv.csr" &&
        soft req -verify -in "$w/srv.csr" -noout &&
        printf '%s\n' subjectAltName=IP:127.0.0.1 basicConstraints=critical,CA:FALSE \
            keyUsage=critical,digitalSignature extendedKeyUsage=serverAuth >"$work/srv.ext" &&
        soft x509 -req -in "$w/srv.csr" -CA "$w/ca.pem" -CAkey "$w/ca.key" -days 1 \
            -extfile "$w/srv.ext" -out "$w/srv.pem"
}
if run $n tls; then
    # Port 0: the server takes a free port and names it in its ACCEPT line.
    # -rev answers each line reversed and closes on CLOSE.
    # Started directly (not through a function) so that $! is timeout's PID,
    # which passes the trap's signal on to s_server.
    timeout 60 unshare --mount --propagation private -- /bin/sh -c "$enter" sh "$root" \
        "${clean_env[@]}" "${p11_env[@]}" PKCS11_PROVIDER_DEBUG="file:$w/server.log,level:1" \
        openssl s_server -accept 127.0.0.1:0 -naccept 1 -tls1_3 -groups X25519MLKEM768 \
        -cert "$w/srv.pem" -key "pkcs11:object=$DSA;type=private" -rev \
        </dev/null >"$work/server.out" 2>&1 &
    server=$!
    port=
    for ((i = 0; i < 200; i++)); do
        port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/server.out")
        [[ -n $port ]] && break
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $port ]]; then
        out=$(cat "$work/server.out")
        fail $n "s_server did not start listening"
    else
        printf 'hello qrc\nCLOSE\n' >"$work/client.in"
        run $n soft s_client -connect "127.0.0.1:$port" -tls1_3 -groups X25519MLKEM768 \
            -CAfile "$w/ca.pem" -verify_return_error -verify_ip 127.0.0.1 -ign_eof \
            <"$work/client.in" &&
            expect $n '^Negotiated TLS1\.3 group: X25519MLKEM768$' &&
            expect $n '^Peer signature type: mldsa65$' &&
            expect $n '^Verification: OK$' &&
            expect $n '^Protocol: TLSv1\.3$' &&
            expect $n '^crq olleh$' &&
            if ! called server.log C_SignInit; then
                fail $n "no C_SignInit in the server's pkcs11-provider trace: not signed on the token"
            else
                ok $n
            fi
    fi
    wait "$server" 2>/dev/null
    server=
fi

((failures == 0))
