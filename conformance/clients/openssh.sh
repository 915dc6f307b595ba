#!/usr/bin/env bash
# OpenSSH (ssh-keygen, ssh-agent, ssh-add) against libqrcpkcs11.so, in a fresh
# token store with an EC P-256 and an RSA-2048 key made by pkcs11-tool:
# ssh-keygen -D lists them, ssh-agent loads them (PIN through SSH_ASKPASS),
# and ssh-keygen -Y signs files through the agent, checked by -Y verify.
# One line per check (see lib.sh); exit 1 if any check failed.
set -uo pipefail

# shellcheck source=conformance/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for prog in ssh-keygen:openssh-client ssh-agent:openssh-client ssh-add:openssh-client \
    pkcs11-tool:opensc; do
    if ! command -v "${prog%%:*}" >/dev/null; then
        echo "FAIL openssh: ${prog%%:*} not found (apt-get install -y ${prog#*:})"
        exit 1
    fi
done
need_module openssh || exit 1

# "OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.x": the part before the comma.
version openssh "$(ssh -V 2>&1 | cut -d, -f1)"

store=$(mktemp -d)
work=$(mktemp -d)
agent_pid=
cleanup() {
    if [[ -n $agent_pid ]]; then
        kill "$agent_pid" 2>/dev/null
        wait "$agent_pid" 2>/dev/null
    fi
    rm -rf "$store" "$work"
}
trap cleanup EXIT
export QRC_PKCS11_STORE=$store
# Only the store above: no configured tokens, default PIN and KDF settings.
unset QRC_PKCS11_CONF
# Never an agent of the environment.
unset SSH_AUTH_SOCK SSH_AGENT_PID

# ssh-agent and ssh-add match the provider by its canonical path.
MODULE=$(realpath "$QRC_MODULE")
LABEL=qrc-openssh
SO_PIN=ci-so-pin-1234
PIN=ci-user-1234

p11() { timeout 60 pkcs11-tool --module "$MODULE" --token-label "$LABEL" "$@"; }

# ssh_pub ID FILE: the public key with CKA_ID ID as pkcs11-tool reads it
# (SubjectPublicKeyInfo), in OpenSSH's format. PEM is DER in base64, so no
# openssl is needed.
ssh_pub() {
    p11 --read-object --type pubkey --id "$1" -o "$work/$1.der" &&
        {
            echo '-----BEGIN PUBLIC KEY-----'
            base64 -w 64 "$work/$1.der"
            echo '-----END PUBLIC KEY-----'
        } >"$work/$1.pem" &&
        ssh-keygen -i -m PKCS8 -f "$work/$1.pem" >"$2"
}

n=setup
if ! { run $n timeout 60 pkcs11-tool --module "$MODULE" --slot 0 --init-token \
    --label "$LABEL" --so-pin "$SO_PIN" &&
    run $n p11 --login --login-type so --so-pin "$SO_PIN" --init-pin --pin "$PIN" &&
    run $n p11 --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --id 01 --label ci-ec &&
    run $n p11 --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id 02 --label ci-rsa &&
    run $n ssh_pub 01 "$work/ec.pub" &&
    run $n ssh_pub 02 "$work/rsa.pub"; }; then
    exit 1
fi
ok $n
# re TEXT: TEXT as an extended regex that matches only itself (base64 has +).
# shellcheck disable=SC2001 # sed: one bracket expression, each match escaped
re() { sed 's#[][\.*^$+?(){}|]#\\&#g' <<<"$1"; }
# "TYPE BASE64": the keys without a comment, as regexes.
ec_key=$(re "$(cut -d' ' -f1-2 "$work/ec.pub")")
rsa_key=$(re "$(cut -d' ' -f1-2 "$work/rsa.pub")")
ec_fp=$(re "$(ssh-keygen -lf "$work/ec.pub" | cut -d' ' -f2)")
rsa_fp=$(re "$(ssh-keygen -lf "$work/rsa.pub" | cut -d' ' -f2)")

n=keygen-D
# Before the agent: the agent's helper will hold the store.
run $n timeout 60 ssh-keygen -D "$MODULE" &&
    # OpenSSH 9.2 puts the key's label as the comment.
    expect $n "^$ec_key ci-ec\$" &&
    expect $n "^$rsa_key ci-rsa\$" &&
    ok $n

# The agent only loads modules on its -P allow-list.
export SSH_AUTH_SOCK=$work/agent.sock
timeout 600 ssh-agent -D -a "$SSH_AUTH_SOCK" -P "$MODULE" >"$work/agent.out" 2>&1 &
agent_pid=$!
for ((i = 0; i < 200; i++)); do
    [[ -S $SSH_AUTH_SOCK ]] && break
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.05
done
if [[ ! -S $SSH_AUTH_SOCK ]]; then
    out=$(cat "$work/agent.out")
    fail ssh-agent "the agent did not start: $(reason)"
    exit 1
fi

# askpass FILE PIN: a program that prints PIN, for SSH_ASKPASS.
askpass() {
    printf '#!/bin/sh\necho %s\n' "$2" >"$1"
    chmod +x "$1"
}
askpass "$work/askpass-good" "$PIN"
askpass "$work/askpass-bad" wrong-pin-0000

# add_card ASKPASS: ssh-add -s with the PIN from ASKPASS, never from a terminal.
add_card() {
    SSH_ASKPASS=$1 SSH_ASKPASS_REQUIRE=force timeout 60 ssh-add -s "$MODULE" </dev/null
}

n=ssh-add-wrong-pin
run_fails $n add_card "$work/askpass-bad" &&
    run_fails $n timeout 30 ssh-add -l &&
    expect $n 'The agent has no identities' &&
    ok $n

n=ssh-add
run $n add_card "$work/askpass-good" &&
    expect $n 'Card added' &&
    run $n timeout 30 ssh-add -L &&
    expect $n "^$ec_key " &&
    expect $n "^$rsa_key " &&
    run $n timeout 30 ssh-add -l &&
    expect $n "^256 $ec_fp .*\(ECDSA\)\$" &&
    expect $n "^2048 $rsa_fp .*\(RSA\)\$" &&
    ok $n

head -c 1000 /dev/urandom >"$work/data"
{
    cat "$work/data"
    printf x
} >"$work/data-tampered"

# sign NAME PUB: ssh-keygen -Y sign with the public key file signs through
# the agent (there is no private key file); -Y verify accepts the signature
# for the token's key only, and not over a changed file.
sign() {
    local n=$1 pub=$2
    cp "$work/data" "$work/$n.data"
    echo "ci@qrc namespaces=\"file\" $(cut -d' ' -f1-2 "$pub")" >"$work/$n.allowed"
    run "$n" timeout 60 ssh-keygen -Y sign -f "$pub" -n file "$work/$n.data" &&
        run "$n" timeout 30 ssh-keygen -Y verify -f "$work/$n.allowed" -I ci@qrc -n file \
            -s "$work/$n.data.sig" <"$work/data" &&
        expect "$n" '^Good "file" signature for ci@qrc with ' &&
        run_fails "$n" timeout 30 ssh-keygen -Y verify -f "$work/$n.allowed" -I ci@qrc \
            -n file -s "$work/$n.data.sig" <"$work/data-tampered" &&
        expect "$n" 'Signature verification failed' &&
        ok "$n"
}
sign sign-ecdsa "$work/ec.pub"
# rsa-sha2-512, ssh-keygen's default for RSA.
sign sign-rsa "$work/rsa.pub"

n=ssh-add-remove
# ssh-add -e finalises the module in the agent's helper, which must then
# release the store: ssh-keygen -D works again while the agent runs.
run $n timeout 60 ssh-add -e "$MODULE" &&
    expect $n 'Card removed' &&
    run_fails $n timeout 30 ssh-add -l &&
    expect $n 'The agent has no identities' &&
    run $n timeout 60 ssh-keygen -D "$MODULE" &&
    expect $n "^$ec_key " &&
    ok $n

((failures == 0))
