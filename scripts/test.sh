#!/usr/bin/env bash
# The project's test command: formatting, lints, release build, unit and
# conformance tests, then real PKCS#11 clients against the built module.
#
#   bash scripts/test.sh
#
# The client checks need OpenSC's pkcs11-tool (apt-get install -y opensc).
# Without it they are skipped with a SKIP line, unless QRC_REQUIRE_CLIENTS=1
# (as in CI), which makes a missing client a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# step NAME CMD...: runs CMD under a heading and reports how long it took.
step() {
    local name=$1 start=$SECONDS
    shift
    printf '\n==> %s\n' "$name"
    "$@"
    printf '<== %s: %ss\n' "$name" $((SECONDS - start))
}

step "format" cargo fmt --all --check
step "lint" cargo clippy --workspace --all-targets -- -D warnings
step "build" cargo build --release --workspace
# The conformance tests load the module built above (target/release/libqrcpkcs11.so).
step "test" cargo test --release --workspace

if command -v pkcs11-tool >/dev/null; then
    # The matrix of this run; docs/compatibility.md is one such, committed.
    step "clients" bash conformance/clients/run.sh --doc "${CARGO_TARGET_DIR:-target}/compatibility.md"
elif [[ ${QRC_REQUIRE_CLIENTS:-0} == 1 ]]; then
    echo "FAIL clients: pkcs11-tool not found; install it with: apt-get install -y opensc"
    exit 1
else
    echo
    echo "SKIP clients: pkcs11-tool not found; install it with: sudo apt-get install -y opensc"
    echo "     (QRC_REQUIRE_CLIENTS=1 makes a missing client a failure)"
fi
