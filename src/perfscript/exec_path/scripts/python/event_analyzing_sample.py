#!/usr/bin/env python3
"""event_analyzing_sample: gathers the samples of non-tracepoint events into an SQLite
database and shows how they spread over commands, symbols and dsos (and, for Intel
PEBS load-latency samples, over data sources and latencies), as log2 histograms.

A standalone counterpart of perf 6.1's scripts/python/event_analyzing_sample.py,
written for the `perf` module, with the same report. perf's script kept its tables
in /dev/shm/perf.db and added to them on every run; this one uses a fresh in-memory
database unless given one with --database (its tables are then added to, as perf's
were). perf's script printed the fields of tracepoint samples; the perf module has no
list of a tracepoint's fields, so this one leaves tracepoint samples out (and says
so on stderr).

    perfscript event_analyzing_sample.py -i perf.data [--database FILE]
"""

import argparse
import math
import sqlite3
import struct
import sys

import perf

# the size of a PEBS record in a sample's raw data tells its kind
PEBS_SIZE = 144         # basic PEBS: flags, ip and the general registers
PEBS_LL_SIZE = 176      # PEBS with load latency (Nehalem, Westmere): four more words
ADDRESS_MASK = 0x7fffffffffffffff


class Sample:
    """What the report keeps of a sample; `kind` says which table it goes to."""

    GENERIC, PEBS, PEBS_LL = 0, 1, 2

    def __init__(self, name, comm, dso, symbol, raw):
        self.name = name
        self.comm = comm
        self.dso = dso
        self.symbol = symbol
        if len(raw) == PEBS_LL_SIZE:
            self.kind = self.PEBS_LL
        elif len(raw) == PEBS_SIZE:
            self.kind = self.PEBS
        else:
            self.kind = self.GENERIC
            return
        self.flags, self.ip = struct.unpack_from("QQ", raw)
        if self.kind == self.PEBS_LL:
            self.status, self.dla, self.dse, self.lat = struct.unpack_from("QQQQ", raw, 144)


def num2sym(num):
    """A log2 histogram bar: at least one '#'."""
    return "#" * int(math.log(num, 2) + 1)


class EventAnalyzer:
    def __init__(self, con):
        self.con = con
        self.session = None
        self.tracepoints = {}       # str(evsel) -> whether it is a tracepoint
        self.skipped = 0            # tracepoint samples left out

    def create_tables(self):
        self.con.execute("""
                create table if not exists gen_events (
                        name text,
                        symbol text,
                        comm text,
                        dso text
                );""")
        self.con.execute("""
                create table if not exists pebs_ll (
                        name text,
                        symbol text,
                        comm text,
                        dso text,
                        flags integer,
                        ip integer,
                        status integer,
                        dse integer,
                        dla integer,
                        lat integer
                );""")

    def sample(self, sample):
        key = str(sample.evsel)
        tracepoint = self.tracepoints.get(key)
        if tracepoint is None:
            tracepoint = self.tracepoints[key] = sample.evsel.type == perf.TYPE_TRACEPOINT
        if tracepoint:
            self.skipped += 1
            return
        thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
        comm = thread.comm() if thread is not None else ":%d" % sample.sample_tid
        dso = sample.dso
        symbol = sample.symbol
        s = Sample(key[6:-1], comm, dso if dso is not None else "Unknown_dso",
                   symbol if symbol is not None else "Unknown_symbol", sample.raw_buf or b"")
        if s.kind == Sample.GENERIC:
            self.con.execute("insert into gen_events values(?, ?, ?, ?)",
                             (s.name, s.symbol, s.comm, s.dso))
        elif s.kind == Sample.PEBS_LL:
            self.con.execute("insert into pebs_ll values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (s.name, s.symbol, s.comm, s.dso, s.flags, s.ip & ADDRESS_MASK,
                              s.status, s.dse, s.dla & ADDRESS_MASK, s.lat))

    def histogram(self, title, width, rule, rows):
        print("\n%*s %8s %16s\n%s" % (width, title, "number", "histogram", "=" * rule))
        for value, n in rows:
            print("%*s %8d     %s" % (width, value, n, num2sym(n)))

    def table_size(self, table):
        (n,) = self.con.execute("select count(*) from %s" % table).fetchone()
        print("There is %d records in %s table" % (n, table))
        return n

    def show_general_events(self):
        if not self.table_size("gen_events"):
            return
        print("Statistics about the general events grouped by thread/symbol/dso: \n")
        q = self.con.execute
        self.histogram("comm", 16, 42, q("select comm, count(comm) from gen_events "
                                     "group by comm order by -count(comm)"))
        self.histogram("symbol", 32, 58, q("select symbol, count(symbol) from gen_events "
                                       "group by symbol order by -count(symbol)"))
        self.histogram("dso", 40, 74, q("select dso, count(dso) from gen_events "
                                    "group by dso order by -count(dso)"))

    def show_pebs_ll(self):
        if not self.table_size("pebs_ll"):
            return
        print("Statistics about the PEBS Load Latency events grouped by "
              "thread/symbol/dse/latency: \n")
        q = self.con.execute
        self.histogram("comm", 16, 42, q("select comm, count(comm) from pebs_ll "
                                     "group by comm order by -count(comm)"))
        self.histogram("symbol", 32, 58, q("select symbol, count(symbol) from pebs_ll "
                                       "group by symbol order by -count(symbol)"))
        self.histogram("dse", 32, 58, q("select dse, count(dse) from pebs_ll "
                                    "group by dse order by -count(dse)"))
        self.histogram("latency", 32, 58, q("select lat, count(lat) from pebs_ll "
                                        "group by lat order by lat"))


def main():
    ap = argparse.ArgumentParser(description="Sample statistics through SQLite.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("-d", "--database", default=":memory:",
                    help="SQLite database to add the samples to (default: in memory)")
    args = ap.parse_args()

    con = sqlite3.connect(args.database)
    analyzer = EventAnalyzer(con)
    print("In trace_begin:\n")
    analyzer.create_tables()
    session = perf.session(perf.data(args.input), sample=analyzer.sample)
    analyzer.session = session
    with con:
        session.process_events()
    if analyzer.skipped:
        print("event_analyzing_sample.py: %d tracepoint samples left out (the perf module "
              "does not list a tracepoint's fields)" % analyzer.skipped, file=sys.stderr)
    print("In trace_end:\n")
    analyzer.show_general_events()
    analyzer.show_pebs_ll()
    con.close()


if __name__ == "__main__":
    main()
