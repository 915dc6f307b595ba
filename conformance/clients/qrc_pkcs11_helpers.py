"""What the python-pkcs11 client checks (pyca_classic.py, pyca_interop.py)
share: the report (one line per check: ok NAME / FAIL NAME: reason / skip
NAME: reason, see lib.sh), assertions, the module's 2.40 function list
through ctypes, and a fresh token with its user PIN set.

The scripts are run as `python path/to/script.py`, so this sibling module is
on their import path.
"""

import ctypes
import sys
import traceback

import pkcs11


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def describe(e):
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


class Report:
    """The check lines of one script, every name after `prefix`; `failures`
    counts the FAIL lines."""

    def __init__(self, prefix=""):
        self.prefix = prefix
        self.failures = 0

    def ok(self, name):
        print(f"ok {self.prefix}{name}", flush=True)

    def fail(self, name, reason):
        self.failures += 1
        print(f"FAIL {self.prefix}{name}: {reason}", flush=True)

    def skip(self, name, reason):
        print(f"skip {self.prefix}{name}: {reason}", flush=True)

    def check(self, name, fn):
        """Runs fn(); an exception is the check's failure."""
        self.check_all(name, [("", fn)])

    def check_all(self, name, cases):
        """Runs every (label, fn) case, so one failure hides no other; the
        check fails with the label and error of each failing case."""
        errors = []
        for label, fn in cases:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - every error is a finding to report
                errors.append(f"{label}: {describe(e)}" if label else describe(e))
                print(f"--- {self.prefix}{name} {label}", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
        if errors:
            self.fail(name, "; ".join(errors))
        else:
            self.ok(name)

    def exit_code(self):
        return 1 if self.failures else 0


class FunctionList(ctypes.Structure):
    """CK_FUNCTION_LIST (2.40): the version, then the 68 function pointers."""

    _fields_ = [("version", ctypes.c_ubyte * 2), ("f", ctypes.c_void_p * 68)]


def functions(module):
    """The function pointers of `module`'s C_GetFunctionList; dlopen hands
    back the instance python-pkcs11 loads, if it has."""
    lib = ctypes.CDLL(module)
    flist = ctypes.POINTER(FunctionList)()
    rv = lib.C_GetFunctionList(ctypes.byref(flist))
    expect(rv == 0, f"C_GetFunctionList: 0x{rv:X}")
    return flist.contents.f


def init_token(module, label, so_pin):
    """C_InitToken on slot 0 through the raw function list (python-pkcs11 has
    no InitToken), between a C_Initialize and a C_Finalize of its own."""
    f = functions(module)
    ck = ctypes.c_ulong
    initialize = ctypes.CFUNCTYPE(ck, ctypes.c_void_p)(f[0])
    finalize = ctypes.CFUNCTYPE(ck, ctypes.c_void_p)(f[1])
    init_tok = ctypes.CFUNCTYPE(ck, ck, ctypes.c_char_p, ck, ctypes.c_char_p)(f[9])
    expect(initialize(None) == 0, "C_Initialize")
    rv = init_tok(0, so_pin.encode(), len(so_pin), label.encode().ljust(32, b" "))
    finalize(None)
    expect(rv == 0, f"C_InitToken: 0x{rv:X}")


def fresh_token(report, check_name, module, label, so_pin, user_pin):
    """Slot 0's token initialised (the check `check_name`) with its user PIN
    set through python-pkcs11: ready for `token.open(user_pin=user_pin)`."""
    report.check(check_name, lambda: init_token(module, label, so_pin))
    token = pkcs11.lib(module).get_token(token_label=label)
    with token.open(rw=True, so_pin=so_pin) as so:
        so.init_pin(user_pin)
    return token
