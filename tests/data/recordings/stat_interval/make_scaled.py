"""Write <name>_scaled.data from <name>.data for the recordings given: this machine's
software counters always run while enabled, so some STAT records' run (and val) are
changed to make perf scale them: run = 2/3 of it (+7), run = 0, val * 3 + 1 with run
12345 short.

    python3 make_scaled.py system per_cpu      (from this directory)
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", ".."))
from fuzz.model import PerfData  # noqa: E402

RECORD_STAT = 76


def scaled(data):
    pd = PerfData.parse(data)
    k = 0
    for r in pd.records:
        if r.type != RECORD_STAT:
            continue
        ident, cpu, thread, val, ena, run = struct.unpack_from("<QIIQQQ", r.body)
        if k % 3 == 1:
            run = run * 2 // 3 + 7
        elif k % 7 == 2:
            run = 0
        elif k % 5 == 3:
            val, run = val * 3 + 1, max(run - 12345, 0)
        r.body = struct.pack("<QIIQQQ", ident, cpu, thread, val, ena, run) + r.body[40:]
        k += 1
    return pd.to_bytes()


if __name__ == "__main__":
    for name in sys.argv[1:]:
        with open(os.path.join(HERE, name + ".data"), "rb") as f:
            data = f.read()
        with open(os.path.join(HERE, name + "_scaled.data"), "wb") as f:
            f.write(scaled(data))
