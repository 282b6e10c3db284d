"""The business rules of Seoro e-Eum: pure dataclasses and functions, no AWS, storage or HTTP."""
