"""Tests of the composition root: logging, the dispatcher loop."""
