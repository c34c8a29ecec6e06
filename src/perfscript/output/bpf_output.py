"""The `bpf-output` field: a bpf-output event's raw payload as perf script dumps it (perf's
binary__fprintf with 8 bytes a line), and the payload as a string when it is one."""


def _printable(b):
    return 0x20 <= b < 0x7F


def bpf_output_text(data):
    """The dump of a payload, beginning with a newline (perf starts it on a new line)."""
    out = ["\n"]
    hit_nul = False
    is_printable = True
    n = len(data)
    for start in range(0, n, 8):
        row = data[start:start + 8]
        out.append("%17s" % ("BPF output:" if start == 0 else ""))
        out.append(" %04x:" % start)
        out.append("".join(" %02x" % b for b in row))
        out.append("   " * (8 - len(row)))
        out.append("  ")
        for b in row:
            if hit_nul and b:
                is_printable = False
            if _printable(b):
                out.append(chr(b))
                continue
            out.append(".")
            if not is_printable:
                continue
            if b == 0:
                hit_nul = True
            else:
                is_printable = False
        out.append(" " * (8 - len(row)))
        out.append("\n")
    if is_printable and hit_nul:
        text = data[:data.index(0)].decode("latin-1")
        out.append("%17s \"%s\"\n" % ("BPF string:", text))
    return "".join(out)
