"""Tests of the bundled Contact API server, over real HTTP to a subprocess."""
