"""The HTTP contract's models, one module per area (common.py: what they share)."""
