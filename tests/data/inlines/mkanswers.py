"""Writes answers.json: what binutils' `addr2line -i -f -a -e FILE` prints for every
address of the allocated code sections of the test binaries here (plus a few past their
ends; for inl and inl-stripped, whose DWARF and symbols addr2line reads from
inl-stripped.debug through its .gnu_debuglink, every allocated address: data symbols are
looked up as variables), asked in ascending order through one addr2line process, as perf
asks.  Addresses with the same answer as the previous one are stored as runs.  Run with python3 from this
directory after build.sh; needs binutils' addr2line (2.40 made the committed file)."""

import json
import subprocess
import sys

sys.path.insert(0, "../../../src")
from perfscript.symbols.elffile import open_elf  # noqa: E402

BINARIES = ("inl", "inl-dwarf4", "inlcc", "inl-stripped")


def addresses(path):
    img = open_elf(path)
    out = []
    for sec in img.sections:
        every = path in ("inl", "inl-stripped")
        if sec.flags & 0x2 and (sec.flags & 0x4 or every) and sec.size:  # ALLOC, EXECINSTR
            out.extend(range(sec.addr, sec.addr + sec.size))
    last = max(s.addr + s.size for s in img.sections if s.flags & 0x2)
    out.extend((0, 1, last, last + 0x1000))
    return sorted(set(out))


def answers(path, addrs):
    text = subprocess.run(["addr2line", "-i", "-f", "-a", "-e", path],
                          input="".join("%x\n" % a for a in addrs).encode(),
                          capture_output=True, check=True).stdout.decode()
    lines = text.split("\n")[:-1]
    out = []
    for line in lines:
        if line.startswith("0x") and len(line) == 18:
            out.append([])
        else:
            out[-1].append(line)
    return [[r[i:i + 2] for i in range(0, len(r), 2)] for r in out]


def main():
    version = subprocess.run(["addr2line", "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    doc = {"addr2line": version, "binaries": {}}
    for name in BINARIES:
        addrs = addresses(name)
        runs = []
        for addr, records in zip(addrs, answers(name, addrs)):
            if runs and runs[-1][1] == records and runs[-1][0] + runs[-1][2] == addr:
                runs[-1][2] += 1
            else:
                runs.append([addr, records, 1])
        doc["binaries"][name] = runs
    with open("answers.json", "w") as f:
        f.write('{"addr2line": %s,\n "binaries": {\n' % json.dumps(version))
        for n, name in enumerate(BINARIES):
            runs = doc["binaries"][name]
            f.write("  %s: [\n" % json.dumps(name))
            f.write(",\n".join("   " + json.dumps(r) for r in runs))
            f.write("\n  ]%s\n" % ("," if n < len(BINARIES) - 1 else ""))
        f.write(" }\n}\n")


if __name__ == "__main__":
    main()
