"""The fixed `open_group_key`s of storms and split-out services.

One storm incident per environment can be open under its key, and one split-out
incident per service; the unique `open_group_key` makes that hold across replicas.
"""

from __future__ import annotations

import hashlib

STORM = "storm"
STORM_ACTOR = "storm"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def storm_key(environment: str) -> str:
    """The open_group_key of the environment's storm incident."""
    return f"storm:{environment[:20]}:{_digest('storm', environment)[:16]}"


def split_key(environment: str, service: str) -> str:
    """The open_group_key of a service split out of a storm: its later alerts join it."""
    return f"split:{_digest('split', environment, service)}"
