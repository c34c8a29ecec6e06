"""The recordings a dataset export was given: paths, globs and directories, as a
sorted list of absolute paths.

- A path that is no directory is taken as it is (one that does not exist, or is no
  recording, then fails with perfscript's own message).
- A directory is searched, recursively, for regular files whose first bytes are a
  perf.data's (PERFILE2, either byte order, or the old PERFFILE: file and pipe mode,
  compressed or not) or a trace-cmd trace.dat's, whatever their names; other files
  are left out, and so are directories whose names start with `.` and the dataset's
  own directory.
- A name that does not exist and has `*`, `?` or `[` is a glob (`**` for any depth),
  expanded here as the shell would (so a quoted pattern reaches past the shell's limit
  on arguments); the directories it matches are searched as above.
A glob or a directory that finds no recording is a problem: reported, the other
inputs still converted.
"""

import os

from perfscript.session.input_format import recordings_named


def expand(inputs, exclude=None):
    """(sorted absolute paths, [(input, problem)]) of `inputs`; `exclude`: a
    directory never searched (the dataset being written)."""
    paths = []
    problems = []
    for given in inputs:
        found, problem = recordings_named(given, exclude)
        if problem:
            problems.append((os.fspath(given), problem))
        paths += [os.path.abspath(p) for p in found]
    return sorted(set(paths)), problems
