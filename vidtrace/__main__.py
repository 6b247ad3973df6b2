"""`python -m vidtrace` runs the command line."""

from vidtrace.cli.main import main

main()
