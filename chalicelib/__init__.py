"""Seoro e-Eum backend: everything the Chalice app imports lives here."""
