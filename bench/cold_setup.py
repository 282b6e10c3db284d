"""Prepares the moto server for the first-request benchmark: the stack, the seeded policy, one wallet.

Run by `bench.cold` as `python -m bench.cold_setup SUB` with `AWS_ENDPOINT_URL` pointing at the server;
prints the stack's outputs as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    import boto3

    from chalicelib import composition
    from chalicelib.clock import SystemClock
    from chalicelib.domain.months import kst_iso
    from chalicelib.domain.wallet import Wallet
    from chalicelib.handlers.admin import seed_defaults
    from chalicelib.settings import Settings
    from tests.support import TEMPLATE

    region = os.environ["AWS_DEFAULT_REGION"]
    cf = boto3.client("cloudformation", region_name=region)
    cf.create_stack(StackName="seoro-bench-cold", TemplateBody=TEMPLATE.read_text())
    outputs = cf.describe_stacks(StackName="seoro-bench-cold")["Stacks"][0]["Outputs"]
    out = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    clock = SystemClock()
    settings = Settings(stage="bench", region=region, table_name=out["TableName"], auth_jwks_file=os.devnull)
    composition.override(settings=settings, clock=clock)
    seed_defaults()
    composition.container().repos.wallets.open(
        Wallet(user_id=argv[0], dong="청라1동", created_at=kst_iso(clock.now()), version=1)
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
