"""perf's names for numbers: branch flags, memory data sources, registers, syscalls.

Shared by the script API (perf_sample_dict) and the text output, so it sits below both.
"""
