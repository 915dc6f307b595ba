# shellcheck shell=bash
# Helpers for the client scripts in this directory; sourced, not run.
#
# A client script runs a real PKCS#11 consumer against libqrcpkcs11.so and
# prints one line per check on stdout:
#   ok NAME
#   FAIL NAME: reason
#   skip NAME: reason
# and, once per program it drives, the program's version for the
# compatibility matrix (docs/compatibility.md):
#   version PROGRAM: VERSION
# The output of a failed command goes to stderr, indented, for debugging.
# The script exits 1 if any check failed.
#
# Environment:
#   QRC_MODULE        the module to test
#                     (default: $CARGO_TARGET_DIR or target/, then release/libqrcpkcs11.so)

QRC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QRC_MODULE=${QRC_MODULE:-${CARGO_TARGET_DIR:-$QRC_ROOT/target}/release/libqrcpkcs11.so}
failures=0
# Output of the last command run by `run`.
out=

ok() { echo "ok $1"; }

# version PROGRAM VERSION: records which version of a client program ran.
version() { echo "version $1: $2"; }

skip() { echo "skip $1: $2"; }

# fail NAME REASON: reports a failed check with the last command's output.
fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
    if [[ -n $out ]]; then
        local line
        while IFS= read -r line; do printf '    | %s\n' "$line"; done <<<"$out" >&2
    fi
}

# reason: the most telling line of $out, for a one-line FAIL.
reason() {
    local line
    line=$(grep -m1 -iE 'error|failed|CKR_' <<<"$out" || true)
    [[ -n $line ]] || line=$(grep -v '^[[:space:]]*$' <<<"$out" | tail -n1)
    printf '%s' "${line:-no output}"
}

# run NAME CMD...: runs CMD, keeping its output (stdout and stderr) in $out;
# reports NAME as failed and returns 1 if CMD fails.
run() {
    local name=$1 rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if ((rc != 0)); then
        fail "$name" "exit $rc: $(reason)"
        return 1
    fi
}

# run_fails NAME CMD...: CMD must fail; keeps its output in $out.
run_fails() {
    local name=$1 rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 0)); then
        fail "$name" "'$*' succeeded but should have failed"
        return 1
    fi
}

# expect NAME REGEX: $out must match the extended regex.
expect() {
    if ! grep -qE -- "$2" <<<"$out"; then
        fail "$1" "expected /$2/ in the output"
        return 1
    fi
}

# refuse NAME REGEX: $out must not match the extended regex.
refuse() {
    local hit
    if hit=$(grep -m1 -E -- "$2" <<<"$out"); then
        fail "$1" "unexpected /$2/ in the output: $hit"
        return 1
    fi
}

# need_module NAME: the module must exist (it is built by cargo build --release).
need_module() {
    if [[ ! -f $QRC_MODULE ]]; then
        out=
        fail "$1" "no module at $QRC_MODULE (run cargo build --release, or set QRC_MODULE)"
        return 1
    fi
}

# python_venv NAME DIR PACKAGE...: makes DIR a Python venv (or reuses it:
# QRC_PYTHON_VENV in the Python client scripts, shared by run.sh) holding the
# PACKAGEs from PyPI. Reports NAME failed if python3, venv or pip fails.
python_venv() {
    local name=$1 venv=$2
    shift 2
    if ! command -v python3 >/dev/null; then
        out=
        fail "$name" "python3 not found (apt-get install -y python3 python3-venv)"
        return 1
    fi
    if [[ ! -x $venv/bin/python ]]; then
        run "$name" python3 -m venv "$venv" || return 1
    fi
    run "$name" timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
}
