"""Coverage-guided fuzzing of perfscript's parsers with atheris (libFuzzer).

    pip install atheris
    python fuzz/atheris_parsers.py perfdata  -atheris_runs=200000 -rss_limit_mb=2048 -timeout=20
    python fuzz/atheris_parsers.py format    -max_total_time=600
    python fuzz/atheris_parsers.py tracedat  corpus_dir/

Targets: `perfdata` (a whole recording read by the session: header, attrs, features,
tracing data, every record, samples decoded by the script engine's decoders), `tracing`
(the tracing-data blob), `format` (one event format text, then a record decoded and
rendered with it), `tracedat` (a trace.dat read to its last record). Any exception but
PerfDataError is a finding. The committed recordings seed the corpus.
"""

import glob
import os
import sys
import tempfile

import atheris

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

with atheris.instrument_imports():
    from perfscript.errors import PerfDataError
    from perfscript.ftrace.decode import make_field_decoder
    from perfscript.ftrace.format import parse_format
    from perfscript.ftrace.tracing_data import parse_tracing_data
    from perfscript.session.consumer import Consumer
    from perfscript.session.session import Session
    from perfscript.tracedat import open_tracedat, records

TMP = tempfile.mkdtemp(prefix="perfscript-atheris-")
PATH = os.path.join(TMP, "input")


class _Touch(Consumer):
    """Reads what a script would: every sample parsed, its tracepoint fields decoded."""

    def __init__(self):
        self.decoders = {}

    def sample(self, ev, sample, thread):
        fmt = ev.tp_format
        if fmt is None or sample.buf is None:
            return
        if ev.index not in self.decoders:
            self.decoders[ev.index] = make_field_decoder(fmt, False)
        self.decoders[ev.index](sample.raw)


def _write(data):
    with open(PATH, "wb") as f:
        f.write(data)


def perfdata(data):
    _write(data)
    try:
        s = Session(PATH)
        try:
            s.process(_Touch())
        finally:
            s.pd.close()
    except PerfDataError:
        pass


def tracing(data):
    try:
        parse_tracing_data(data, path="fuzz")
    except PerfDataError:
        pass


def format_text(data):
    text = data.decode("utf-8", "surrogateescape")
    try:
        parse_format(text, "fuzz")
    except PerfDataError:
        pass


def tracedat(data):
    _write(data)
    try:
        with open_tracedat(PATH) as t:
            for _ in records(t):
                pass
    except PerfDataError:
        pass


TARGETS = {"perfdata": (perfdata, ["tests/data/recordings/*.data", "tests/data/gen/*.data"]),
           "tracing": (tracing, []),
           "format": (format_text, []),
           "tracedat": (tracedat, ["tests/data/tracedat/*.dat"])}


def _seed_corpus(target, patterns):
    """A corpus directory holding the committed files for this target (for `tracing`
    and `format`: the blobs and format texts inside the committed recordings)."""
    d = os.path.join(TMP, "corpus-" + target)
    os.makedirs(d, exist_ok=True)
    seeds = {}
    for pattern in patterns:
        for path in glob.glob(os.path.join(ROOT, pattern)):
            with open(path, "rb") as f:
                seeds[os.path.basename(path)] = f.read()
    if target in ("tracing", "format"):
        sys.path.insert(0, HERE)
        from model import PerfData, TracingData
        for path in glob.glob(os.path.join(ROOT, "tests/data/*/*.data")):
            blob = PerfData.parse(open(path, "rb").read()).tracing_blob()[1]
            if not blob:
                continue
            name = os.path.basename(path)
            if target == "tracing":
                seeds[name] = blob
                continue
            for i, (_, fmts) in enumerate(TracingData.parse(blob).systems):
                for j, text in enumerate(fmts):
                    seeds["%s-%d-%d" % (name, i, j)] = text
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return d


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit("usage: atheris_parsers.py {%s} [libFuzzer options]" % ",".join(TARGETS))
    target = sys.argv.pop(1)
    fn, patterns = TARGETS[target]
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(_seed_corpus(target, patterns))
    atheris.Setup(args, fn)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
