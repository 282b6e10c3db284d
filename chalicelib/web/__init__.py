"""The HTTP edge: route declarations and dispatch (api.py), the OpenAPI document, schemas and routes per area."""
