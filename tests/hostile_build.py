"""Build hostile tracepoint recordings from real ones: swap one event's format text.

The tracing data perf stores with a tracepoint recording carries each event's `format`
file with its length in front. These helpers find that blob in a recording (file mode:
the HEADER_TRACING_DATA feature section; pipe mode: the PERF_RECORD_HEADER_TRACING_DATA
record and the bytes after it), replace one format text and fix every size that covers
it, so the result is a well-formed recording whose only lie is the new format. Meant for
tests and fuzzing; nothing here checks the input beyond what it needs to find its way.

    from hostile_build import with_format, format_text
    data = open("tests/data/recordings/sched.data", "rb").read()
    text = format_text(data, "sched_switch")
    hostile = with_format(data, "sched_switch", text.replace("size:16;", "size:4096;"))

tracing_blob / with_tracing_blob get and replace the whole blob (format_spans locates
every format text in it); with_sample_repeated(data, times, nth) makes a recording with
many samples of one event out of one, for costs that grow with the number of records.
"""

import struct

MAGIC = b"\x17\x08\x44tracing"
_PIPE_TRACING_DATA = 66
_FEAT_TRACING_DATA = 1


def _cstring_end(blob, pos):
    return blob.index(b"\0", pos) + 1


def _walk(blob):
    """([(system, event name, start, end) per format text], byte order, end of the blob
    without any padding after it). A text's u64 length sits in the 8 bytes before
    `start`."""
    if not blob.startswith(MAGIC):
        raise ValueError("not a tracing data blob")
    pos = _cstring_end(blob, len(MAGIC))
    version = float(blob[len(MAGIC):pos - 1] or b"0")
    order = ">" if blob[pos] else "<"
    pos += 2 + 4                                   # endianness, long size, page size
    for tag in (b"header_page\0", b"header_event\0"):
        assert blob[pos:pos + len(tag)] == tag, tag
        pos += len(tag)
        size, = struct.unpack_from(order + "Q", blob, pos)
        pos += 8 + size
    spans = []

    def formats(system, pos):
        count, = struct.unpack_from(order + "I", blob, pos)
        pos += 4
        for _ in range(count):
            size, = struct.unpack_from(order + "Q", blob, pos)
            start = pos + 8
            head = blob[start:start + 200].split(b"\n", 1)[0]
            name = head.split(b":", 1)[1].strip().decode() if b":" in head else ""
            spans.append((system, name, start, start + size))
            pos = start + size
        return pos

    pos = formats("ftrace", pos)
    systems, = struct.unpack_from(order + "I", blob, pos)
    pos += 4
    for _ in range(systems):
        end = _cstring_end(blob, pos)
        pos = formats(blob[pos:end - 1].decode(), end)
    for item in ("I", "I") + (("Q",) if version >= 0.6 else ()):   # kallsyms, printk, cmdlines
        size, = struct.unpack_from(order + item, blob, pos)
        pos += struct.calcsize(item) + size
    return spans, order, pos


def format_spans(blob):
    """(system, event name, start, end) of every format text in a tracing-data blob."""
    return _walk(blob)[0]


def _find(spans, event_name):
    system, _, name = event_name.rpartition(":")
    for span in spans:
        if span[1] == name and (not system or span[0] == system):
            return span
    raise KeyError("no format for event %r" % event_name)


def blob_with_format(blob, event_name, new_text):
    """The tracing-data blob with `event_name`'s format text (and its length) replaced.
    event_name is 'name' or 'system:name'; new_text is str or bytes."""
    if isinstance(new_text, str):
        new_text = new_text.encode("utf-8", "surrogateescape")
    spans, order, blob_end = _walk(blob)
    _, _, start, end = _find(spans, event_name)
    return (blob[:start - 8] + struct.pack(order + "Q", len(new_text)) + new_text
            + blob[end:blob_end])


def _file_tracing_section(data):
    """(table entry offset, section offset, section size, feature table) of a file-mode
    recording's tracing data."""
    data_off, data_size = struct.unpack_from("<QQ", data, 40)
    flags = int.from_bytes(data[72:104], "little")
    table = data_off + data_size
    bits = [bit for bit in range(256) if flags >> bit & 1]
    if _FEAT_TRACING_DATA not in bits:
        raise ValueError("the recording has no HEADER_TRACING_DATA section")
    entries = [(table + 16 * i, *struct.unpack_from("<QQ", data, table + 16 * i))
               for i in range(len(bits))]
    return entries[bits.index(_FEAT_TRACING_DATA)], entries


def _pipe_tracing_record(data):
    """Offset of a pipe-mode recording's TRACING_DATA record."""
    off, = struct.unpack_from("<Q", data, 8)
    while off + 8 <= len(data):
        typ, _, size = struct.unpack_from("<IHH", data, off)
        if typ == _PIPE_TRACING_DATA:
            return off
        if size < 8:
            break
        off += size
    raise ValueError("the pipe recording has no TRACING_DATA record")


def tracing_blob(data):
    """The tracing-data blob of a recording (file or pipe mode), as bytes (in pipe mode
    with the padding that follows it)."""
    data = bytes(data)
    if struct.unpack_from("<Q", data, 8)[0] == 16:          # pipe mode: header is 16 bytes
        off = _pipe_tracing_record(data)
        size, = struct.unpack_from("<I", data, off + 8)
        return data[off + 16:off + 16 + size]
    (_, start, size), _ = _file_tracing_section(data)
    return data[start:start + size]


def with_tracing_blob(data, new_blob):
    """The recording with its tracing-data blob replaced, every size and offset that
    covers it fixed (file mode: the feature section's size and the offsets of the
    sections after it; pipe mode: the record's size field and the 8-byte padding).
    new_blob must end where its last part (saved cmdlines) ends: pipe mode pads it."""
    data = bytes(data)
    if struct.unpack_from("<Q", data, 8)[0] == 16:
        off = _pipe_tracing_record(data)
        old, = struct.unpack_from("<I", data, off + 8)
        padded = new_blob + bytes(-len(new_blob) % 8)
        head = data[:off + 8] + struct.pack("<I", len(padded)) + data[off + 12:off + 16]
        return head + padded + data[off + 16 + ((old + 7) & ~7):]
    (entry, start, size), entries = _file_tracing_section(data)
    delta = len(new_blob) - size
    out = bytearray(data[:start] + new_blob + data[start + size:])
    for at, sec_off, sec_size in entries:
        if at == entry:
            sec_size = len(new_blob)
        elif sec_off > start:
            sec_off += delta
        if at > start:           # the table itself sits before the sections in perf files
            at += delta
        struct.pack_into("<QQ", out, at, sec_off, sec_size)
    return bytes(out)


def format_text(data, event_name):
    """The current format text of `event_name` ('name' or 'system:name') as str."""
    blob = tracing_blob(data)
    _, _, start, end = _find(format_spans(blob), event_name)
    return blob[start:end].decode("utf-8", "surrogateescape")


def with_format(data, event_name, new_text):
    """The recording (bytes of a file- or pipe-mode perf.data) with `event_name`'s format
    text replaced by `new_text`, all covering sizes fixed."""
    return with_tracing_blob(data, blob_with_format(tracing_blob(data), event_name,
                                                    new_text))


_SAMPLE = 9
_AUXTRACE = 71


def _records(data, pipe):
    """(offset, type, size on disk) of each record of the data section."""
    if pipe:
        off, end = 16, len(data)
    else:
        off, size = struct.unpack_from("<QQ", data, 40)
        end = off + size
    out = []
    while off + 8 <= end:
        typ, _, size = struct.unpack_from("<IHH", data, off)
        if size < 8:
            break
        extra = 0
        if pipe and typ == _PIPE_TRACING_DATA:
            extra = (struct.unpack_from("<I", data, off + 8)[0] + 7) & ~7
        elif typ == _AUXTRACE:
            extra = struct.unpack_from("<Q", data, off + 8)[0]
        out.append((off, typ, size + extra))
        off += size + extra
    return out


def with_sample_repeated(data, times, nth=0):
    """The recording with its `nth` PERF_RECORD_SAMPLE present `times` times in a row
    (same timestamp; for recordings with many samples of one event). In file mode the
    data section's size and the feature sections' offsets are fixed."""
    data = bytes(data)
    pipe = struct.unpack_from("<Q", data, 8)[0] == 16
    samples = [r for r in _records(data, pipe) if r[1] == _SAMPLE]
    off, _, size = samples[nth]
    record = data[off:off + size]
    out = bytearray(data[:off + size] + record * (times - 1) + data[off + size:])
    if pipe:
        return bytes(out)
    delta = size * (times - 1)
    data_off, data_size = struct.unpack_from("<QQ", data, 40)
    struct.pack_into("<Q", out, 48, data_size + delta)
    table = data_off + data_size + delta
    flags = int.from_bytes(data[72:104], "little")
    for i in range(bin(flags).count("1")):
        sec_off, sec_size = struct.unpack_from("<QQ", out, table + 16 * i)
        if sec_off >= data_off + data_size:
            struct.pack_into("<QQ", out, table + 16 * i, sec_off + delta, sec_size)
    return bytes(out)
