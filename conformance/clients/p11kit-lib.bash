# shellcheck shell=bash
# p11-kit registration of libqrcpkcs11.so for the client scripts that find the
# module through p11-kit (GnuTLS, systemd-cryptenroll). Sourced after lib.sh,
# not run (run.sh runs only *.sh files).
#
# The module is installed the way a package installs it: the library at the
# path named by the shipped module file, and packaging/qrcpkcs11.module in
# /usr/share/p11-kit/modules/. As root, p11-kit reads only the system
# directories, so this needs root (CI runs as root). p11kit_uninstall, which
# the script's EXIT trap calls, removes both files and puts back whatever was
# there before.

P11KIT_SHIPPED=$QRC_ROOT/packaging/qrcpkcs11.module
P11KIT_MODULE_FILE=/usr/share/p11-kit/modules/qrcpkcs11.module
# The library path is the one the shipped file names, so that the two agree.
P11KIT_SO=$(awk '$1 == "module:" { print $2; exit }' "$P11KIT_SHIPPED" 2>/dev/null)
p11kit_backup=

p11kit_version() { dpkg-query -W -f '${Version}' p11-kit 2>/dev/null || echo unknown; }

# p11kit_install NAME BACKUP_DIR: installs the module and its module file,
# keeping any files already at those paths in BACKUP_DIR; reports NAME as
# failed and returns 1 if it cannot.
p11kit_install() {
    local n=$1 f
    out=
    if [[ -z $P11KIT_SO ]]; then
        fail "$n" "no 'module:' line in $P11KIT_SHIPPED"
        return 1
    fi
    if ((EUID != 0)); then
        fail "$n" "installing into $P11KIT_MODULE_FILE and $P11KIT_SO needs root"
        return 1
    fi
    # Set before anything is copied, so that the trap undoes a partial install.
    p11kit_backup=$2
    run "$n" mkdir -p "$p11kit_backup" || return 1
    for f in "$P11KIT_SO" "$P11KIT_MODULE_FILE"; do
        if [[ -e $f ]]; then
            run "$n" cp -a "$f" "$p11kit_backup/$(basename "$f")" || return 1
        fi
    done
    run "$n" install -D -m 0644 "$QRC_MODULE" "$P11KIT_SO" &&
        run "$n" install -D -m 0644 "$P11KIT_SHIPPED" "$P11KIT_MODULE_FILE"
}

# p11kit_uninstall: undoes p11kit_install (safe to call when it did not run).
p11kit_uninstall() {
    local f saved
    [[ -n $p11kit_backup ]] || return 0
    for f in "$P11KIT_SO" "$P11KIT_MODULE_FILE"; do
        saved=$p11kit_backup/$(basename "$f")
        if [[ -e $saved ]]; then
            cp -a "$saved" "$f"
        else
            rm -f "$f"
        fi
    done
    p11kit_backup=
}

# p11kit_isolate DIR: keeps other registered modules from getting in the way.
# SoftHSMv2 (if installed) always shows one uninitialised token, on which
# systemd-cryptenroll's enumeration aborts ("Failed to create session for
# security token"); pointed at a configuration file that does not exist, its
# C_Initialize fails and p11-kit leaves it out (its module file does not mark
# it critical).
p11kit_isolate() {
    export SOFTHSM2_CONF=$1/no-softhsm2.conf
}

# p11kit_check_registered NAME [LABEL]: `p11-kit list-modules` must show the
# module at the installed path and, given LABEL, the initialised token LABEL.
p11kit_check_registered() {
    local n=$1 label=${2:-} block
    run "$n" timeout 60 p11-kit list-modules || return 1
    # The module's block: from its line to the next unindented line.
    block=$(awk -v m="qrcpkcs11: $P11KIT_SO" '$0 == m { on = 1; print; next }
        on && /^[^ ]/ { on = 0 } on' <<<"$out")
    if [[ -z $block ]]; then
        fail "$n" "p11-kit list-modules does not show qrcpkcs11: $P11KIT_SO"
        return 1
    fi
    out=$block
    [[ -z $label ]] && return 0
    expect "$n" "^    token: ${label}\$" &&
        expect "$n" '^ +token-initialized$'
}

# p11kit_token_setup NAME LABEL SO_PIN PIN: initialises the token in slot 0 of
# a fresh store with pkcs11-tool, through the installed library.
p11kit_token_setup() {
    local n=$1 label=$2 so_pin=$3 pin=$4
    run "$n" timeout 60 pkcs11-tool --module "$P11KIT_SO" --slot 0 --init-token \
        --label "$label" --so-pin "$so_pin" &&
        run "$n" timeout 60 pkcs11-tool --module "$P11KIT_SO" --token-label "$label" \
            --login --login-type so --so-pin "$so_pin" --init-pin --pin "$pin" &&
        expect "$n" 'User PIN successfully initialized'
}

# p11kit_workdir: a fresh temporary directory in $work with the token store
# the module will use (p11-kit loads it into the client programs, whose
# environment it reads: only this store, no configured tokens, default PIN
# and KDF settings) and p11-kit isolated to it; on exit the module's
# installation is undone and the directory removed.
p11kit_workdir() {
    work=$(mktemp -d)
    # shellcheck disable=SC2064 # $work is fixed now, on purpose.
    trap "p11kit_uninstall; rm -rf '$work'" EXIT
    mkdir "$work/store"
    export QRC_PKCS11_STORE=$work/store
    unset QRC_PKCS11_CONF
    p11kit_isolate "$work"
}
