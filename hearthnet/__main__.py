"""Run the command line as `python -m hearthnet`."""

from hearthnet.bootstrap import main

main()
