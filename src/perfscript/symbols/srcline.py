"""Source file and line of a code address, as perf 6.1 gets them from `addr2line`.

perf (built without libbfd) asks binutils' addr2line for the dso's symbol file and keeps
the first answer: the DWARF line table's row for the address (the innermost, inlined
location).  Here the line tables are read with pyelftools and answered as binutils 2.40
does, checked against it on glibc's debug files:

* file names: an absolute name as it is, else the compilation directory, the file's
  directory when that is relative, and the name, joined with "/";
* in a DWARF 5 sequence, rows before the program first sets the file register are
  named by file 0 (the compilation unit's own file), not by the register's initial 1;
* of several rows at one address the last counts; an address with no row gets "??" and
  line 0 when addr2line can still name a function from the symbol table (its STT_FILE
  name instead of "??" when binutils attaches one), else no answer at all.
"""

import bisect
import os

from .elffile import ELF_ERRORS, SHT_DYNSYM, SHT_SYMTAB, open_elf

DW_LNS_SET_FILE = 4

_tables = {}
_text_offsets = {}
_functions = {}


class LineTable:
    """The line rows of one ELF file, by sequence; empty without DWARF."""

    def __init__(self, path):
        self.starts = []      # sequence start addresses, sorted
        self.seqs = []        # (start, end, [row addresses], [(file, line)])
        self.exists = os.path.isfile(path)
        try:
            from elftools.elf.elffile import ELFFile
            with open(path, "rb") as f:
                elf = ELFFile(f)
                if elf.has_dwarf_info():
                    self._load(elf.get_dwarf_info())
        except (OSError, ImportError) + ELF_ERRORS:
            self.starts, self.seqs = [], []
        except Exception:                     # damaged DWARF: no lines, as addr2line's ??
            self.starts, self.seqs = [], []

    def _load(self, dwarf):
        seqs = []
        for cu in dwarf.iter_CUs():
            prog = dwarf.line_program_for_CU(cu)
            if prog is None:
                continue
            comp_dir = cu.get_top_DIE().attributes.get("DW_AT_comp_dir")
            comp_dir = _text(comp_dir.value) if comp_dir is not None else None
            names = _file_names(prog, comp_dir)
            # binutils 2.40 names rows of a DWARF 5 sequence by file 0 until the program
            # sets the file register, whatever its initial value (1) says
            first = names.get(0) if prog.header.version >= 5 else None
            set_file = False
            addrs, where = [], []
            for entry in prog.get_entries():
                st = entry.state
                if st is None:
                    if entry.command == DW_LNS_SET_FILE:
                        set_file = True
                    continue
                if st.end_sequence:
                    if addrs:
                        seqs.append((addrs[0], st.address, addrs, where))
                    addrs, where = [], []
                    set_file = False
                    continue
                loc = (names.get(st.file) if set_file or first is None else first, st.line)
                if addrs and addrs[-1] == st.address:
                    where[-1] = loc           # binutils keeps the last row of an address
                else:
                    addrs.append(st.address)
                    where.append(loc)
        seqs.sort(key=lambda s: s[0])
        self.seqs = seqs
        self.starts = [s[0] for s in seqs]

    def find(self, addr):
        """(file, line) for a link-time address, or None."""
        i = bisect.bisect_right(self.starts, addr) - 1
        # sequences can overlap (code the linker dropped stays at address 0): look back
        # a little past the nearest start
        for j in range(i, max(i - 64, -1), -1):
            start, end, addrs, where = self.seqs[j]
            if addr < end:
                return where[bisect.bisect_right(addrs, addr) - 1]
        return None


def _text(v):
    return v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v


def _file_names(prog, comp_dir):
    """File index -> the name addr2line prints."""
    hdr = prog.header
    v5 = hdr.version >= 5
    dirs = [_text(d.DW_LNCT_path) if hasattr(d, "DW_LNCT_path") else _text(d)
            for d in hdr.include_directory]
    out = {}
    for i, fe in enumerate(hdr.file_entry):
        index = i if v5 else i + 1
        name = _text(fe.DW_LNCT_path if hasattr(fe, "DW_LNCT_path") else fe.name)
        if name.startswith("/"):
            out[index] = name
            continue
        d = fe.DW_LNCT_directory_index if hasattr(fe, "DW_LNCT_directory_index") \
            else fe.dir_index
        d = d if v5 else d - 1
        sub = dirs[d] if 0 <= d < len(dirs) else None
        base = comp_dir if sub is None or not sub.startswith("/") else None
        if base is None:
            base, sub = sub, None
        if base is None:
            out[index] = name
        elif sub is not None:
            out[index] = "%s/%s/%s" % (base, sub, name)
        else:
            out[index] = "%s/%s" % (base, name)
    return out


def line_table(path):
    """The LineTable of a file, read once."""
    t = _tables.get(path)
    if t is None:
        t = _tables[path] = LineTable(path)
    return t


def text_offset(path):
    """.text's address minus its file offset (perf's dso text_offset), or None."""
    if path in _text_offsets:
        return _text_offsets[path]
    img = open_elf(path)
    sec = img.section_by_name(".text") if img is not None else None
    delta = _text_offsets[path] = sec.addr - sec.offset if sec is not None else None
    return delta


def _function_symbols(path):
    """What addr2line's symbol-table fallback knows of the file: per section index, the
    sorted (address, -size, file name or None) of its function and untyped symbols, the
    file name being that of the STT_FILE symbol binutils would attach."""
    got = _functions.get(path)
    if got is not None:
        return got
    img = open_elf(path)
    by_section = {}
    sections = []
    if img is not None:
        sec = img.symtab(".symtab", SHT_SYMTAB) or img.symtab(".dynsym", SHT_DYNSYM)
        if sec is not None:
            file = None
            symbol_seen = file_after_symbol = False
            for i, (_, name, value, size, info, _, shndx) in enumerate(img.iter_symbols(sec)):
                kind = info & 0xF
                if i == 0:
                    continue
                if kind == 4:                                  # STT_FILE
                    file = name.decode("utf-8", "surrogateescape")
                    file_after_symbol = symbol_seen
                    continue
                if kind not in (0, 2, 10):                     # NOTYPE, FUNC, GNU_IFUNC
                    continue
                symbol_seen = True
                if not shndx or shndx >= 0xFF00:
                    continue
                local = info >> 4 == 0
                named = file if file is not None and (local or not file_after_symbol) \
                    else None
                by_section.setdefault(shndx, []).append((value, -size, named))
        for rows in by_section.values():
            rows.sort(key=lambda r: (r[0], r[1]))
        for sh in img.sections:
            if sh.flags & 2 and sh.size:                       # SHF_ALLOC
                sections.append((sh.addr, sh.addr + sh.size, sh.index))
    got = _functions[path] = (by_section, sections)
    return got


def _function_file(path, vaddr):
    """addr2line's file name for an address it finds no line for: False when it cannot
    even name a function there, else the symbol's STT_FILE name or None ("??")."""
    by_section, sections = _function_symbols(path)
    for lo, hi, index in sections:
        if lo <= vaddr < hi:
            rows = by_section.get(index, ())
            i = bisect.bisect_right(rows, vaddr, key=lambda r: r[0]) - 1
            if i < 0:
                return False
            best = rows[i][0]
            while i > 0 and rows[i - 1][0] == best:
                i -= 1                                         # the largest at that address
            return rows[i][2]
    return False


def addr2line_file(dso):
    """The file perf's addr2line reads for a dso (srcline.c dso__name): the one its .symtab
    came from, else the dso's own path; None for the kernel, "[...]" names (the vdso:
    perf's copy of it is a /tmp/perf-vdso.so-* file) and JIT maps."""
    if dso is None or getattr(dso, "kernel", False):
        return None
    path = getattr(dso, "symtab_file", None) or dso.long_name
    if not path or path.startswith(("[", "/tmp/perf-")):
        return None
    return path


def srcline(dso, addr):
    """(file, line) for a map-relative address of a user dso (perf's get_srcline_split of
    map__rip_2objdump), or None.  Without a line, addr2line answers "??:0"; perf keeps that
    as ("??", 0) when addr2line could still name the function, else it has no answer."""
    runtime = getattr(dso, "runtime", None)
    debug = addr2line_file(dso)
    if debug is None:
        return None
    table = line_table(debug)
    if not table.exists:
        return None
    delta = text_offset(runtime or dso.long_name)
    found = table.find(addr + delta) if delta is not None else None
    if found is None or found[0] is None:
        name = _function_file(debug, addr + delta) if delta is not None else False
        if name is False:
            return None
        return ("??" if name is None else name, 0)
    return found


_sources = {}


def source_file_lines(path):
    """The lines of a source file as perf's srccode cache splits it: only the lines a
    newline ends, without it (bytes); [] for a file it cannot read. Read once."""
    lines = _sources.get(path)
    if lines is None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        lines = _sources[path] = data.split(b"\n")[:-1]
    return lines


def source_line(path, line):
    """The text of a line of a source file without its newline, or None (perf's
    find_sourceline)."""
    lines = source_file_lines(path)
    if not 1 <= line <= len(lines):
        return None
    return lines[line - 1].decode("utf-8", "replace")
