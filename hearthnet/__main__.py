"""Run the command line as `python -m hearthnet`."""

from hearthnet.cli.main import main

main()
