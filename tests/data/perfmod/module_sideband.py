"""Context switches and stat counts from the perf module's callbacks, printed as
legacy_sideband.py prints them from perf 6.1's legacy API."""
import argparse, perf
ap = argparse.ArgumentParser(); ap.add_argument("-i"); a = ap.parse_args()
def sw(ev):
    np_pid = -1 if ev.next_prev_pid is None else ev.next_prev_pid
    np_tid = -1 if ev.next_prev_tid is None else ev.next_prev_tid
    print("switch", ev.sample_time, ev.sample_cpu, ev.sample_pid, ev.sample_tid, np_pid, np_tid, 1 if ev.misc & perf.RECORD_MISC_SWITCH_OUT else 0)
def st(ev, name):
    if name is None:
        print("round", ev.time)
    else:
        print("stat", name.replace("-", "_"), ev.cpu, ev.thread, ev.val, ev.ena, ev.run)
perf.session(perf.data(a.i), stat=st, context_switch=sw).process_events()
