"""Each area's routes, as a Chalice Blueprint that app.py registers: they parse, call one use case, present."""
