"""Every message and modal partnerbot sends, rendered as Block Kit in one place so wording,
escaping and Slack's limits are handled once. Functions take plain data and return a
``Message`` or a view payload."""
