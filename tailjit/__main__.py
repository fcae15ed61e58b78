"""Run the command-line interface with ``python -m tailjit``."""

from tailjit.cli import main

if __name__ == "__main__":
    main(prog_name="tailjit")
