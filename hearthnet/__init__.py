"""HearthNet: a local-first community mesh around one signed, replicated event log."""

__version__ = "0.1.0"
