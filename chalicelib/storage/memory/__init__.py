"""In-memory twins of the DynamoDB repositories (for use-case tests; see table.py)."""
