#!/usr/bin/env bash
# OpenSSL 3.0 with the libp11 engine (libengine-pkcs11-openssl) against
# libqrcpkcs11.so, in a fresh token store: RSA-2048 and EC P-256 keys made by
# pkcs11-tool, then CSRs, self-signed certificates, RSA PKCS#1 v1.5 / PSS and
# ECDSA signatures, RSA-OAEP (SHA-256, SHA-1) and PKCS#1 v1.5 decryption, ECDH
# and TLS 1.3 servers whose keys stay on the token. Everything the token makes
# is checked by plain OpenSSL with the public keys read by pkcs11-tool.
# One line per check (see lib.sh); exit 1 if any check failed.
set -uo pipefail

# shellcheck source=conformance/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for prog in openssl:openssl pkcs11-tool:opensc; do
    if ! command -v "${prog%%:*}" >/dev/null; then
        echo "FAIL openssl-libp11: ${prog%%:*} not found (apt-get install -y ${prog#*:})"
        exit 1
    fi
done
enginesdir=$(openssl version -e | sed -nE 's/^ENGINESDIR: "(.*)"$/\1/p')
engine_so=$enginesdir/pkcs11.so
if [[ ! -f $engine_so ]]; then
    echo "FAIL openssl-libp11: no libp11 engine at $engine_so (apt-get install -y libengine-pkcs11-openssl)"
    exit 1
fi
need_module openssl-libp11 || exit 1

version openssl "$(openssl version | cut -d' ' -f1-2)"
version libengine-pkcs11-openssl "$(dpkg-query -W -f='${Version}' libengine-pkcs11-openssl 2>/dev/null || echo unknown)"

store=$(mktemp -d)
work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$store" "$work"
}
trap cleanup EXIT
export QRC_PKCS11_STORE=$store
# Only the store above: no configured tokens, default PIN and KDF settings.
unset QRC_PKCS11_CONF

LABEL=qrc-openssl
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234
# Keys are found by id for RSA and by label (object=) for EC: both URI forms.
# The PIN is in the URI, so nothing prompts.
RSA_KEY="pkcs11:token=$LABEL;id=%01;type=private;pin-value=$PIN"
EC_KEY="pkcs11:token=$LABEL;object=ci-ec;type=private;pin-value=$PIN"

# engine_conf FILE MODULE: an openssl.cnf that loads libp11 with MODULE.
# init = 0: the engine (and the module) start only when -engine asks for it.
engine_conf() {
    cat >"$1" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $engine_so
MODULE_PATH = $2
init = 0
[req]
distinguished_name = req_dn
[req_dn]
EOF
}
engine_conf "$work/engine.cnf" "$QRC_MODULE"

p11() { timeout 60 pkcs11-tool --module "$QRC_MODULE" --token-label "$LABEL" "$@"; }
# ossl ARGS...: openssl with the engine configured; the engine's commands add
# -engine pkcs11 -keyform engine themselves. Plain `openssl` checks the results.
ossl() { OPENSSL_CONF=$work/engine.cnf timeout 60 openssl "$@"; }

n=setup
if ! { run $n timeout 60 pkcs11-tool --module "$QRC_MODULE" --slot 0 --init-token \
    --label "$LABEL" --so-pin "$SO_PIN" &&
    run $n p11 --login --login-type so --so-pin "$SO_PIN" --init-pin --pin "$PIN" &&
    run $n p11 --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id 01 --label ci-rsa &&
    run $n p11 --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --id 02 --label ci-ec &&
    # The public keys as pkcs11-tool reads them (SubjectPublicKeyInfo, DER):
    # the reference for every check below.
    run $n p11 --read-object --type pubkey --id 01 -o "$work/rsa.der" &&
    run $n openssl pkey -pubin -inform DER -in "$work/rsa.der" -out "$work/rsa.pub" &&
    run $n p11 --read-object --type pubkey --id 02 -o "$work/ec.der" &&
    run $n openssl pkey -pubin -inform DER -in "$work/ec.der" -out "$work/ec.pub"; }; then
    exit 1
fi
ok $n

n=engine-load
run $n ossl engine -t -c pkcs11 &&
    expect $n '\[ available \]' &&
    expect $n 'rsaEncryption' &&
    expect $n 'id-ecPublicKey' &&
    ok $n

# same_pubkey NAME PEM FILE: the public key printed to FILE is the token's.
same_pubkey() {
    if ! cmp -s "$2" "$3"; then
        out=$(cat "$3")
        fail "$1" "the public key is not the token's (as read by pkcs11-tool)"
        return 1
    fi
}

# csr NAME KEY PUB: a CSR signed on the token, verified by plain OpenSSL.
csr() {
    local n=$1
    run "$n" ossl req -new -engine pkcs11 -keyform engine -key "$2" \
        -subj "/CN=$n" -out "$work/$n.csr" &&
        run "$n" openssl req -verify -noout -in "$work/$n.csr" &&
        expect "$n" 'verify OK' &&
        run "$n" openssl req -noout -pubkey -in "$work/$n.csr" -out "$work/$n.pub" &&
        same_pubkey "$n" "$3" "$work/$n.pub" &&
        ok "$n"
}
csr csr-rsa "$RSA_KEY" "$work/rsa.pub"
csr csr-ec "$EC_KEY" "$work/ec.pub"

# selfsigned NAME KEY PUB: a self-signed certificate (for localhost, used by
# the TLS checks), verified by plain OpenSSL as its own trust anchor.
selfsigned() {
    local n=$1
    run "$n" ossl req -x509 -new -engine pkcs11 -keyform engine -key "$2" \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost -days 2 \
        -out "$work/$n.crt" &&
        run "$n" openssl verify -CAfile "$work/$n.crt" "$work/$n.crt" &&
        expect "$n" ': OK$' &&
        run "$n" openssl x509 -noout -pubkey -in "$work/$n.crt" -out "$work/$n.pub" &&
        same_pubkey "$n" "$3" "$work/$n.pub" &&
        ok "$n"
}
selfsigned selfsigned-rsa "$RSA_KEY" "$work/rsa.pub"
selfsigned selfsigned-ec "$EC_KEY" "$work/ec.pub"

head -c 1000 /dev/urandom >"$work/data"
{
    cat "$work/data"
    printf x
} >"$work/data-tampered"

# sign NAME KEY PUB [-sigopt OPT]...: a SHA-256 signature of a file made on
# the token verifies with plain OpenSSL, and not over a changed file.
sign() {
    local n=$1 key=$2 pub=$3
    shift 3
    run "$n" ossl dgst -sha256 -engine pkcs11 -keyform engine -sign "$key" "$@" \
        -out "$work/$n.sig" "$work/data" &&
        run "$n" openssl dgst -sha256 -verify "$pub" "$@" -signature "$work/$n.sig" "$work/data" &&
        expect "$n" '^Verified OK$' &&
        run_fails "$n" openssl dgst -sha256 -verify "$pub" "$@" \
            -signature "$work/$n.sig" "$work/data-tampered" &&
        expect "$n" 'Verification failure' &&
        ok "$n"
}
sign sign-rsa-pkcs1 "$RSA_KEY" "$work/rsa.pub"
# PSS verification fails on a PKCS#1 v1.5 signature, so this proves PSS.
sign sign-rsa-pss "$RSA_KEY" "$work/rsa.pub" \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256
sign sign-ecdsa "$EC_KEY" "$work/ec.pub"

head -c 48 /dev/urandom >"$work/secret"

# decrypt NAME [-pkeyopt OPT]...: plain OpenSSL encrypts to the token's public
# key, the token decrypts, the plaintext comes back.
decrypt() {
    local n=$1
    shift
    run "$n" openssl pkeyutl -encrypt -pubin -inkey "$work/rsa.pub" "$@" \
        -in "$work/secret" -out "$work/$n.ct" &&
        run "$n" ossl pkeyutl -decrypt -engine pkcs11 -keyform engine -inkey "$RSA_KEY" "$@" \
            -in "$work/$n.ct" -out "$work/$n.pt" &&
        if cmp -s "$work/secret" "$work/$n.pt"; then
            ok "$n"
        else
            fail "$n" "the token's decryption differs from the plaintext"
        fi
}
decrypt rsa-pkcs1-decrypt -pkeyopt rsa_padding_mode:pkcs1
decrypt oaep-sha256 -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
decrypt oaep-sha1 -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1

n=oaep-sha256-mechanism
# libp11 falls back to raw RSA (CKM_RSA_X_509) and unpads itself when the
# module refuses OAEP with SHA-256, so the round trip above would pass either
# way. OpenSC's pkcs11-spy, between the engine and the module, shows which
# mechanism was used.
spy=
for f in /usr/lib/*/pkcs11/pkcs11-spy.so /usr/lib/*/pkcs11-spy.so; do
    [[ -f $f ]] && spy=$f && break
done
if [[ -z $spy ]]; then
    skip $n "pkcs11-spy.so not found (apt-get install -y opensc-pkcs11)"
else
    engine_conf "$work/spy.cnf" "$spy"
    run $n env OPENSSL_CONF="$work/spy.cnf" PKCS11SPY="$QRC_MODULE" \
        PKCS11SPY_OUTPUT="$work/spy.log" timeout 60 openssl pkeyutl -decrypt \
        -engine pkcs11 -keyform engine -inkey "$RSA_KEY" -pkeyopt rsa_padding_mode:oaep \
        -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 \
        -in "$work/oaep-sha256.ct" -out "$work/$n.pt" &&
        out=$(grep -A8 "C_DecryptInit" "$work/spy.log") &&
        expect $n 'pMechanism->type = CKM_RSA_PKCS_OAEP' &&
        expect $n 'hashAlg = CKM_SHA256' &&
        expect $n 'mgf = CKG_MGF1_SHA256' &&
        refuse $n 'CKM_RSA_X_509' &&
        if cmp -s "$work/secret" "$work/$n.pt"; then
            ok $n
        else
            fail $n "the token's decryption differs from the plaintext"
        fi
fi

n=ecdh-derive
# ECDH of the token's key with a software key: both sides agree.
run $n openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/peer.key" &&
    run $n openssl pkey -in "$work/peer.key" -pubout -out "$work/peer.pub" &&
    run $n ossl pkeyutl -derive -engine pkcs11 -keyform engine -inkey "$EC_KEY" \
        -peerkey "$work/peer.pub" -out "$work/z-token" &&
    run $n openssl pkeyutl -derive -inkey "$work/peer.key" -peerkey "$work/ec.pub" \
        -out "$work/z-soft" &&
    if [[ $(stat -c %s "$work/z-token") != 32 ]]; then
        fail $n "the shared secret is $(stat -c %s "$work/z-token") bytes, expected 32"
    elif ! cmp -s "$work/z-token" "$work/z-soft"; then
        fail $n "the token's shared secret differs from the software side's"
    else
        ok $n
    fi

# tls_client PORT CAFILE: a TLS 1.3 client that must verify the server's
# certificate, sends a line and CLOSE (s_server -rev answers each line
# reversed and closes on CLOSE).
tls_client() {
    printf 'hello from the client\nCLOSE\n' |
        timeout 30 openssl s_client -connect "127.0.0.1:$1" -tls1_3 \
            -verify_return_error -CAfile "$2" -verify_hostname localhost -ign_eof
}

# tls NAME KEY CERT SIGTYPE: an s_server whose key is on the token serves
# one TLS 1.3 connection on 127.0.0.1.
tls() {
    local n=$1 key=$2 cert=$3 sigtype=$4 port="" i rc=0
    # Port 0: the kernel picks a free port, which s_server prints once it
    # listens ("ACCEPT 127.0.0.1:PORT"), after it has loaded the key.
    OPENSSL_CONF=$work/engine.cnf timeout 60 openssl s_server -engine pkcs11 -keyform engine \
        -key "$key" -cert "$cert" -accept 127.0.0.1:0 -tls1_3 -rev -naccept 1 \
        >"$work/server.out" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 600; i++)); do
        port=$(sed -nE 's/^ACCEPT 127\.0\.0\.1:([0-9]+)$/\1/p' "$work/server.out")
        [[ -n $port ]] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    if [[ -z $port ]]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
        out=$(cat "$work/server.out")
        fail "$n" "s_server did not listen: $(reason)"
        return 1
    fi
    if ! run "$n" tls_client "$port" "$cert"; then
        # The server may still wait for a connection that never came.
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
        return 1
    fi
    local client_out=$out
    # -naccept 1: the server exits after the connection.
    wait "$server_pid" || rc=$?
    server_pid=
    if ((rc != 0)); then
        out=$(cat "$work/server.out")
        fail "$n" "s_server exited $rc: $(reason)"
        return 1
    fi
    out=$client_out
    expect "$n" '^New, TLSv1\.3, ' &&
        expect "$n" '^Verification: OK$' &&
        expect "$n" '^Verify return code: 0 \(ok\)' &&
        expect "$n" "^Peer signature type: $sigtype\$" &&
        expect "$n" '^tneilc eht morf olleh$' &&
        ok "$n"
}
# TLS 1.3 signs with RSA-PSS only.
tls tls13-ec "$EC_KEY" "$work/selfsigned-ec.crt" ECDSA
tls tls13-rsa "$RSA_KEY" "$work/selfsigned-rsa.crt" RSA-PSS

((failures == 0))
