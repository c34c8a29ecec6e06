"""`progress=` of `perfscript.open()`: a reader calls `progress(done, total)` as it goes;
`True` asks for a bar, drawn by tqdm or rich when one is installed (neither is a
dependency), else one line on stderr rewritten in place."""

import sys


def reporter(progress, label="reading"):
    """What the readers call for `progress`: None (no progress), the caller's own
    `callable(done, total)`, or for True a bar (see the module's docstring)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return Bar(label)
    if not callable(progress):
        raise TypeError("progress must be True, False, None or a callable(done, total),"
                        " not %r" % (progress,))
    return progress


class Bar:
    """A progress bar made when the total is first known, closed when the reading is
    done (`done >= total`, or `close()`)."""

    def __init__(self, label):
        self.label = label
        self._draw = None
        self._closed = False

    def __call__(self, done, total):
        if self._closed or not total:
            return
        if self._draw is None:
            self._draw = _best_bar(self.label, total)
        self._draw.update(min(done, total))
        if done >= total:
            self.close()

    def close(self):
        if self._draw is not None and not self._closed:
            self._draw.close()
        self._closed = True


def _best_bar(label, total):
    for make in (_TqdmBar, _RichBar):
        try:
            return make(label, total)
        except ImportError:
            continue
    return _LineBar(label, total)


class _TqdmBar:
    def __init__(self, label, total):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=total, desc=label)
        self.done = 0

    def update(self, done):
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self):
        self.bar.close()


class _RichBar:
    def __init__(self, label, total):
        from rich.progress import Progress
        self.bar = Progress(transient=False)
        self.task = self.bar.add_task(label, total=total)
        self.bar.start()

    def update(self, done):
        self.bar.update(self.task, completed=done)

    def close(self):
        self.bar.stop()


class _LineBar:
    """`reading: 42%` on stderr, rewritten when the percentage changes."""

    def __init__(self, label, total):
        self.label = label
        self.total = total
        self.last = -1

    def update(self, done):
        pct = 100 * done // self.total
        if pct != self.last:
            self.last = pct
            sys.stderr.write("\r%s: %3d%%" % (self.label, pct))
            sys.stderr.flush()

    def close(self):
        if self.last >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()
