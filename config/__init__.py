"""The bottom layer: program rules, process settings and logging set-up. Imported by every
layer above; imports none of them."""
