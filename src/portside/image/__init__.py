"""Image formats: references, manifests and configs, layer tars, archives. No network I/O."""
