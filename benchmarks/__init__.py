"""Benchmarks, run by hand (`python -m benchmarks.<name>`): speed is measured, never asserted in tests."""
