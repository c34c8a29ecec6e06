"""The words perf 6.1's Python scripts printed for some tracepoint fields: the irq flags
of every record (Core.trace_flag_str), softirq vector names (`__print_symbolic` of
irq:softirq_*) and kmalloc's gfp flags (`__print_flags` of kmem:kmalloc).

perf 6.1 fed Core.py's tables from each event's print format at its first record; the
`perf` module does not expose print formats, so the tables are written out here as the
formats of Linux 6.18 (the kernel of the test recordings) define them.
"""

# Core.trace_flag_str's table, in its order (bits it does not name are dropped)
IRQ_FLAGS = ((0x01, "IRQS_OFF"), (0x02, "IRQS_NOSUPPORT"), (0x04, "NEED_RESCHED"),
             (0x08, "HARDIRQ"), (0x10, "SOFTIRQ"))

# irq:softirq_entry/exit/raise: __print_symbolic(REC->vec, ...)
SOFTIRQ_NAMES = {0: "HI", 1: "TIMER", 2: "NET_TX", 3: "NET_RX", 4: "BLOCK", 5: "IRQ_POLL",
                 6: "TASKLET", 7: "SCHED", 8: "HRTIMER", 9: "RCU"}
NET_RX_SOFTIRQ = 3

# kmem:kmalloc: __print_flags(REC->gfp_flags, "|", ...) by value, where two names share a
# value the later one of the format (perf's table kept the last definition)
GFP_FLAGS = {
    0x1: "__GFP_DMA", 0x2: "__GFP_HIGHMEM", 0x4: "__GFP_DMA32", 0x8: "__GFP_MOVABLE",
    0x10: "__GFP_RECLAIMABLE", 0x20: "__GFP_HIGH", 0x40: "__GFP_IO", 0x80: "__GFP_FS",
    0x100: "__GFP_ZERO", 0x400: "__GFP_DIRECT_RECLAIM", 0x800: "__GFP_KSWAPD_RECLAIM",
    0x1000: "__GFP_WRITE", 0x2000: "__GFP_NOWARN", 0x4000: "__GFP_RETRY_MAYFAIL",
    0x8000: "__GFP_NOFAIL", 0x10000: "__GFP_NORETRY", 0x20000: "__GFP_MEMALLOC",
    0x40000: "__GFP_COMP", 0x80000: "__GFP_NOMEMALLOC", 0x100000: "__GFP_HARDWALL",
    0x200000: "__GFP_THISNODE", 0x400000: "__GFP_ACCOUNT", 0x800000: "__GFP_ZEROTAGS",
    0x1000000: "__GFP_NO_OBJ_EXT",
    0x820: "GFP_ATOMIC", 0xc00: "__GFP_RECLAIM", 0xc40: "GFP_NOFS", 0xcc0: "GFP_KERNEL",
    0x2800: "GFP_NOWAIT", 0x100cc0: "GFP_USER", 0x100cc2: "GFP_HIGHUSER",
    0x100cca: "GFP_HIGHUSER_MOVABLE", 0x1c20ca: "GFP_TRANSHUGE_LIGHT",
    0x1c24ca: "GFP_TRANSHUGE", 0x400cc0: "GFP_KERNEL_ACCOUNT",
}
GFP_DELIM = "|"
# what perf printed for gfp_flags 0: its table's entry 0 is overwritten by every literal
# of the print arguments met while gfp_flags is the current field, the last being "false"
GFP_ZERO_TEXT = "false"


def trace_flag_str(value):
    """The irq flags of a record's common_flags, as Core.trace_flag_str."""
    if not value:
        return "NONE"
    names = []
    for bit, name in IRQ_FLAGS:
        if value & bit == bit:
            names.append(name)
            value &= ~bit
    return " | ".join(names)


def softirq_name(vec):
    """The softirq vector's name; "" for a number the format does not name."""
    return SOFTIRQ_NAMES.get(vec, "")


def gfp_flag_str(value):
    """kmalloc's gfp flags as Core.flag_str printed them: the named values contained in
    `value`, smallest first, each clearing its bits (so composite names rarely show),
    joined by " | "; bits without a name are dropped."""
    if not value:
        return GFP_ZERO_TEXT
    names = []
    for bit in sorted(GFP_FLAGS):
        if value & bit == bit:
            names.append(GFP_FLAGS[bit])
            value &= ~bit
    return (" %s " % GFP_DELIM).join(names)
