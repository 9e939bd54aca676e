"""The ``portside`` command: argv -> engine call -> output in Docker's formats."""
