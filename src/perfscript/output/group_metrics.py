"""The `metric` field (not printed yet: -F refuses it)."""


class GroupMetrics:
    def __init__(self, printer):
        self.printer = printer

    def text(self, ev, s, thread):
        return ""
