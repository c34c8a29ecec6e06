"""Session state: time order, id → event mapping, threads, comms and memory maps."""
