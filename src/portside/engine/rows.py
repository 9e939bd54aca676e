"""The store's rows that the engine hands to front ends as they are.

A front end imports them from here, never from ``store/``, so when the engine gives one
a report type of its own only this module changes.
"""

from __future__ import annotations

from ..store.containers import ContainerRow as ContainerRow

__all__ = ["ContainerRow"]
