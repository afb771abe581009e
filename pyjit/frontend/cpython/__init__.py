"""Per-version bytecode tables; ``table`` is the one for the running CPython."""
