"""PERF_RECORD_SAMPLE bodies and sample_id trailers, parsed by layouts compiled per attr.

A layout is worked out once per (sample_type, read_format, register masks, branch flags);
parsing a record is then one struct call for the fixed leading fields plus a few steps for
the variable-length ones.
"""

import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C

U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1


class Sample:
    """The fields of one sample; absent ones read as perf's defaults (class attributes),
    so parsing sets only what the record holds."""

    id = U64_MAX
    ip = 0
    pid = tid = U32_MAX
    time = U64_MAX
    addr = 0
    stream_id = U64_MAX
    cpu = U32_MAX
    period = None
    read = None
    time_enabled = time_running = None
    callchain = None
    raw_off = 0
    raw_size = 0
    buf = None
    branch_hw_idx = None
    branch_stack = None
    user_regs_abi = 0
    user_regs = None
    user_stack = None           # (buffer, offset, size) of the stack copy perf uses
    unwound = None              # the session's chain with unwound user frames, once asked
    weight = 0
    ins_lat = 0
    data_src = None
    transaction = 0
    intr_regs_abi = 0
    intr_regs = None
    phys_addr = 0
    cgroup = 0
    data_page_size = 0
    code_page_size = 0
    aux = None
    misc = 0
    offset = 0

    @property
    def raw(self):
        """The PERF_SAMPLE_RAW payload as bytes (b'' when the sample has none)."""
        if self.buf is None:
            return b""
        return bytes(self.buf[self.raw_off:self.raw_off + self.raw_size])


# leading fixed-size fields, in record order: (bit, struct codes, attribute names)
_FIXED = (
    (C.SAMPLE_IDENTIFIER, "Q", ("id",)),
    (C.SAMPLE_IP, "Q", ("ip",)),
    (C.SAMPLE_TID, "II", ("pid", "tid")),
    (C.SAMPLE_TIME, "Q", ("time",)),
    (C.SAMPLE_ADDR, "Q", ("addr",)),
    (C.SAMPLE_ID, "Q", ("id",)),
    (C.SAMPLE_STREAM_ID, "Q", ("stream_id",)),
    (C.SAMPLE_CPU, "II", ("cpu", "_cpu_res")),
    (C.SAMPLE_PERIOD, "Q", ("period",)),
)

# u64 fields that follow the variable part, in record order
_TAIL_U64 = (
    (C.SAMPLE_DATA_SRC, "data_src"),
    (C.SAMPLE_TRANSACTION, "transaction"),
)
_TAIL2_U64 = (
    (C.SAMPLE_PHYS_ADDR, "phys_addr"),
    (C.SAMPLE_CGROUP, "cgroup"),
    (C.SAMPLE_DATA_PAGE_SIZE, "data_page_size"),
    (C.SAMPLE_CODE_PAGE_SIZE, "code_page_size"),
)


class SampleLayout:
    """How to parse the samples (and sample_id trailers) of attrs sharing these bits."""

    def __init__(self, attr, endian="<"):
        self.endian = e = endian
        self.sample_type = st = attr.sample_type
        self.read_format = attr.read_format
        self.regs_user_count = bin(attr.sample_regs_user).count("1")
        self.regs_intr_count = bin(attr.sample_regs_intr).count("1")
        self.branch_hw_index = bool(attr.branch_sample_type & C.BRANCH_HW_INDEX)
        self.branch_counters = bool(attr.branch_sample_type & C.BRANCH_COUNTERS)
        codes, names = "", []
        for bit, code, fields in _FIXED:
            if st & bit:
                codes += code
                names.extend(fields)
        self.fixed = struct.Struct(e + codes)
        self.fixed_names = tuple(names)
        self.u64 = struct.Struct(e + "Q")
        self.u32 = struct.Struct(e + "I")
        self.variable = bool(st & ~(C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID
                                    | C.SAMPLE_TIME | C.SAMPLE_ADDR | C.SAMPLE_ID
                                    | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD))
        # sample_id trailer of non-sample records
        tcodes, tnames = "", []
        if attr.sample_id_all:
            for bit, code, fields in ((C.SAMPLE_TID, "II", ("pid", "tid")),
                                      (C.SAMPLE_TIME, "Q", ("time",)),
                                      (C.SAMPLE_ID, "Q", ("id",)),
                                      (C.SAMPLE_STREAM_ID, "Q", ("stream_id",)),
                                      (C.SAMPLE_CPU, "II", ("cpu", "_cpu_res")),
                                      (C.SAMPLE_IDENTIFIER, "Q", ("id",))):
                if st & bit:
                    tcodes += code
                    tnames.extend(fields)
        self.trailer = struct.Struct(e + tcodes)
        self.trailer_names = tuple(tnames)
        self.trailer_size = self.trailer.size
        self.time_index = names.index("time") if "time" in names else None
        self.trailer_time_index = tnames.index("time") if "time" in tnames else None
        self._chain_unpack = {}     # callchain length -> its unpacker
        self._set_fixed = self._fixed_setter()
        self._steps = self._variable_steps()
        # one step is called as it is; more run in turn
        self._parse_variable = self._steps[0] if len(self._steps) == 1 else self._run_steps

    def word_slots(self):
        """For reading fixed sample fields as columns of a u64 view: each field's word
        index after the header, and which half (0 first, 1 second) for u32 pairs."""
        slots = {}
        names = self.fixed_names
        word = 0
        i = 0
        while i < len(names):
            name = names[i]
            if name in ("pid", "cpu"):
                slots[name] = (word, 0)
                slots[names[i + 1]] = (word, 1)
                i += 2
            else:
                slots[name] = (word, None)
                i += 1
            word += 1
        return slots

    # -------------------------------------------------------------- samples

    def parse(self, buf, off, size, misc, name=None, where=None):
        """Parse the sample record at buf[off:off+size]."""
        s = Sample()
        s.misc = misc
        s.offset = where if where is not None else off
        end = off + size
        pos = off + 8
        if pos + self.fixed.size > end:
            raise PerfDataError("sample record too short for its sample_type", name, s.offset)
        self._set_fixed(s, buf, pos)
        if self.variable:
            try:
                self._parse_variable(s, buf, pos + self.fixed.size, end)
            except struct.error:
                raise PerfDataError("sample record truncated inside its variable part",
                                    name, s.offset) from None
        return s

    def _fixed_setter(self):
        """set(sample, buffer, position): the fixed fields onto the sample, as one
        unpacking assignment compiled for these names (several times faster than
        updating the sample's dict from a zip, and this runs for every sample)."""
        if not self.fixed_names:
            return lambda s, buf, pos: None
        targets = ", ".join("s." + name for name in self.fixed_names)
        scope = {"unpack": self.fixed.unpack_from}
        exec("def set_fixed(s, buf, pos):\n    %s, = unpack(buf, pos)\n" % targets, scope)
        return scope["set_fixed"]

    def _variable_steps(self):
        """The readers of the variable part this layout has, in record order: each takes
        (sample, buffer, position, end) and returns the position after its field; a
        field running past the end raises struct.error."""
        st = self.sample_type
        steps = []
        if st & C.SAMPLE_READ:
            steps.append(self._parse_read)
        if st & C.SAMPLE_CALLCHAIN:
            steps.append(self._callchain)
        if st & C.SAMPLE_RAW:
            steps.append(self._raw)
        if st & C.SAMPLE_BRANCH_STACK:
            steps.append(self._branch_stack)
        if st & C.SAMPLE_REGS_USER:
            steps.append(self._user_regs)
        if st & C.SAMPLE_STACK_USER:
            steps.append(self._user_stack)
        if st & (C.SAMPLE_WEIGHT | C.SAMPLE_WEIGHT_STRUCT):
            steps.append(self._weight)
        for bit, fname in _TAIL_U64:
            if st & bit:
                steps.append(self._u64_field(fname))
        if st & C.SAMPLE_REGS_INTR:
            steps.append(self._intr_regs)
        for bit, fname in _TAIL2_U64:
            if st & bit:
                steps.append(self._u64_field(fname))
        if st & C.SAMPLE_AUX:
            steps.append(self._aux)
        return steps

    def _run_steps(self, s, buf, pos, end):
        for step in self._steps:
            pos = step(s, buf, pos, end)
        return pos

    def _u64(self, buf, pos, end):
        if pos + 8 > end:
            raise struct.error("short")
        return self.u64.unpack_from(buf, pos)[0]

    def _u64_field(self, fname):
        def step(s, buf, pos, end):
            setattr(s, fname, self._u64(buf, pos, end))
            return pos + 8
        return step

    def _callchain(self, s, buf, pos, end):
        if pos + 8 > end:
            raise struct.error("short")
        nr = self.u64.unpack_from(buf, pos)[0]
        pos += 8
        if nr > (end - pos) // 8:
            raise struct.error("callchain")
        unpack = self._chain_unpack.get(nr)
        if unpack is None:
            unpack = struct.Struct("%s%dQ" % (self.endian, nr)).unpack_from
            if nr < 1024:
                self._chain_unpack[nr] = unpack
        s.callchain = unpack(buf, pos)
        return pos + 8 * nr

    def _raw(self, s, buf, pos, end):
        if pos + 4 > end:
            raise struct.error("short")
        rsize = self.u32.unpack_from(buf, pos)[0]
        pos += 4
        if rsize > end - pos:
            raise struct.error("raw")
        s.buf = buf
        s.raw_off = pos
        s.raw_size = rsize
        return pos + rsize

    def _branch_stack(self, s, buf, pos, end):
        nr = self._u64(buf, pos, end)
        pos += 8
        if self.branch_hw_index:
            s.branch_hw_idx = self._u64(buf, pos, end)
            pos += 8
        if nr > (end - pos) // 24:
            raise struct.error("branch")
        flat = struct.unpack_from("%s%dQ" % (self.endian, 3 * nr), buf, pos)
        s.branch_stack = [flat[i:i + 3] for i in range(0, 3 * nr, 3)]
        pos += 24 * nr
        if self.branch_counters:
            pos += 8 * nr
        return pos

    def _user_regs(self, s, buf, pos, end):
        s.user_regs_abi, s.user_regs, pos = self._regs(buf, pos, end, self.regs_user_count)
        return pos

    def _intr_regs(self, s, buf, pos, end):
        s.intr_regs_abi, s.intr_regs, pos = self._regs(buf, pos, end, self.regs_intr_count)
        return pos

    def _user_stack(self, s, buf, pos, end):
        ssize = self._u64(buf, pos, end)
        pos += 8
        if ssize:
            if ssize > end - pos:
                raise struct.error("stack")
            data = pos
            pos += ssize
            dyn = self._u64(buf, pos, end)
            pos += 8
            if dyn > ssize:
                raise struct.error("stack")     # perf: "user stack dump failure"
            s.user_stack = (buf, data, dyn)
        return pos

    def _weight(self, s, buf, pos, end):
        w = self._u64(buf, pos, end)
        if self.sample_type & C.SAMPLE_WEIGHT_STRUCT:
            s.weight = w & 0xFFFFFFFF
            s.ins_lat = (w >> 32) & 0xFFFF
        else:
            s.weight = w
        return pos + 8

    def _aux(self, s, buf, pos, end):
        asize = self._u64(buf, pos, end)
        pos += 8
        if asize > end - pos:
            raise struct.error("aux")
        s.aux = (pos, asize)
        return pos + asize

    def _regs(self, buf, pos, end, count):
        """A register dump: (abi, values or None, position after it)."""
        if pos + 8 > end:
            raise struct.error("regs")
        abi = self.u64.unpack_from(buf, pos)[0]
        pos += 8
        if not abi:
            return abi, None, pos
        if pos + 8 * count > end:
            raise struct.error("regs")
        return abi, struct.unpack_from("%s%dQ" % (self.endian, count), buf, pos), pos + 8 * count

    def _parse_read(self, s, buf, pos, end):
        """read_format values as perf hands them to scripts: [(id, value, lost)]."""
        rf = self.read_format
        e = self.endian
        if rf & C.FORMAT_GROUP:
            n_head = 1 + bool(rf & C.FORMAT_TOTAL_TIME_ENABLED) + bool(rf & C.FORMAT_TOTAL_TIME_RUNNING)
            if pos + 8 * n_head > end:
                raise struct.error("read")
            head = struct.unpack_from("%s%dQ" % (e, n_head), buf, pos)
            pos += 8 * n_head
            nr = head[0]
            i = 1
            if rf & C.FORMAT_TOTAL_TIME_ENABLED:
                s.time_enabled = head[i]
                i += 1
            if rf & C.FORMAT_TOTAL_TIME_RUNNING:
                s.time_running = head[i]
            per = 1 + bool(rf & C.FORMAT_ID) + bool(rf & C.FORMAT_LOST)
            if nr > (end - pos) // (8 * per):
                raise struct.error("read")
            flat = struct.unpack_from("%s%dQ" % (e, nr * per), buf, pos)
            pos += 8 * nr * per
            values = []
            for k in range(0, nr * per, per):
                value = flat[k]
                j = k + 1
                vid = 0
                lost = None
                if rf & C.FORMAT_ID:
                    vid = flat[j]
                    j += 1
                if rf & C.FORMAT_LOST:
                    lost = flat[j]
                values.append((vid, value, lost))
            s.read = values
            return pos
        n = 1 + sum(bool(rf & b) for b in (C.FORMAT_TOTAL_TIME_ENABLED,
                                           C.FORMAT_TOTAL_TIME_RUNNING, C.FORMAT_ID,
                                           C.FORMAT_LOST))
        if pos + 8 * n > end:
            raise struct.error("read")
        vals = struct.unpack_from("%s%dQ" % (e, n), buf, pos)
        pos += 8 * n
        value, i = vals[0], 1
        vid, lost = 0, None
        if rf & C.FORMAT_TOTAL_TIME_ENABLED:
            s.time_enabled = vals[i]
            i += 1
        if rf & C.FORMAT_TOTAL_TIME_RUNNING:
            s.time_running = vals[i]
            i += 1
        if rf & C.FORMAT_ID:
            vid = vals[i]
            i += 1
        if rf & C.FORMAT_LOST:
            lost = vals[i]
        s.read = [(vid, value, lost)]
        return pos

    # -------------------------------------------------------------- trailers

    def parse_trailer(self, buf, off, size, s):
        """Fill `s` (a Sample) from the sample_id trailer of a non-sample record."""
        n = self.trailer_size
        if not n or size - 8 < n:
            return s
        s.__dict__.update(zip(self.trailer_names, self.trailer.unpack_from(buf, off + size - n)))
        return s

    def trailer_time(self, buf, off, size):
        """Just the timestamp of a non-sample record, for ordering (None if it has none)."""
        i = self.trailer_time_index
        if i is None or size - 8 < self.trailer_size:
            return None
        return self.trailer.unpack_from(buf, off + size - self.trailer_size)[i]

    def sample_time(self, buf, off):
        i = self.time_index
        if i is None:
            return None
        return self.fixed.unpack_from(buf, off + 8)[i]


def id_position(attr):
    """Where a sample's id sits: ('sample', byte offset after the header) or None."""
    st = attr.sample_type
    if st & C.SAMPLE_IDENTIFIER:
        return 0
    if st & C.SAMPLE_ID:
        n = sum(bool(st & b) for b in (C.SAMPLE_IP, C.SAMPLE_TID, C.SAMPLE_TIME, C.SAMPLE_ADDR))
        return 8 * n
    return None


def trailer_id_slot(sample_type):
    """Where a sample_id trailer of this sample type holds the id, in words from the end
    (perf's is_pos), or None when the type carries no id."""
    if sample_type & C.SAMPLE_IDENTIFIER:
        return 1
    if sample_type & C.SAMPLE_ID:
        return 1 + bool(sample_type & C.SAMPLE_CPU) + bool(sample_type & C.SAMPLE_STREAM_ID)
    return None


def trailer_id_position(attr):
    """Bytes from the end of a non-sample record to its id, or None."""
    slot = trailer_id_slot(attr.sample_type) if attr.sample_id_all else None
    return 8 * slot if slot else None
