"""Storage adapters: PynamoDB models and the repository that turns them into domain objects."""
