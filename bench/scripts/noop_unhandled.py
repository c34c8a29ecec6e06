# Benchmark: every tracepoint through a no-op trace_unhandled (builds the field dict per event).


def trace_unhandled(event_name, context, event_fields_dict):
    pass
