"""Make the expected outputs of test_perfmod_attrs.py: perf 6.1 itself runs
legacy_attrs.py (the legacy API's values of every sample) on each recording, with the
kernel symbols given by --kallsyms; the outputs are stored xz-compressed here.

    python3 tests/data/perfmod_attrs/mkrefs.py [/path/to/shared]

The recordings are tests/data/recordings/*.data (kallsyms: the stored subset there) and
the shared corpus' cases (kallsyms: the corpus' env/kallsyms-*.xz), when present.
"""
import glob
import lzma
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDINGS = os.path.join(HERE, "..", "recordings")
OURS = ("sched", "syscalls", "callchain", "zstd", "pipe")
CORPUS_CASES = ("mixed_tp_sw", "group_read_regs", "task_clock_switch", "block_writeback",
                "kmem_gfp", "net_dropmonitor", "netdev_times", "softirq_timer_check",
                "futex_openat", "compressed_export", "cpu_clock_callchain", "pipe_mode",
                "sched_messaging", "raw_syscalls", "syscall_counts")


def unpacked_kallsyms(xz_path, out):
    with lzma.open(xz_path) as f, open(out, "wb") as g:
        g.write(f.read())
    return out


def legacy(data, kallsyms, out):
    got = subprocess.run(["perf", "script", "--kallsyms", kallsyms, "-i", data, "-s",
                          os.path.join(HERE, "legacy_attrs.py")],
                         capture_output=True, check=True)
    with lzma.open(out, "wb") as f:
        f.write(got.stdout)


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared")
    ks = unpacked_kallsyms(glob.glob(os.path.join(RECORDINGS, "kallsyms-*.xz"))[0],
                           "/tmp/perfmod_attrs_kallsyms")
    for name in OURS:
        legacy(os.path.join(RECORDINGS, name + ".data"), ks,
               os.path.join(HERE, name + ".legacy.txt.xz"))
    env = glob.glob(os.path.join(shared, "corpus/env/kallsyms-*.xz"))
    if env:
        ks = unpacked_kallsyms(env[0], "/tmp/perfmod_attrs_corpus_kallsyms")
        for case in CORPUS_CASES:
            legacy(os.path.join(shared, "corpus/cases", case, "perf.data"), ks,
                   os.path.join(HERE, "corpus-%s.legacy.txt.xz" % case))


if __name__ == "__main__":
    main()
