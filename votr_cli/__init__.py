"""votr: polls for the terminal, closed on time by a small local daemon."""

__version__ = "0.4.0"
