"""Slash commands, one module each, every one with a ``register(app, deps)`` function;
modules whose names start with ``_`` are helpers and are not registered."""
