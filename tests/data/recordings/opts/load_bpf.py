"""Load (and, on exit, unload) a two-instruction BPF socket filter named ps_test: the
kernel reports it to perf with PERF_RECORD_KSYMBOL and PERF_RECORD_BPF_EVENT."""
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
insns = struct.pack("<BBhi", 0xb7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)  # r0 = 0; exit
ibuf = ctypes.create_string_buffer(insns, len(insns))
lic = ctypes.create_string_buffer(b"GPL")
attr = struct.pack("<IIQQIIQII16s", 1, 2, ctypes.addressof(ibuf), ctypes.addressof(lic),
                   0, 0, 0, 0, 0, b"ps_test")
abuf = ctypes.create_string_buffer(attr, 128)
fd = libc.syscall(321, 5, abuf, 128)
if fd < 0:
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
os.close(fd)
