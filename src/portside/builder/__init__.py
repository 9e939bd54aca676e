"""Dockerfiles: parser (nodes keep line numbers) -> typed instructions -> dispatch."""
