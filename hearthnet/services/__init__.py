"""The service layer: the capability bus and its command handlers on the log."""
