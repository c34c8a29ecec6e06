#!/usr/bin/env python3
"""Write a small vmlinux-like ELF (x86-64 ET_EXEC) for perf script -k tests: a GNU build-id
note, NOBITS sections at the kernel's addresses, and a .symtab.

    python3 make_vmlinux.py OUT BUILD_ID KALLSYMS

Sections .text [_text, _etext) and .init.text [_sinittext, _einittext) come from KALLSYMS
(a kallsyms file, here the stored subset); .data is one page after _etext's page. Every
text symbol of it becomes a FUNC sized to the next start but at most 0x80 bytes (so
addresses further in are no symbol's, unlike with kallsyms); _text, _stext and _etext are
typeless labels; .data holds one OBJECT, ps_data_object. Section file offsets are made up
(the sections hold no bytes), as a real vmlinux's would be: .text at 0x200000.
"""

import struct
import sys

LABELS = ("_text", "_stext", "_etext")
MAX_SIZE = 0x80
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOTE, SHT_NOBITS = 1, 2, 3, 7, 8
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
STB_GLOBAL = 1


def read_kallsyms(path):
    bounds, funcs = {}, []
    for line in open(path):
        parts = line.split()
        if len(parts) != 3:
            continue
        addr, kind, name = int(parts[0], 16), parts[1], parts[2]
        if name in LABELS + ("_sinittext", "_einittext"):
            bounds[name] = addr
        elif kind in "Tt":
            funcs.append((addr, name))
    funcs.sort()
    return bounds, funcs


def main():
    out, build_id, kallsyms = sys.argv[1:4]
    bounds, funcs = read_kallsyms(kallsyms)
    text = (bounds["_text"], bounds["_etext"] - bounds["_text"], 0x200000)
    init = (bounds["_sinittext"], bounds["_einittext"] - bounds["_sinittext"], 0x3000000)
    data_addr = (bounds["_etext"] + 0x1fff) & ~0xfff
    data = (data_addr, 0x1000, 0x1800000)
    # name, type, flags (A=2, X=4, W=1), (addr, size, offset)
    sections = [(".text", SHT_NOBITS, 6, text), (".init.text", SHT_NOBITS, 6, init),
                (".data", SHT_NOBITS, 3, data)]
    symbols = [(bounds[n], 0, STT_NOTYPE, 1, n) for n in LABELS]
    starts = [a for a, _ in funcs]
    for i, (addr, name) in enumerate(funcs):
        nxt = starts[i + 1] if i + 1 < len(starts) else addr + MAX_SIZE
        size = min(max(nxt - addr, 0), MAX_SIZE)
        if text[0] <= addr < text[0] + text[1]:
            symbols.append((addr, size, STT_FUNC, 1, name))
        elif init[0] <= addr < init[0] + init[1]:
            symbols.append((addr, size, STT_FUNC, 2, name))
    symbols.append((data_addr + 0x40, 8, STT_OBJECT, 3, "ps_data_object"))

    shstrtab = b"\0"
    names = []
    for name in [s[0] for s in sections] + [".note.gnu.build-id", ".symtab", ".strtab",
                                             ".shstrtab"]:
        names.append(len(shstrtab))
        shstrtab += name.encode() + b"\0"
    note = struct.pack("<III", 4, 20, 3) + b"GNU\0" + bytes.fromhex(build_id)
    strtab = b"\0"
    symtab = bytes(24)
    for addr, size, typ, shndx, name in symbols:
        symtab += struct.pack("<IBBHQQ", len(strtab), (STB_GLOBAL << 4) | typ, 0, shndx,
                              addr, size)
        strtab += name.encode() + b"\0"

    body = bytearray(64)

    def place(blob):
        off = len(body)
        body.extend(blob)
        body.extend(bytes(-len(body) % 8))
        return off

    note_off, sym_off, str_off, shs_off = (place(note), place(symtab), place(strtab),
                                           place(shstrtab))
    shoff = len(body)
    shdrs = bytes(64)
    for (name, typ, flags, (addr, size, off)), name_off in zip(sections, names):
        shdrs += struct.pack("<IIQQQQIIQQ", name_off, typ, flags, addr, off, size, 0, 0, 16, 0)
    n = len(sections)
    shdrs += struct.pack("<IIQQQQIIQQ", names[n], SHT_NOTE, 2, 0, note_off, len(note), 0, 0,
                         4, 0)
    shdrs += struct.pack("<IIQQQQIIQQ", names[n + 1], SHT_SYMTAB, 0, 0, sym_off, len(symtab),
                         n + 3, 1, 8, 24)
    shdrs += struct.pack("<IIQQQQIIQQ", names[n + 2], SHT_STRTAB, 0, 0, str_off, len(strtab),
                         0, 0, 1, 0)
    shdrs += struct.pack("<IIQQQQIIQQ", names[n + 3], SHT_STRTAB, 0, 0, shs_off,
                         len(shstrtab), 0, 0, 1, 0)
    body.extend(shdrs)
    body[:64] = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7),
                            2, 62, 1, bounds["_text"], 0, shoff, 0, 64, 56, 0, 64, n + 5,
                            n + 4)
    with open(out, "wb") as f:
        f.write(bytes(body))


if __name__ == "__main__":
    main()
