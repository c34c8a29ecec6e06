"""The `synth` field: the payload of a PERF_TYPE_SYNTH event (what Intel PT decoding
synthesizes: ptwrite, power events, event trace ...), as perf 6.1 prints each kind.

The raw payload is the event's struct without its first 4 bytes (they overlap the raw size
word); a payload shorter than its struct prints nothing.
"""

import struct

PT_SPACING = 34


def _hex(v):
    """C's %#x: 0 without the prefix."""
    return "%#x" % v if v else "0"


def _padded(text):
    """perf_sample__fprintf_pt_spacing: pad to 34 columns."""
    return text + " " * (PT_SPACING - len(text)) if 0 < len(text) < PT_SPACING else text


def _ptwrite_text(payload):
    """The payload's bytes when they are printable ASCII padded with NULs, else ""."""
    data = payload.to_bytes(8, "little")
    text = data.rstrip(b"\0")
    if b"\0" in text or any(not 0x20 <= b < 0x7F for b in text):
        return ""
    return text.decode("ascii")


def _ptwrite(raw):
    flags, payload = struct.unpack_from("<IQ", raw)
    return " IP: %u payload: %s %s " % (flags & 1, _hex(payload), _ptwrite_text(payload))


def _mwait(raw):
    payload = struct.unpack_from("<Q", raw, 4)[0]
    return " hints: %s extensions: %s " % (_hex(payload & 0xFF), _hex(payload >> 32 & 3))


def _pwre(raw):
    payload = struct.unpack_from("<Q", raw, 4)[0]
    return " hw: %u cstate: %u sub-cstate: %u " % (payload >> 7 & 1, payload >> 12 & 0xF,
                                                  payload >> 8 & 0xF)


def _exstop(raw):
    return " IP: %u " % (struct.unpack_from("<I", raw)[0] & 1)


def _pwrx(raw):
    payload = struct.unpack_from("<Q", raw, 4)[0]
    return " deepest cstate: %u last cstate: %u wake reason: %s " % (
        payload & 0xF, payload >> 4 & 0xF, _hex(payload >> 8 & 0xF))


def _cbr(raw):
    flags, freq = struct.unpack_from("<II", raw)
    cbr, max_nonturbo = flags & 0xFF, flags >> 16 & 0xFF
    text = " cbr: %2u freq: %4u MHz " % (cbr, (freq + 500) // 1000 & 0xFFFFFFFF)
    if max_nonturbo:
        text += "(%3u%%) " % ((5 + (1000 * cbr) // max_nonturbo) // 10)
    return text


def _psb(raw):
    return " psb offs: %s" % _hex(struct.unpack_from("<Q", raw, 4)[0])


_CFE = {1: "INTR", 2: "IRET", 3: "SMI", 4: "RSM", 5: "SIPI", 6: "INIT", 7: "VMENTRY",
        8: "VMEXIT", 9: "VMEXIT_INTR", 10: "SHUTDOWN"}
_EVD = {0: "PFA", 1: "VMXQ", 2: "VMXR"}


def _evt(raw):
    cfe = struct.unpack_from("<I", raw)[0]
    kind, ip, vector, count = cfe & 0x1F, cfe >> 7 & 1, cfe >> 8 & 0xFF, cfe >> 16
    name = _CFE.get(kind)
    text = " cfe: %s IP: %d vector: %u" % (name if name else str(kind), ip, vector)
    for i in range(count):
        # perf reads the count's entries whatever the payload holds: past it, zeros here
        entry = raw[4 + 16 * i:20 + 16 * i].ljust(16, b"\0")
        et, payload = entry[0] & 0x3F, struct.unpack_from("<Q", entry, 8)[0]
        name = _EVD.get(et)
        text += " %s: %s" % (name if name else "EVD_%u" % et, _hex(payload))
    return text


def _iflag_chg(raw):
    flags = struct.unpack_from("<I", raw)[0]
    iflag = flags & 1
    return " IFLAG: %d->%d %s branch" % (1 - iflag, iflag, "via" if flags & 2 else "non")


# config -> (payload size perf requires, printer)
_KINDS = {0: (12, _ptwrite), 1: (12, _mwait), 2: (12, _pwre), 3: (4, _exstop),
          4: (12, _pwrx), 5: (12, _cbr), 6: (12, _psb), 7: (4, _evt), 8: (12, _iflag_chg)}


def synth_text(ev, s):
    """perf_sample__fprintf_synth for a sample of a synthesized event."""
    kind = _KINDS.get(ev.attr.config)
    if kind is None:
        return ""
    size, printer = kind
    raw = bytes(s.buf[s.raw_off:s.raw_off + s.raw_size]) if s.raw_size else b""
    if len(raw) < size:
        return ""
    return _padded(printer(raw))
