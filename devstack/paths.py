"""Where the local stack keeps its files: the repository root and the state directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """LOCAL_STATE_DIR if set, else `.local/` in the repository (git-ignored)."""
    e = os.environ if env is None else env
    configured = e.get("LOCAL_STATE_DIR", "").strip()
    return Path(configured).resolve() if configured else REPO_ROOT / ".local"
