"""The example program (``config/program.example.toml``), parsed once: the rules partnerbot
runs under without a program file, and those most tests use."""

from config.program import EXAMPLE, example_text, parse_program

EXAMPLE_PROGRAM = parse_program(example_text(), EXAMPLE)
