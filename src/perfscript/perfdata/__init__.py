"""The perf.data container: file header, attrs, features, records, pipe mode, compression."""
