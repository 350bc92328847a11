"""Helpers the test suite and the benchmarks share: servers, accounts, payloads, sockets, waiting.

Test modules and conftest files import helpers from here only (tests/test_layers.py checks it); conftest files
hold fixtures, test modules hold tests.
"""
