"""What perf 6.1 makes of a `perf stat record` counter's values at each STAT_ROUND
(perf_stat_process_counter), before perf script prints them or hands them to stat__*:

* aggregated per socket, die, core, node, thread or not at all: each cpu/thread value
  becomes its growth since the last round (perf keeps the raw values as the base, and the
  growth in place of the value), then is scaled for multiplexing;
* aggregated globally: the values stay as recorded; their sum, made a growth since the
  last round and scaled, is what scripts get (cpu and thread -1).

Scaling (perf_counts_values__scale): a value that never ran is 0, one that ran part of
the time it was enabled is val * ena / run, cut to an integer (0 when that is past 2**64, as
the x86-64 conversion makes it).
"""

U64 = (1 << 64) - 1
AGGR_GLOBAL = 1
# NONE, SOCKET, DIE, CORE, THREAD, NODE: the modes whose values become growths
GROWTH_MODES = frozenset((0, 2, 3, 4, 5, 7))


def scale_in_place(values, scale):
    """perf_counts_values__scale on [val, ena, run]."""
    if not scale:
        return
    val, ena, run = values
    if run == 0:
        values[0] = 0
    elif run < ena:
        scaled = float(val) * float(ena) / float(run)
        # x86-64's double to u64 conversion gives 0 past the range
        values[0] = int(scaled) if scaled < 2.0 ** 64 else 0


def _grow(values, base):
    """evsel__compute_deltas: `values` becomes its growth over `base`."""
    for i in range(3):
        values[i] = (values[i] - base[i]) & U64


def process_counter(counts, bases, keys, aggr_mode, scale):
    """One counter at one round: `counts` maps each key of `keys` ((cpu, thread index)) to
    its [val, ena, run], changed in place as perf changes them; `bases` keeps the raw
    values of the last round. Returns the global aggregate [val, ena, run]."""
    aggr = [0, 0, 0]
    for key in keys:
        values = counts.get(key)
        if values is None:
            values = counts[key] = [0, 0, 0]
        if aggr_mode in GROWTH_MODES:
            base = bases.get(key, (0, 0, 0))
            bases[key] = tuple(values)
            _grow(values, base)
            scale_in_place(values, scale)
        elif aggr_mode == AGGR_GLOBAL:
            for i in range(3):
                aggr[i] = (aggr[i] + values[i]) & U64
    if aggr_mode == AGGR_GLOBAL:
        base = bases.get(None, (0, 0, 0))
        bases[None] = tuple(aggr)
        _grow(aggr, base)
        scale_in_place(aggr, scale)
    return aggr
