#!/bin/sh
# Make this directory's --call-graph dwarf recordings with the real perf (run as root).
#
#   sh record.sh            then: python3 mkrefs.py   (and commit both)
#
# The two test programs are built from src/ and run from /tmp/perfscript-dwarf, the path the
# recordings name (the tests copy the committed binaries there); the third workload is the
# system's python3.  Only user-space samples (cpu-clock:u), so no kernel symbols are needed.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC
mkdir -p /tmp/perfscript-dwarf
cd /tmp/perfscript-dwarf
gcc -O2 -o prog "$HERE/src/prog.c"                 # no frame pointers (gcc's default)
gcc -O2 -pthread -o mt "$HERE/src/mt.c"
# recursion, qsort -> callback, PLT calls, SIGPROF handler frames; 4 KB stack copies, so
# frames above sort_round's 12 KB of locals are past the copy (perf: 0xffffffffffffffff)
perf record -q -e cpu-clock:u -F 2000 --call-graph dwarf,4096 -o prog.data ./prog 30
# threads (clone3/start_thread) and main, malloc/snprintf; 2 KB stack copies
perf record -q -e cpu-clock:u -F 1000 --call-graph dwarf,2048 -o mt.data ./mt
# the largest stack copy perf takes (65528 bytes), two samples of python3
perf record -q -e cpu-clock:u -c 250000000 --call-graph dwarf,65528 -o py.data \
    /usr/bin/python3 -c "import json; sum(len(json.dumps(list(range(i%50)))) for i in range(200000))"
# CFI only in .debug_frame (gcc -g without unwind tables): a PIE, where perf's libunwind
# finds the FDEs, and a non-PIE executable, where its load offset misses them and it falls
# back to frame-pointer guesses
gcc -O2 -g -fno-asynchronous-unwind-tables -fno-unwind-tables -o dbgf "$HERE/src/prog.c"
gcc -O2 -g -fno-asynchronous-unwind-tables -fno-unwind-tables -no-pie -o dbgfx "$HERE/src/prog.c"
perf record -q -e cpu-clock:u -F 1000 --call-graph dwarf,2048 -o dbgf.data ./dbgf 30
perf record -q -e cpu-clock:u -F 1000 --call-graph dwarf,2048 -o dbgfx.data ./dbgfx 30
cp prog mt dbgf dbgfx prog.data mt.data py.data dbgf.data dbgfx.data "$HERE/"
