"""Helpers the test modules share (tests/ is on sys.path under pytest: ``from helpers.NAME import ...``)."""
