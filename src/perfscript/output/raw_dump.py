"""-D/--dump-raw-trace: every record as perf 6.1 dumps it (placeholder)."""


class RawDump:
    def __init__(self, session, write, input_path):
        self.session = session
        self.write = write

    def record(self, typ, misc, size, buf, off, where, ev):
        pass

    def resolved(self, sample, thread, loc):
        pass
