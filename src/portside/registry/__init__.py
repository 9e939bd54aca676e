"""The OCI distribution protocol client: talking to registries (pull, push, auth)."""
