"""The `loa` command line: a contract for operators and scripts (see README)."""
