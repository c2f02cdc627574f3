"""Slash commands, one module each, every one with a ``register(app)`` function."""
