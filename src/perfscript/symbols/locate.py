"""Where perf 6.1 looks for a user dso's symbols, in its order (dso__read_binary_type_filename).

Every candidate must be a regular file; when the dso has a build id, a candidate is used only if
its own build id matches (perf rejects all others, even the file at the recorded path).
"""

import os


def join_symfs(symfs, path):
    return (symfs or "") + path


def build_id_link(debug_dir, build_id):
    """``~/.debug/.build-id/xx/rest`` for a hex build id."""
    return os.path.join(debug_dir, ".build-id", build_id[:2], build_id[2:])


def build_id_cache_file(debug_dir, build_id, kind):
    """A build-id cache entry: the link itself when it is an old-style file, else link/kind."""
    link = build_id_link(debug_dir, build_id)
    if os.path.isfile(link):
        return link
    return os.path.join(link, kind)


def _debuglink_candidates(symfs, long_name, read_debuglink):
    path = join_symfs(symfs, long_name)
    if not os.path.isfile(path):
        return []
    link = read_debuglink(path)
    if not link:
        return []
    dso_dir = path[:path.rfind("/")] if "/" in path else ""
    for cand in (link, "%s/%s" % (dso_dir, link), "%s/.debug/%s" % (dso_dir, link),
                 "/usr/lib/debug%s/%s" % (dso_dir, link)):
        if os.path.isfile(cand):
            return [cand]
    return []


def user_candidates(long_name, build_id, symfs="", debug_dir="~/.debug", read_debuglink=None):
    """Yield candidate files for a user-space dso in perf's order."""
    debug_dir = os.path.expanduser(debug_dir)
    if read_debuglink is not None:
        yield from _debuglink_candidates(symfs, long_name, read_debuglink)
    if build_id:
        yield build_id_cache_file(debug_dir, build_id, "elf")
        yield build_id_cache_file(debug_dir, build_id, "debug")
    yield join_symfs(symfs, "/usr/lib/debug" + long_name + ".debug")
    yield join_symfs(symfs, "/usr/lib/debug" + long_name)
    if build_id:
        yield join_symfs(symfs, "/usr/lib/debug/.build-id/%s/%s.debug" % (build_id[:2], build_id[2:]))
    yield join_symfs(symfs, long_name)
    yield join_symfs(symfs, "/.debug" + long_name)
    if long_name.startswith("/usr/lib/"):
        yield join_symfs(symfs, "/usr/lib/debug" + long_name[4:])


def vdso_candidates(build_id, debug_dir="~/.debug"):
    """perf caches the vdso image at record time, under its build id."""
    if not build_id:
        return []
    debug_dir = os.path.expanduser(debug_dir)
    return [build_id_cache_file(debug_dir, build_id, "vdso"),
            os.path.join(debug_dir, "[vdso]", build_id, "vdso")]


def kallsyms_candidates(build_id, debug_dir="~/.debug"):
    """Cached kallsyms files for a kernel build id (perf's build_id_cache__kallsyms_path and
    the .build-id link)."""
    debug_dir = os.path.expanduser(debug_dir)
    return [os.path.join(debug_dir, "[kernel.kallsyms]", build_id, "kallsyms"),
            os.path.join(debug_dir, "[kernel.kallsyms]", build_id),
            build_id_cache_file(debug_dir, build_id, "kallsyms")]
