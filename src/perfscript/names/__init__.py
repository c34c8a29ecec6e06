"""perf's names for numbers: branch flags, memory data sources, registers, syscalls.

Shared by the script API (perf_sample_dict) and the text output, so it sits below both.

>>> from perfscript.names import branch_flags, mem_info, regs, syscalls
>>> x86_64 = syscalls.machine_from_uname("x86_64")
>>> syscalls.audit_syscall_to_name(59, x86_64)
'execve'
>>> mem_info.datasrc_decode(0x5080021)              # perf's "no data source"
'|OP N/A|LVL N/A|SNP N/A|TLB N/A|LCK N/A|BLK  N/A'
>>> regs.format_regs("x86_64", 0b11, [1, 2])
'   AX:0x1    BX:0x2 '
>>> branch_flags.sample_flags_disp(branch_flags.PERF_IP_FLAG_BRANCH
...                                | branch_flags.PERF_IP_FLAG_CALL).strip()
'call'
"""
