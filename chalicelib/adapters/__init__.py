"""AWS side effects behind named adapters (S3, SNS, SQS, KMS, the bank), each with an in-memory twin for
the use-case tests. No handler touches a boto3 client."""
