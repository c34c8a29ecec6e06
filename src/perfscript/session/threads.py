"""Threads and their comms as perf builds them from COMM/FORK/EXIT records."""

from perfscript.session.maps import Maps


class Thread:
    """A task: pid, tid, current comm and the maps of its process."""

    __slots__ = ("pid", "tid", "comm", "comm_set", "maps", "exited", "ppid")

    def __init__(self, pid, tid, maps):
        self.pid = pid
        self.tid = tid
        self.comm = ":%d" % tid
        self.comm_set = False
        self.maps = maps
        self.exited = False
        self.ppid = -1

    def set_comm(self, comm):
        self.comm = comm
        self.comm_set = True

    def __repr__(self):
        return "Thread(%d/%d %s)" % (self.pid, self.tid, self.comm)


class ThreadTable:
    """tid → Thread, creating unknown threads the way perf's machine does."""

    def __init__(self):
        self.threads = {}
        # perf registers the idle task before reading any record
        self.findnew(0, 0).set_comm("swapper")

    def get(self, tid):
        return self.threads.get(tid)

    def findnew(self, pid, tid):
        th = self.threads.get(tid)
        if th is not None:
            if th.pid == -1 and pid != -1 and pid != tid:
                th.pid = pid
                leader = self.findnew(pid, pid)
                th.maps = leader.maps
            elif th.pid == -1 and pid != -1:
                th.pid = pid
            return th
        if pid == -1 or pid == tid:
            maps = Maps()
        else:
            maps = self.findnew(pid, pid).maps
        th = Thread(pid, tid, maps)
        self.threads[tid] = th
        return th

    def comm(self, pid, tid):
        """The comm perf would print for (pid, tid) right now."""
        th = self.threads.get(tid)
        if th is None:
            return ":%d" % tid
        return th.comm

    def fork(self, pid, tid, ppid, ptid):
        """Apply a FORK record: (the new thread, its parent)."""
        parent = self.findnew(ppid, ptid)
        if parent.pid != ppid:
            parent = self.findnew(ppid, ptid)
        old = self.threads.pop(tid, None)
        if old is parent:
            # A fork record for a thread we already know as its own parent: keep it.
            self.threads[tid] = old
        th = self.findnew(pid, tid)
        th.ppid = ppid
        if parent.comm_set:
            th.set_comm(parent.comm)
        if pid != parent.pid and th.maps is not parent.maps:
            th.maps.copy_from(parent.maps)
        return th, parent

    def exit(self, pid, tid):
        th = self.threads.get(tid)
        if th is not None:
            th.exited = True
