"""Make the project importable from tests and benchmarks without installing it."""
