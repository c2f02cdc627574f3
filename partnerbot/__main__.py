"""``python -m partnerbot`` runs the command line."""

from partnerbot.cli import main

main()
