"""Text of the kernel's special %p conversions and of bitmasks, as perf 6.1's
libtraceevent writes them (all bytes in, bytes out).

- MAC (%pM colons, %pm none, %pMF dashes, R reversed), IPv4 (%pI4 / %pi4
  zero-padded, h/l/n/b byte order), IPv6 (%pI6 colons, %pi6 none, %pI6c
  compressed the kernel's way, v4-mapped and ISATAP tails as dotted quads),
  sockaddr (%pIS[p][c]), UUID (%pU[bBlL]), raw buffers (%ph[CDN]);
- bitmasks (__get_bitmask): hex bytes most significant first, a comma every
  32 bits, the way the kernel prints cpumasks.
"""

_AF_INET = 2
_AF_INET6 = 10


def mac(buf, sep=b":", reverse=False):
    """Six bytes as two-digit hex joined by sep."""
    data = bytes(buf[:6])
    if reverse:
        data = data[::-1]
    return sep.join(b"%.2x" % b for b in data)


def ipv4(buf, zero_pad=False, reverse=False):
    """Four bytes as a dotted quad (%pi4 pads each part to three digits)."""
    data = bytes(buf[:4])
    if reverse:
        data = data[::-1]
    fmt = b"%03d" if zero_pad else b"%d"
    return b".".join(fmt % b for b in data)


def ipv6_full(buf, colons=True):
    """Sixteen bytes as eight 4-digit groups (%pI6) or 32 digits (%pi6)."""
    data = bytes(buf[:16])
    groups = [b"%02x%02x" % (data[j], data[j + 1]) for j in range(0, 16, 2)]
    return (b":" if colons else b"").join(groups)


def ipv6_compressed(buf):
    """%pI6c: longest run (of 2+) of zero groups as '::', groups without
    leading zeros, v4-mapped and ISATAP addresses end in a dotted quad."""
    data = bytes(buf[:16])
    words = [(data[j] << 8) | data[j + 1] for j in range(0, 16, 2)]
    v4mapped = words[0] == words[1] == words[2] == words[3] == words[4] == 0 \
        and words[5] == 0xFFFF
    isatap = (words[4] | 0x0200) == 0x0200 and words[5] == 0x5EFE
    use_v4 = v4mapped or isatap
    count = 6 if use_v4 else 8
    longest, colonpos = 1, -1
    for i in range(count):
        run = 0
        for j in range(i, count):
            if words[j]:
                break
            run += 1
        if run > longest:
            longest, colonpos = run, i
    out = []
    needcolon = False
    i = 0
    while i < count:
        if i == colonpos:
            if needcolon or i == 0:
                out.append(b":")
            out.append(b":")
            needcolon = False
            i += longest
            continue
        if needcolon:
            out.append(b":")
            needcolon = False
        word = words[i]
        if word >> 8:
            out.append(b"%x%02x" % (word >> 8, word & 0xFF))
        else:
            out.append(b"%x" % (word & 0xFF))
        needcolon = True
        i += 1
    if use_v4:
        if needcolon:
            out.append(b":")
        out.append(ipv4(data[12:16]))
    return b"".join(out)


def sockaddr(buf, size, lower_i, have_p, have_c, reverse):
    """%pIS...: a struct sockaddr (family in host order) as an address with
    an optional :port ([addr]:port for IPv6); other families print nothing."""
    data = bytes(buf)
    if len(data) < 2:
        data = data + bytes(2 - len(data))
    family = data[0] | (data[1] << 8)
    if family == _AF_INET:
        if size < 16:
            return b"INVALIDIPv4"
        text = ipv4(data[4:8], zero_pad=lower_i, reverse=reverse)
        if have_p:
            text += b":%d" % ((data[2] << 8) | data[3])
        return text
    if family == _AF_INET6:
        if size < 28:
            return b"INVALIDIPv6"
        addr = data[8:24]
        text = ipv6_compressed(addr) if have_c else ipv6_full(addr, colons=not lower_i)
        if have_p:
            text = b"[" + text + b"]:%d" % ((data[2] << 8) | data[3])
        return text
    return b""


_GUID_ORDER = (3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15)


def uuid(buf, upper=False, guid=False):
    """Sixteen bytes as 8-4-4-4-12 hex (GUID byte order for l/L)."""
    data = bytes(buf[:16])
    fmt = b"%02X" if upper else b"%02x"
    order = _GUID_ORDER if guid else range(16)
    out = []
    for pos, index in enumerate(order):
        out.append(fmt % data[index])
        if pos in (3, 5, 7, 9):
            out.append(b"-")
    return b"".join(out)


def raw_buffer(buf, count, sep=b" "):
    """%*ph: the first count bytes as two-digit hex joined by sep."""
    return sep.join(b"%02x" % b for b in bytes(buf[:count]))


def bitmask(buf, big_endian=False):
    """__get_bitmask(): bytes as hex, most significant first, with a comma
    before every further 4 bytes (the kernel's %*pb of a long array)."""
    data = bytes(buf)
    if not data:
        return b""
    ordered = data if big_endian else data[::-1]
    parts = []
    head = len(ordered) % 4 or 4
    parts.append(ordered[:head].hex().encode())
    for start in range(head, len(ordered), 4):
        parts.append(ordered[start:start + 4].hex().encode())
    return b",".join(parts)
