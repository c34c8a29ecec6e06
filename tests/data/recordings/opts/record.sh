#!/bin/sh
# Make the recordings of this directory with the real perf (run as root, on one boot: the
# kernel symbols mkrefs_opts.py stores come from this boot's /proc/kallsyms).
#
#   sh record.sh            then: python3 mkrefs_opts.py
#
# cxxprog is built at /tmp/perfscript-opts/cxxprog (the path the recordings name); a copy
# is kept under symfs/ so tests run it with --symfs symfs on any machine.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC
BIN=/tmp/perfscript-opts
mkdir -p "$BIN" symfs$BIN
g++ -O1 -fno-omit-frame-pointer -fno-inline-functions -o $BIN/cxxprog cxxprog.cc
cp $BIN/cxxprog symfs$BIN/cxxprog

# (a) C++ samples with frame-pointer callchains: mangled names (namespace, template,
#     operator) for --demangle/--no-demangle, -S, --dsos, -k, --show-kernel-path, -D
perf record -e cpu-clock -c 200000 -g -o cxx.data -- $BIN/cxxprog

# (b) the same without the build-id table: perf takes a vmlinux whatever its build id
perf record --no-buildid -e cpu-clock -c 200000 -g -o nobid.data -- $BIN/cxxprog

# (c) side-band records: NAMESPACES (--namespaces, forks and an unshare), CGROUP
#     (--all-cgroups, a cgroup made and removed), KSYMBOL + BPF_EVENT (a BPF program
#     loaded and freed by load_bpf.py)
perf record --namespaces --all-cgroups -e cpu-clock -c 500000 -o sideband.data -- \
    sh -c 'unshare -u true; mkdir /sys/fs/cgroup/unified/pstest && rmdir /sys/fs/cgroup/unified/pstest; /usr/bin/python3 load_bpf.py'

# (d) TEXT_POKE cannot be recorded here (perf asks for it only with Intel PT): poke.data
#     is written by tests/synthetic.py (python3 make_poke.py)
python3 make_poke.py poke.data
