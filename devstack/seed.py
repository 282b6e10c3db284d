"""Seeds the local stack's reference data through the app's own admin functions (idempotent)."""

from __future__ import annotations

import os


def main() -> int:
    """Seed the defaults (Season 2 policy, dongs, campaigns); demo merchants only when SEED_DEMO is on."""
    from chalicelib.handlers.admin import seed_defaults, seed_demo_merchants

    seed_defaults()
    if os.environ.get("SEED_DEMO", "").strip().lower() in ("1", "true", "yes"):
        seed_demo_merchants()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
