"""`make bench` (`python -m bench`): what the API costs, measured rather than claimed.

1. DynamoDB requests per operation on a warm process, through the real HTTP routes
   (`chalice.test.Client`) on moto in-process, counted at botocore's `before-send` event (one count per
   HTTP attempt, so retries and BatchGetItem follow-ups for unprocessed keys are included).
2. Cold import time of `app` against `boto3`, and the cost of the first request in a fresh process.

The figures go to docs/PERFORMANCE.md between the `bench:begin` / `bench:end` markers.
"""
