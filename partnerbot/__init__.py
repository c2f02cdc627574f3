"""partnerbot: configuration, the command line and the demo that tie the layers together."""
