"""The OCI runtime side: bundle spec, users, seccomp, runc and the per-container monitor."""
