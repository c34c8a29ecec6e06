"""perf script's own text output: samples, side-band records and stat tables."""
