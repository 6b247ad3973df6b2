"""The `vidtrace` command line: parses arguments and calls the API, nothing more."""
