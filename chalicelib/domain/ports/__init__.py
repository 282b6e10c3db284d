"""What the use cases need from storage and from the outside world, as protocols: one module per area.

`unit` is the shared shape (batched read, atomic write); each area's module lists its repository and
adapter protocols. DynamoDB implementations live in `chalicelib/storage/<area>.py`, their in-memory
twins in `chalicelib/storage/memory/<area>.py`, AWS adapters in `chalicelib/adapters/`.
"""
