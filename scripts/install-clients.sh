#!/usr/bin/env bash
# Installs (apt, as root) the real PKCS#11 consumers that
# conformance/clients/ drives: OpenSC, OpenSSL 3.0 + libp11, p11-kit +
# GnuTLS, systemd-cryptenroll + cryptsetup, NSS, OpenSSH, Java 17, Python
# venvs (for PyPI's python-pkcs11, PyKCS11 and cryptography), and debootstrap
# for the Debian trixie chroot with OpenSSL 3.5 + pkcs11-provider.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    opensc openssl libengine-pkcs11-openssl p11-kit gnutls-bin \
    cryptsetup-bin systemd libnss3-tools openssh-client \
    openjdk-17-jdk-headless python3-venv debootstrap
