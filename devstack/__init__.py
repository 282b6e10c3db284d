"""The local stack: embedded AWS (moto), the API (chalice local) and the event runner, on one machine.

`python -m devstack` (run by `make run`) starts everything in the foreground; `python -m devstack.token`
prints a dev token. Nothing here is deployed.
"""
