"""The NiceGUI dashboard, served by the node."""
