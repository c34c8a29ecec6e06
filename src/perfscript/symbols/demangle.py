"""Symbol names as perf 6.1 shows them: C++/Rust through libiberty's ``cplus_demangle``
without parameter lists, else OCaml's ``caml`` names.

Debian's perf links libiberty statically and calls ``cplus_demangle(name, 0)`` (no
``DMGL_PARAMS``): ``_Z4workRSt6vectorIlSaIlEEi`` shows as ``work``, Rust legacy names lose their
hash, v0 names come out as ``<crate::T>::f``.  binutils' shared ``libbfd`` exports the same
libiberty function, so we call it through ctypes. Without binutils we fall back to
libstdc++'s ``__cxa_demangle`` and make its text what libiberty prints without
``DMGL_PARAMS`` (no parameter list and no return type, except for thunks, which keep
their parameters; Rust legacy names without their hash and with their escapes decoded).
Rust v0 (``_R``) names need libbfd: without it they stay mangled.
"""

import ctypes
import ctypes.util
import functools
import re

_BFD_NAMES = ("libbfd-2.40-system.so",)


def _load_cplus():
    candidates = list(_BFD_NAMES)
    found = ctypes.util.find_library("bfd")
    if found:
        candidates.append(found)
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
            fn = lib.cplus_demangle
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_void_p
        fn.argtypes = (ctypes.c_char_p, ctypes.c_int)
        return fn
    # Any libbfd version will do: look for one next to libc.
    import glob
    for path in sorted(glob.glob("/usr/lib/*/libbfd-*.so") + glob.glob("/usr/lib/libbfd-*.so")):
        try:
            fn = ctypes.CDLL(path).cplus_demangle
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_void_p
        fn.argtypes = (ctypes.c_char_p, ctypes.c_int)
        return fn
    return None


def _load_cxa():
    for name in ("libstdc++.so.6", ctypes.util.find_library("stdc++")):
        if not name:
            continue
        try:
            fn = ctypes.CDLL(name).__cxa_demangle
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_void_p
        fn.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                       ctypes.POINTER(ctypes.c_int))
        return fn
    return None


_libc = ctypes.CDLL(None)
_free = _libc.free
_free.argtypes = (ctypes.c_void_p,)
_loaded = None


def _demanglers():
    """(libiberty's cplus_demangle, libstdc++'s __cxa_demangle): loaded on first use,
    as most runs never meet a mangled name."""
    global _loaded
    if _loaded is None:
        cplus = _load_cplus()
        _loaded = (cplus, None if cplus else _load_cxa())
    return _loaded


def _take(ptr):
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        _free(ptr)


def _strip_params(text):
    """Cut ``f(args) const`` down to ``f`` the way DMGL_PARAMS-less output looks."""
    if not text.endswith(")") and ")" not in text:
        return text
    depth = 0
    angle = 0
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                head = text[:i]
                if head.endswith("operator"):
                    continue
                return head
        elif c == ">" and depth == 0:
            angle += 1
    return text


def cplus_demangle(name):
    """libiberty's ``cplus_demangle(name, 0)``, or None when ``name`` is not mangled."""
    raw = name.encode("utf-8", "surrogateescape")
    _cplus, _cxa = _demanglers()
    if _cplus is not None:
        return _take(_cplus(raw, 0))
    if _cxa is not None and name.startswith("_Z"):
        status = ctypes.c_int(0)
        text = _take(_cxa(raw, None, None, ctypes.byref(status)))
        if text is not None and status.value == 0:
            return _without_params(name, text)
    return None


# the special names whose function libiberty prints with its parameters, params or not
_THUNKS = ("non-virtual thunk to ", "virtual thunk to ", "covariant return thunk to ")


def _without_params(name, text):
    """``__cxa_demangle``'s full text as ``cplus_demangle(name, 0)`` gives it."""
    if text.startswith(_THUNKS):
        return text
    text = _strip_return_type(_strip_params(text))
    rust = _rust_legacy(text)
    return text if rust is None else rust


def _strip_return_type(text):
    """``void f<int>`` -> ``f<int>``: a template function's return type goes before its
    name; libiberty prints it only with the parameters. Spaces inside brackets and in
    an operator's name (``operator new``, ``operator unsigned long``) are the name's."""
    depth = 0
    cut = -1
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in "<([{":
            depth += 1
        elif c in ">)]}":
            depth -= 1
        elif depth == 0:
            if c == " ":
                cut = i
            elif text.startswith("operator", i) and (i == 0 or not text[i - 1].isalnum()
                                                       and text[i - 1] != "_"):
                break
        i += 1
    if cut < 0 or text.startswith(("vtable for ", "VTT for ", "typeinfo ", "guard variable",
                                   "construction vtable", "reference temporary",
                                   "transaction clone", "TLS ")):
        return text
    return text[cut + 1:]


_RUST_HASH = re.compile(r"h[0-9a-f]{16}")
_RUST_ESCAPES = {"SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(",
                 "RP": ")", "C": ","}
_RUST_ESCAPE = re.compile(r"\$([A-Za-z]+|u[0-9a-f]{1,6})\$")


def _rust_legacy(text):
    """A Rust legacy name as libiberty prints it (``a::b::h<16 hex>`` from a C++
    demangler: the hash dropped, ``$LT$``/``$u7b$``/``..`` decoded), or None when
    ``text`` is not one (libiberty wants 5 distinct digits in the hash)."""
    parts = text.split("::")
    if len(parts) < 2 or not _RUST_HASH.fullmatch(parts[-1]) or len(set(parts[-1][1:])) < 5:
        return None
    out = []
    for part in parts[:-1]:
        if part.startswith("_$"):
            part = part[1:]
        pieces = []
        pos = 0
        for m in _RUST_ESCAPE.finditer(part):
            pieces.append(part[pos:m.start()])
            code = m.group(1)
            if code.startswith("u") and code not in _RUST_ESCAPES:
                pieces.append(chr(int(code[1:], 16)))
            elif code in _RUST_ESCAPES:
                pieces.append(_RUST_ESCAPES[code])
            else:
                return None
            pos = m.end()
        pieces.append(part[pos:])
        part = "".join(pieces)
        if "$" in part:
            return None
        out.append(part.replace("..", "::"))
    return "::".join(out)


def _hexval(c):
    return int(c, 16)


def ocaml_demangle(name):
    """``camlModule__fn_12`` -> ``Module.fn_12`` (``__`` is a dot, ``$xx`` a hex byte)."""
    if not (name.startswith("caml") and len(name) > 4 and "A" <= name[4] <= "Z"):
        return None
    out = []
    i = 4
    n = len(name)
    hexdigits = "0123456789abcdefABCDEF"
    while i < n:
        c = name[i]
        if c == "_" and i + 1 < n and name[i + 1] == "_":
            out.append(".")
            i += 2
        elif (c == "$" and i + 2 < n and name[i + 1] in hexdigits and name[i + 2] in hexdigits):
            out.append(chr((_hexval(name[i + 1]) << 4) | _hexval(name[i + 2])))
            i += 3
        else:
            out.append(c)
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def demangle(name):
    """The name perf 6.1 shows for an ELF symbol of a user-space dso."""
    text = cplus_demangle(name)
    if text is not None:
        return text
    text = ocaml_demangle(name)
    if text is not None:
        return text
    return name
