"""The Slack app: a Bolt app factory, one module per slash command in ``bot/commands/``."""
