"""The version, kept apart so ``portside --version`` imports nothing else."""

__version__ = "0.1.0"
API_VERSION = "1.43"  # the Docker Engine API version whose formats portside follows
