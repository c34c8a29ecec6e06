# Benchmark: perf's db-export mode with every *_table handler a no-op, callchains and calls on
# (the arguments export-to-sqlite.py gets as `all calls callchains`): the cost of building
# the rows (threads, comms, dsos, symbols, call paths) without writing them anywhere.

perf_db_export_mode = True
perf_db_export_calls = True
perf_db_export_callchains = True


def evsel_table(*row):
    pass


def machine_table(*row):
    pass


def thread_table(*row):
    pass


def comm_table(*row):
    pass


def comm_thread_table(*row):
    pass


def dso_table(*row):
    pass


def symbol_table(*row):
    pass


def branch_type_table(*row):
    pass


def sample_table(*row):
    pass


def call_path_table(*row):
    pass


def call_return_table(*row):
    pass


def context_switch_table(*row):
    pass
