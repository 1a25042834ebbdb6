"""The `hearthnet` command line: data on stdout, `--json` everywhere, meaningful exit codes."""
