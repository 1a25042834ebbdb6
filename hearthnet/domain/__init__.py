"""Events, rules and ports: pure code that imports only the standard library and msgspec."""
