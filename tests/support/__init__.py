"""Shared test helpers: the bundled server as a subprocess, and the fixtures built on it."""
