"""Entry point of `python -m devstack`."""

from devstack.stack import main

if __name__ == "__main__":
    raise SystemExit(main())
