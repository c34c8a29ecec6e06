"""The `brstackinsn` field (not printed yet: -F refuses it)."""


def brstackinsn_text(printer, ev, s, thread, f):
    return ""
