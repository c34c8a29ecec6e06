"""How an opened recording shows itself: `repr()` (a shell, a debugger, a log) and
`_repr_html_` (a notebook cell): its path, events and, once read, their sample counts."""

import html

# events listed before "… and N more": a repr stays readable for a recording of thousands
MAX_LISTED = 40


class TraceDisplay:
    """repr() never reads the records (a repr in a debugger or a log must stay cheap): it
    shows the counts once something has read them. A notebook displays a trace because
    it was asked to, so `_repr_html_` reads them (with the trace's progress bar)."""

    def _is_read(self):
        """Whether the records have been read (so counts() costs nothing)."""
        return False

    def _shown_counts(self, read):
        names = self.event_names
        if read or self._is_read():
            counts = self.counts()
            return names, [counts.get(n, 0) for n in names]
        return names, None

    def __repr__(self):
        kind = type(self).__name__
        try:
            names, counts = self._shown_counts(read=False)
        except Exception as e:     # a closed or damaged file: the repr still answers
            return "<%s %r (%s)>" % (kind, str(self.path), str(e).splitlines()[0])
        head = "<%s %r: %d event%s" % (kind, str(self.path), len(names),
                                        "" if len(names) == 1 else "s")
        if counts is None:
            head += " (samples not counted yet: .counts() reads them)"
            lines = ["  " + n for n in names[:MAX_LISTED]]
        else:
            head += ", %d samples" % sum(counts)
            width = max((len(n) for n in names[:MAX_LISTED]), default=0)
            lines = ["  %-*s %10d" % (width, n, c)
                     for n, c in zip(names[:MAX_LISTED], counts)]
        if len(names) > MAX_LISTED:
            lines.append("  … and %d more" % (len(names) - MAX_LISTED))
        return "\n".join([head] + lines) + ">"

    def _repr_html_(self):
        names, counts = self._shown_counts(read=True)
        views = {event: view for view, event in self.view_names().items()}
        esc = html.escape
        rows = "".join(
            "<tr><td><code>%s</code></td><td><code>%s</code></td><td>%d</td></tr>"
            % (esc(n), esc(views.get(n, "")), c)
            for n, c in zip(names[:MAX_LISTED], counts))
        if len(names) > MAX_LISTED:
            rows += ("<tr><td colspan=3>… and %d more events</td></tr>"
                     % (len(names) - MAX_LISTED))
        return ("<div><b>%s</b> <code>%s</code>: %d events, %d samples"
                "<table><thead><tr><th>event</th><th>SQL view</th><th>samples</th></tr>"
                "</thead><tbody>%s</tbody></table></div>"
                % (esc(type(self).__name__), esc(str(self.path)), len(names), sum(counts),
                   rows))
