"""Bytes, filesystems and records: the only code that touches the store's files."""
