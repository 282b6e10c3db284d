"""Handlers turn parsed requests and events into domain calls and storage units of work."""
