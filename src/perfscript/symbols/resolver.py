"""One cache of dsos per session: each (file, build id) loads its symbols at most once."""

import glob
import hashlib
import os

import numpy as np

from . import locate
from .buildid import build_ids_equal, kernel_build_id, normalize
from .demangle import demangle as demangle_name
from .dso import (Dso, IdentityDso, KernelDso, KernelSectionDso, KsymbolDso, ModuleDso,
                  load_perf_map, load_user_symbols)
from .elffile import open_elf
from .cache import SymbolCache, default_directory
from .columns import from_arrays, to_arrays
from .kallsyms import (KallsymsColumns, function_start, parse_kallsyms, read_kallsyms,
                       split_kallsyms)
from .own_vdso import own_vdso_path
from .vmlinux import load_vmlinux

VDSO_NAMES = ("[vdso]", "[vdso32]", "[vdsox32]")


PROC_KALLSYMS_ENV = "PERFSCRIPT_PROC_KALLSYMS"


class SymbolResolver:
    """Finds and caches the symbol sources perf 6.1 would use.

    ``kallsyms``: a kallsyms file given by the user (perf's ``--kallsyms``), used as is.
    ``symfs``: a directory prefixed to every dso path (``--symfs``); as in perf it also stops
    the lookup of local kallsyms files.  ``debug_dir``: perf's build-id cache (``~/.debug``).
    ``proc_kallsyms`` / ``kernel_notes``: the running kernel's symbols and build-id notes.
    The environment variable PERFSCRIPT_PROC_KALLSYMS stands in for the running kernel's
    symbols (and no build id): it reproduces what perf printed on another machine for
    recordings that carry no kernel build id, where perf read that machine's /proc/kallsyms.
    ``cache``: True for the on-disk symbol cache the environment names (symbols.cache),
    False for none, or a SymbolCache. ``kallsyms_reader``: what reads a kallsyms file's
    bytes (default `read_kallsyms`); a process converting many recordings of one run
    passes one that reads each file once, as perf reads /proc/kallsyms once a run.
    """

    def __init__(self, kallsyms=None, symfs=None, debug_dir="~/.debug",
                 proc_kallsyms=None, kernel_notes="/sys/kernel/notes", demangle=True,
                 demangle_kernel=False, show_kernel_path=False, vmlinux=None, cache=True,
                 kallsyms_reader=read_kallsyms):
        if cache is True:
            directory = default_directory()
            cache = SymbolCache(directory) if directory else None
        self.cache = cache or None
        self.kallsyms = kallsyms
        self.vmlinux = vmlinux
        # how an ELF symbol name is shown, in user dsos and in the kernel's (vmlinux)
        self.shown = demangle_name if demangle else _as_is
        self.shown_kernel = demangle_name if demangle_kernel else _as_is
        self.show_kernel_path = show_kernel_path
        self.symfs = symfs or ""
        # perf's --symfs also moves its build-id cache to DIR/.debug
        self.debug_dir = os.path.join(symfs, ".debug") if symfs else \
            os.path.expanduser(debug_dir)
        if proc_kallsyms is None:
            proc_kallsyms = os.environ.get(PROC_KALLSYMS_ENV)
            if proc_kallsyms:
                kernel_notes = None
            else:
                proc_kallsyms = "/proc/kallsyms"
        self.proc_kallsyms = proc_kallsyms
        self._kallsyms_last = (None, None)     # (path, bytes) of the last kallsyms read
        self._read_kallsyms = kallsyms_reader
        self.kernel_notes = kernel_notes
        self._dsos = {}
        self._kernels = {}
        self._machine_kernel = None

    # user space -------------------------------------------------------------------------

    def dso(self, filename, build_id=None):
        """The Dso for a mapped file (as named in MMAP records) and its recorded build id."""
        build_id = normalize(build_id)
        key = (filename, build_id or "")
        dso = self._dsos.get(key)
        if dso is None:
            dso = self._shown_name(self._new_dso(filename, build_id))
            self._dsos[key] = dso
        return dso

    def _shown_name(self, dso):
        """--show-kernel-path: perf prints a dso's long name (its path) where it prints
        the name."""
        if self.show_kernel_path:
            dso.name = dso.long_name
        return dso

    def _new_dso(self, filename, build_id):
        if filename in VDSO_NAMES:
            return Dso(filename, build_id, loader=self._load_vdso)
        if filename.startswith("/tmp/perf-"):
            return IdentityDso(filename, build_id, long_name=self.symfs + filename
                               if self.symfs else filename, loader=load_perf_map)
        if not filename.startswith("/"):
            return Dso(filename, build_id)  # [heap], [stack], //anon ...: no symbols
        return Dso(filename, build_id, loader=self._load_user)

    def ksymbol_dso(self, name):
        """The dso of kernel code a KSYMBOL record announced (one per name)."""
        key = ("ksymbol", name)
        dso = self._dsos.get(key)
        if dso is None:
            dso = self._dsos[key] = self._shown_name(KsymbolDso(name))
        return dso

    @staticmethod
    def add_ksymbol(dso, start, size, name):
        """A KSYMBOL's symbol, at `start` in `dso`'s space (one landing in a module or the
        kernel itself is not kept)."""
        if isinstance(dso, KsymbolDso):
            dso.add_symbol(start, size, name)

    def _read_debuglink(self, path):
        img = open_elf(path)
        return img.debuglink() if img is not None else None

    def _load_user(self, dso):
        def candidates(d):
            return locate.user_candidates(d.long_name, d.build_id, self.symfs, self.debug_dir,
                                          self._read_debuglink)
        return load_user_symbols(dso, candidates, self.symfs, self.shown, self.cache)

    def _load_vdso(self, dso):
        def candidates(d):
            paths = locate.vdso_candidates(d.build_id, self.debug_dir)
            if d.long_name == "[vdso]" and not self.symfs:
                own = own_vdso_path()
                if own is not None:
                    paths.append(own)
            return paths
        return load_user_symbols(dso, candidates, shown=self.shown, cache=self.cache)

    def data_path(self, dso):
        """The file perf reads a user dso's bytes from (dso__data_fd): its build-id cache
        entry, else the file at its path (under --symfs); None when there is none."""
        vdso = dso.name in VDSO_NAMES
        if dso.build_id:
            path = locate.build_id_cache_file(self.debug_dir, dso.build_id,
                                              "vdso" if vdso else "elf")
            if os.path.isfile(path):
                return path
        if vdso:
            return own_vdso_path() if dso.name == "[vdso]" and not self.symfs else None
        if not dso.long_name.startswith("/"):
            return None
        path = locate.join_symfs(self.symfs, dso.long_name)
        return path if os.path.isfile(path) else None

    def dso_for_map(self, m, kernel=False):
        """The dso for a session map (``filename``, ``build_id``, ``pgoff``): the kernel for
        ``[kernel.kallsyms]_text``-style maps, a module dso for other kernel-space maps, else a
        user dso."""
        name = m.filename
        bid = normalize(getattr(m, "build_id", None))
        if name.startswith("[kernel.kallsyms]"):
            ref = name[len("[kernel.kallsyms]"):]
            dso = self.kernel(bid, (ref, m.pgoff) if ref and m.pgoff else None,
                              text_size=m.end - m.start)
            self._machine_kernel = dso
            return dso
        if kernel and not name.startswith("[vdso") and not name.startswith("//"):
            if self._machine_kernel is None:
                self._machine_kernel = self.kernel(None)
            return self.module(name, bid, self._machine_kernel,
                               named_by_path=getattr(m, "listed", False))
        return self.dso(name, bid)

    # kernel -----------------------------------------------------------------------------

    def kernel(self, build_id=None, ref_reloc=None, text_size=None):
        """The ``[kernel.kallsyms]`` dso for a recording's kernel build id.

        ``ref_reloc`` is ``(name, address)`` from the kernel MMAP record (``[kernel.kallsyms]_text``
        and its pgoff): kallsyms from another boot are shifted by the difference, and a kallsyms
        file lacking that symbol gives no symbols, as in perf. ``text_size`` is the recorded
        kernel map's length (``_etext - _text``): without a build id it tells whether a
        kallsyms file is the recorded kernel's.
        """
        build_id = normalize(build_id)
        key = (build_id or "", ref_reloc, text_size)
        dso = self._kernels.get(key)
        if dso is None:
            dso = KernelDso(build_id, loader=lambda d: self._load_kernel(d, ref_reloc,
                                                                        text_size))
            self._kernels[key] = dso
        return dso

    def module(self, filename, build_id, kernel, named_by_path=False):
        """The dso for a kernel module map (MMAP filename ``/lib/modules/.../x.ko`` or ``[x]``).
        perf names a module dso it first met in the recording's build-id table by its path
        (``named_by_path``), else ``[x]``."""
        build_id = normalize(build_id)
        key = ("module", filename, build_id or "", id(kernel), named_by_path)
        dso = self._dsos.get(key)
        if dso is None:
            dso = ModuleDso(filename, build_id, kernel)
            if named_by_path:
                dso.name = filename
            self._dsos[key] = self._shown_name(dso)
        return dso

    def kallsyms_path(self, build_id, text_size=None):
        """The kallsyms file perf 6.1 would read for this kernel build id, or None.

        Without a build id perf reads /proc/kallsyms even when the recording comes from
        another kernel; we first check that its text size is the recorded one and else
        take a kallsyms from the build-id cache that has that size.
        """
        if self.kallsyms:
            return self.kallsyms
        if self.symfs:
            return None
        if not build_id:
            if text_size and self._text_size(self.proc_kallsyms) not in (None, text_size):
                for path in sorted(glob.glob(os.path.join(
                        os.path.expanduser(self.debug_dir), "[[]kernel.kallsyms[]]", "*",
                        "kallsyms"))):
                    if self._text_size(path) == text_size:
                        return path
            return self.proc_kallsyms
        if self.kernel_notes and build_ids_equal(build_id, kernel_build_id(self.kernel_notes)):
            return self.proc_kallsyms
        for path in locate.kallsyms_candidates(build_id, self.debug_dir):
            if os.path.isfile(path):
                return path
        return None

    def _load_kernel(self, dso, ref_reloc, text_size=None):
        if self.vmlinux is not None and not self.kallsyms:
            return self._load_vmlinux(dso, ref_reloc)
        path = self.kallsyms_path(dso.build_id, text_size)
        if path is None:
            return None
        text = self._kallsyms_text(path)
        if text is None:
            return None
        delta = 0
        if ref_reloc and ref_reloc[0]:
            addr = function_start(text, ref_reloc[0])
            if addr is None:
                return None
            delta = addr - ref_reloc[1]
        found = split_kallsyms(self._parsed_kallsyms(text), delta)
        dso.modules = found.modules
        dso.symsrc = path
        return found.table

    def _parsed_kallsyms(self, text):
        """parse_kallsyms' result, from the symbol cache when this text was parsed before."""
        if self.cache is None:
            return parse_kallsyms(text)
        key = ["kallsyms", hashlib.blake2b(text, digest_size=20).hexdigest()]
        hit = self.cache.load(key, [])
        if hit is not None:
            meta, arrays = hit
            try:
                cols, order, history = from_arrays(arrays, meta)
                tab = arrays["tab"]
                if len(tab) == len(cols):
                    return KallsymsColumns(cols, order, history, tab)
            except (ValueError, KeyError, TypeError):
                pass
        parsed = parse_kallsyms(text)
        arrays, meta = to_arrays(parsed.cols, parsed.order, parsed.history)
        arrays["tab"] = parsed.tab.astype(np.int64)
        self.cache.store(key, [], meta, arrays)
        return parsed

    def _load_vmlinux(self, dso, ref_reloc):
        """-k/--vmlinux: that file and only it (a relative path is under --symfs)."""
        path = self.vmlinux
        if not path.startswith("/") and self.symfs:
            path = os.path.join(self.symfs, path)
        found = load_vmlinux(path, dso.build_id, ref_reloc, self.shown_kernel)
        if found is None:
            return None
        dso.long_name = self.vmlinux
        dso.symsrc = path
        dso.extent = found.extent
        for name, start, end, pgoff, table in found.sections:
            part = KernelSectionDso(dso.short_name + name, self.vmlinux, table)
            dso.section_maps.append((start, end, pgoff, self._shown_name(part)))
        self._shown_name(dso)
        return found.table

    def _kallsyms_text(self, path):
        """A kallsyms file's bytes (None if unreadable); the last one read is kept, as a
        pipe given to --kallsyms can be read only once."""
        if self._kallsyms_last[0] != path:
            try:
                text = self._read_kallsyms(path)
            except OSError:
                text = None
            self._kallsyms_last = (path, text)
        return self._kallsyms_last[1]

    def _text_size(self, path):
        """``_etext - _text`` of a kallsyms file, or None when it cannot tell."""
        text = self._kallsyms_text(path)
        if text is None:
            return None
        return _text_size(text)


def _as_is(name):
    return name


def _text_size(text):
    start = function_start(text, "_text")
    end = function_start(text, "_etext")
    if start is None or end is None:
        return None
    return end - start
