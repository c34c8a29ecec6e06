#!/usr/bin/env python3
"""netdev-times: the path of network packets through the kernel and the time spent
in each step: transmit (queued, handed to the device, freed) and receive (hard irq,
NET_RX softirq, napi poll, netif_receive_skb, copied to a task).

A standalone counterpart of perf 6.1's scripts/python/netdev-times.py, written for
the `perf` module: same arguments and the same report.

    perfscript netdev-times.py -i perf.data [tx] [rx] [dev=NAME] [debug]

    tx, rx      show only the transmit or the receive chart (default both)
    dev=NAME    only packets of devices whose name contains NAME
    debug       also show how many packets stayed in the tracking buffers

Record with (system wide, during network traffic):
    perf record -a -e net:net_dev_xmit -e net:net_dev_queue -e net:netif_receive_skb \\
        -e net:netif_rx -e skb:consume_skb -e skb:kfree_skb \\
        -e skb:skb_copy_datagram_iovec -e napi:napi_poll -e irq:irq_handler_entry \\
        -e irq:irq_handler_exit -e irq:softirq_entry -e irq:softirq_exit \\
        -e irq:softirq_raise -- <workload>
"""

import argparse

import perf

from tracepoint_strings import NET_RX_SOFTIRQ

NSECS_PER_SEC = 1000000000
BUFFER_BUDGET = 65536       # packets kept per tracking list; older ones are dropped

PF_IRQ_ENTRY = "  irq_entry(+%.3fmsec irq=%d:%s)"
PF_SOFT_ENTRY = "  softirq_entry(+%.3fmsec)"
PF_NAPI_POLL = "  napi_poll_exit(+%.3fmsec %s)"
PF_JOINT = "         |"
PF_WJOINT = "         |            |"
PF_NET_RECV = "         |---netif_receive_skb(+%.3fmsec skb=%x len=%d)"
PF_NET_RX = "         |---netif_rx(+%.3fmsec skb=%x)"
PF_CPY_DGRAM = "         |      skb_copy_datagram_iovec(+%.3fmsec %d:%s)"


def tracepoint_name(evsel):
    """"sys:name" of an event, without modifiers: str(evsel) is "evsel(<name>)"."""
    return ":".join(str(evsel)[6:-1].split(":")[:2])


def diff_msec(src, dst):
    return (dst - src) / 1000000.0


class Irq:
    """A hard irq on a cpu, and what it raised (softirqs, netif_rx)."""

    __slots__ = ("irq", "name", "cpu", "entry_t", "events")

    def __init__(self, irq, name, cpu, entry_t):
        self.irq = irq
        self.name = name
        self.cpu = cpu
        self.entry_t = entry_t
        self.events = None      # [(time, skbaddr or None for a softirq raise)]


class NetRx:
    """A NET_RX softirq running on a cpu: its start and what it did."""

    __slots__ = ("entry_t", "events")

    def __init__(self, entry_t):
        self.entry_t = entry_t
        self.events = []        # NapiPoll and ReceivedSkb, in time order


class NapiPoll:
    __slots__ = ("dev", "time")

    def __init__(self, dev, time):
        self.dev = dev
        self.time = time


class ReceivedSkb:
    """A packet netif_receive_skb handed up, and the task that took it, if seen."""

    __slots__ = ("time", "skbaddr", "len", "pid", "comm", "taken_t")

    def __init__(self, time, skbaddr, length):
        self.time = time
        self.skbaddr = skbaddr
        self.len = length
        self.comm = None


class ReceiveHunk:
    """The irqs of a cpu and the NET_RX softirq that followed them."""

    __slots__ = ("irqs", "sirq_entry_t", "events")

    def __init__(self, irqs, sirq_entry_t, events):
        self.irqs = irqs
        self.sirq_entry_t = sirq_entry_t
        self.events = events


class SentSkb:
    """A packet on its way out: queued, handed to the device, freed."""

    __slots__ = ("dev", "skbaddr", "len", "queue_t", "xmit_t", "free_t")

    def __init__(self, dev, skbaddr, length, queue_t):
        self.dev = dev
        self.skbaddr = skbaddr
        self.len = length
        self.queue_t = queue_t


def remove_first(packets, skbaddr):
    """The first packet of `packets` at skbaddr, taken out of the list; None if none."""
    for i, p in enumerate(packets):
        if p.skbaddr == skbaddr:
            del packets[i]
            return p
    return None


class NetdevTimes:
    def __init__(self, show_tx, show_rx, dev, debug):
        self.show_tx = show_tx
        self.show_rx = show_rx
        self.dev = dev                  # None: all devices
        self.debug = debug
        self.session = None
        self.irqs = {}                  # cpu -> stack of Irq
        self.net_rx = {}                # cpu -> NetRx running there
        self.hunks = []                 # ReceiveHunk
        self.rx_skbs = []               # ReceivedSkb not taken yet, newest first
        self.tx_queued = []             # SentSkb queued, newest first
        self.tx_xmitted = []            # SentSkb handed to the device, newest first
        self.tx_freed = []              # SentSkb freed, in order
        self.rx_overflow = self.queue_overflow = self.xmit_overflow = 0
        # perf 6.1's script knew the softirq names only from the first irq:softirq_entry
        # record on: softirq raises and exits before it were not NET_RX to it
        self.softirq_names_known = False
        self.handlers = {
            "irq:softirq_entry": self.softirq_entry,
            "irq:softirq_exit": self.softirq_exit,
            "irq:softirq_raise": self.softirq_raise,
            "irq:irq_handler_entry": self.irq_handler_entry,
            "irq:irq_handler_exit": self.irq_handler_exit,
            "napi:napi_poll": self.napi_poll,
            "net:netif_receive_skb": self.netif_receive_skb,
            "net:netif_rx": self.netif_rx,
            "skb:skb_copy_datagram_iovec": self.skb_copy_datagram_iovec,
            "net:net_dev_queue": self.net_dev_queue,
            "net:net_dev_xmit": self.net_dev_xmit,
            "skb:kfree_skb": self.kfree_skb,
            "skb:consume_skb": self.consume_skb,
        }
        self.by_evsel = {}              # str(evsel) -> its handler or None

    # ------------------------------------------------------------ events

    def sample(self, sample):
        key = str(sample.evsel)
        try:
            handler = self.by_evsel[key]
        except KeyError:
            handler = self.by_evsel[key] = self.handlers.get(tracepoint_name(sample.evsel))
        if handler is not None:
            handler(sample, sample.sample_cpu, sample.sample_time)

    def is_net_rx(self, vec):
        return self.softirq_names_known and vec == NET_RX_SOFTIRQ

    def softirq_entry(self, sample, cpu, t):
        self.softirq_names_known = True
        if self.is_net_rx(sample.vec):
            self.net_rx[cpu] = NetRx(t)

    def softirq_exit(self, sample, cpu, t):
        if not self.is_net_rx(sample.vec):
            return
        irqs = self.irqs.pop(cpu, [])
        rx = self.net_rx.pop(cpu, None)
        if irqs and rx is not None:
            self.hunks.append(ReceiveHunk(irqs, rx.entry_t, rx.events))

    def softirq_raise(self, sample, cpu, t):
        if not self.is_net_rx(sample.vec):
            return
        self.irq_event(cpu, t, None)

    def irq_event(self, cpu, t, skbaddr):
        """A softirq raise (skbaddr None) or netif_rx in the cpu's innermost irq."""
        stack = self.irqs.get(cpu)
        if not stack:
            return
        irq = stack[-1]
        if irq.events is None:
            irq.events = []
        irq.events.append((t, skbaddr))

    def irq_handler_entry(self, sample, cpu, t):
        self.irqs.setdefault(cpu, []).append(Irq(sample.irq, sample.name, cpu, t))

    def irq_handler_exit(self, sample, cpu, t):
        stack = self.irqs.get(cpu)
        if not stack:
            return          # (perf's script fails on an exit without an entry)
        irq = stack.pop()
        # an irq that raised nothing is forgotten, and so is one the exit does not match
        if sample.irq == irq.irq and irq.events is not None:
            stack.append(irq)

    def napi_poll(self, sample, cpu, t):
        rx = self.net_rx.get(cpu)
        if rx is not None:
            rx.events.append(NapiPoll(sample.dev_name, t))

    def netif_rx(self, sample, cpu, t):
        self.irq_event(cpu, t, sample.skbaddr)

    def netif_receive_skb(self, sample, cpu, t):
        rx = self.net_rx.get(cpu)
        if rx is None:
            return
        skb = ReceivedSkb(t, sample.skbaddr, sample.len)
        rx.events.append(skb)
        self.rx_skbs.insert(0, skb)
        if len(self.rx_skbs) > BUFFER_BUDGET:
            self.rx_skbs.pop()
            self.rx_overflow += 1

    def taken(self, sample, t):
        """A received packet freed or copied to a task: who took it, and when."""
        skb = remove_first(self.rx_skbs, sample.skbaddr)
        if skb is None:
            return
        thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
        skb.comm = thread.comm() if thread is not None else ":%d" % sample.sample_tid
        skb.pid = sample.common_pid
        skb.taken_t = t

    def skb_copy_datagram_iovec(self, sample, cpu, t):
        self.taken(sample, t)

    def net_dev_queue(self, sample, cpu, t):
        self.tx_queued.insert(0, SentSkb(sample.name, sample.skbaddr, sample.len, t))
        if len(self.tx_queued) > BUFFER_BUDGET:
            self.tx_queued.pop()
            self.queue_overflow += 1

    def net_dev_xmit(self, sample, cpu, t):
        if sample.rc != 0:      # only NETDEV_TX_OK
            return
        skb = remove_first(self.tx_queued, sample.skbaddr)
        if skb is None:
            return
        skb.xmit_t = t
        self.tx_xmitted.insert(0, skb)
        if len(self.tx_xmitted) > BUFFER_BUDGET:
            self.tx_xmitted.pop()
            self.xmit_overflow += 1

    def freed(self, skbaddr, t):
        """Whether the packet freed at skbaddr was one handed to a device."""
        skb = remove_first(self.tx_xmitted, skbaddr)
        if skb is None:
            return False
        skb.free_t = t
        self.tx_freed.append(skb)
        return True

    def kfree_skb(self, sample, cpu, t):
        if remove_first(self.tx_queued, sample.skbaddr) is not None:
            return          # dropped before it reached the device
        if not self.freed(sample.skbaddr, t):
            self.taken(sample, t)

    def consume_skb(self, sample, cpu, t):
        self.freed(sample.skbaddr, t)

    # ------------------------------------------------------------ report

    def print_receive(self, hunk):
        irqs = hunk.irqs
        if self.dev is not None and not any(self.dev in irq.name for irq in irqs):
            return
        base_t = irqs[0].entry_t
        print("%d.%06dsec cpu=%d" % (base_t / NSECS_PER_SEC,
                                     base_t % NSECS_PER_SEC / 1000, irqs[0].cpu))
        for irq in irqs:
            print(PF_IRQ_ENTRY % (diff_msec(base_t, irq.entry_t), irq.irq, irq.name))
            print(PF_JOINT)
            for t, skbaddr in irq.events or ():
                if skbaddr is not None:
                    print(PF_NET_RX % (diff_msec(base_t, t), skbaddr))
                    print(PF_JOINT)
        print(PF_SOFT_ENTRY % diff_msec(base_t, hunk.sirq_entry_t))
        print(PF_JOINT)
        events = hunk.events
        for i, ev in enumerate(events):
            if isinstance(ev, NapiPoll):
                print(PF_NAPI_POLL % (diff_msec(base_t, ev.time), ev.dev))
                print("" if i == len(events) - 1 else PF_JOINT)
                continue
            print(PF_NET_RECV % (diff_msec(base_t, ev.time), ev.skbaddr, ev.len))
            if ev.comm is not None:
                # (perf's script shows a packet freed by kfree_skb this way too)
                print(PF_WJOINT)
                print(PF_CPY_DGRAM % (diff_msec(base_t, ev.taken_t), ev.pid, ev.comm))
            print(PF_JOINT)

    def print_transmit(self, skb):
        if self.dev is not None and self.dev not in skb.dev:
            return
        print("%7s %5d %6d.%06dsec %12.3fmsec      %12.3fmsec" % (
            skb.dev, skb.len, skb.queue_t / NSECS_PER_SEC,
            skb.queue_t % NSECS_PER_SEC / 1000, diff_msec(skb.queue_t, skb.xmit_t),
            diff_msec(skb.xmit_t, skb.free_t)))

    def report(self):
        if self.show_rx:
            for hunk in self.hunks:
                self.print_receive(hunk)
        if self.show_tx:
            print("   dev    len      Qdisc               netdevice             free")
            for skb in self.tx_freed:
                self.print_transmit(skb)
        if self.debug:
            print("debug buffer status")
            print("----------------------------")
            print("xmit Qdisc:remain:%d overflow:%d" % (len(self.tx_queued),
                                                       self.queue_overflow))
            print("xmit netdevice:remain:%d overflow:%d" % (len(self.tx_xmitted),
                                                           self.xmit_overflow))
            print("receive:remain:%d overflow:%d" % (len(self.rx_skbs), self.rx_overflow))


def parse_options(words):
    """(show_tx, show_rx, dev, debug) from the script's words; others are ignored."""
    show_tx = show_rx = debug = False
    dev = None
    for w in words:
        if w == "tx":
            show_tx = True
        elif w == "rx":
            show_rx = True
        elif w.startswith("dev="):
            # (an empty name is perf's "no device filter")
            dev = w[4:] or None
        elif w == "debug":
            debug = True
    if not show_tx and not show_rx:
        show_tx = show_rx = True
    return show_tx, show_rx, dev, debug


def main():
    ap = argparse.ArgumentParser(description="Packet processing times.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("options", nargs="*", metavar="tx|rx|dev=NAME|debug")
    args = ap.parse_args()

    times = NetdevTimes(*parse_options(args.options))
    session = perf.session(perf.data(args.input), sample=times.sample)
    times.session = session
    session.process_events()
    times.report()


if __name__ == "__main__":
    main()
