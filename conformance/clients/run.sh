#!/usr/bin/env bash
# Runs every client script in this directory (each a real PKCS#11 consumer
# against libqrcpkcs11.so) and passes on their lines:
#   ok NAME / FAIL NAME: reason / skip NAME: reason
# Exits 1 if any check failed or any script failed without saying why.
#
#   run.sh [--doc FILE]   also writes the compatibility matrix to FILE
#                         (docs/compatibility.md) with compatibility.py
set -uo pipefail

doc=
if [[ ${1:-} == --doc ]]; then
    doc=${2:?--doc needs a file}
fi

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failed=0
passed=0
lines=$(mktemp)
report=$(mktemp)
# One Python venv for every Python client script of the run.
venv_dir=$(mktemp -d)
export QRC_PYTHON_VENV=${QRC_PYTHON_VENV:-$venv_dir/venv}
trap 'rm -rf "$lines" "$report" "$venv_dir"' EXIT

for script in "$dir"/*.sh; do
    name=$(basename "$script" .sh)
    case $name in run | lib) continue ;; esac
    # Lines are shown as they come, and kept for the count.
    bash "$script" | tee "$lines"
    rc=${PIPESTATUS[0]}
    sed "s/^/$name\t/" "$lines" >>"$report"
    fails=$(grep -c '^FAIL ' "$lines" || true)
    passes=$(grep -c '^ok ' "$lines" || true)
    passed=$((passed + passes))
    if ((fails > 0)); then
        failed=$((failed + fails))
    elif ((rc != 0)); then
        # A script that failed must have said which check failed.
        echo "FAIL $name: exited $rc without a FAIL line"
        failed=$((failed + 1))
    fi
done

echo "clients: $passed ok, $failed FAIL"
if [[ -n $doc ]]; then
    python3 "$dir/compatibility.py" "$report" >"$doc" && echo "compatibility matrix written to $doc"
fi
((failed == 0))
