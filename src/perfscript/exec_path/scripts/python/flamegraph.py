#!/usr/bin/env python3
"""flamegraph: a flame graph of the samples' call stacks, as an HTML page (with the
d3-flame-graph template) or as its JSON data.

A standalone counterpart of perf 6.1's scripts/python/flamegraph.py, written for the
`perf` module: same options, same JSON data and the same page.

    perfscript flamegraph.py -i perf.data [-f json|html] [-o FILE|-]
        [--template PATH] [--colorscheme blue-green|orange]

Without -o the output goes to flamegraph.html (or stacks.json with -f json);
`-o -` writes it to stdout. Record with: perf record -a -g -F 99 sleep 60
"""

import argparse
import io
import json
import os
import subprocess
import sys

import perf

DEFAULT_TEMPLATE = "/usr/share/d3-flame-graph/d3-flamegraph-base.html"


class Node:
    """A frame of the graph: its name, "root", "kernel" or "" (user space), the samples
    that ended here and the frames called from it (in the order first met)."""

    def __init__(self, name, libtype):
        self.name = name
        self.libtype = libtype
        self.value = 0
        self.children = []
        self.by_name = {}

    def child(self, name, libtype):
        """The child frame of that name (made with `libtype` when new)."""
        got = self.by_name.get(name)
        if got is None:
            got = self.by_name[name] = Node(name, libtype)
            self.children.append(got)
        return got

    def to_json(self):
        return {"n": self.name, "l": self.libtype, "v": self.value, "c": self.children}


def libtype_of(dso):
    """"kernel" for the kernel's code (also when read from a vmlinux), else ""."""
    if dso and (dso == "[kernel.kallsyms]" or dso.endswith("/vmlinux")):
        return "kernel"
    return ""


class FlameGraph:
    def __init__(self, args):
        self.args = args
        self.session = None
        self.root = Node("all", "root")
        self.tracepoints = {}       # str(evsel) -> whether it is a tracepoint

    def sample(self, sample):
        key = str(sample.evsel)
        tracepoint = self.tracepoints.get(key)
        if tracepoint is None:
            tracepoint = self.tracepoints[key] = sample.evsel.type == perf.TYPE_TRACEPOINT
        if tracepoint:
            return                  # perf's script saw no tracepoint samples
        pid = sample.sample_pid & 0xFFFFFFFF
        thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
        comm = thread.comm() if thread is not None else ":%d" % sample.sample_tid
        # the idle task's samples are the kernel's
        if pid == 0:
            node = self.root.child(comm, "kernel")
        else:
            node = self.root.child("{} ({})".format(comm, pid), "")
        chain = sample.callchain
        if chain is not None:
            for frame in reversed(chain):
                name = frame.symbol if frame.symbol is not None else "[unknown]"
                node = node.child(name, libtype_of(frame.dso))
        node.value += 1

    def report_header(self):
        """`perf report --header-only` of the input, for the page; "" when unavailable."""
        if self.args.input == "-":
            return ""
        try:
            out = subprocess.check_output(["perf", "report", "--header-only", "-i",
                                           self.args.input])
            return out.decode("utf-8")
        except Exception as err:  # noqa: BLE001 - any failure only loses the header
            print("Error reading report header: {}".format(err), file=sys.stderr)
            return ""

    def write(self):
        stacks_json = json.dumps(self.root, default=lambda node: node.to_json())
        if self.args.format == "html":
            options_json = json.dumps({"colorscheme": self.args.colorscheme,
                                       "context": self.report_header()})
            try:
                with io.open(self.args.template, encoding="utf-8") as template:
                    output = (template.read()
                              .replace("/** @options_json **/", options_json)
                              .replace("/** @flamegraph_json **/", stacks_json))
            except IOError as err:
                print("Error reading template file: {}".format(err), file=sys.stderr)
                sys.exit(1)
            path = self.args.output or "flamegraph.html"
        else:
            output = stacks_json
            path = self.args.output or "stacks.json"
        if path == "-":
            with io.open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False) as out:
                sys.stdout.flush()
                out.write(output)
            return
        print("dumping data to {}".format(path))
        try:
            with io.open(path, "w", encoding="utf-8") as out:
                out.write(output)
        except IOError as err:
            print("Error writing output file: {}".format(err), file=sys.stderr)
            sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description="Create flame graphs.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("-f", "--format", default="html", choices=["json", "html"],
                    help="output file format")
    ap.add_argument("-o", "--output", help="output file name")
    ap.add_argument("--template", default=DEFAULT_TEMPLATE,
                    help="path to flame graph HTML template")
    ap.add_argument("--colorscheme", default="blue-green", choices=["blue-green", "orange"],
                    help="flame graph color scheme")
    args = ap.parse_args()
    if args.format == "html" and not os.path.isfile(args.template):
        print("Flame Graph template {} does not exist. Please install the "
              "js-d3-flame-graph (RPM) or libjs-d3-flame-graph (deb) package, specify an "
              "existing flame graph template (--template PATH) or another output format "
              "(--format FORMAT).".format(args.template), file=sys.stderr)
        sys.exit(1)

    graph = FlameGraph(args)
    session = perf.session(perf.data(args.input), sample=graph.sample)
    graph.session = session
    session.process_events()
    graph.write()


if __name__ == "__main__":
    main()
