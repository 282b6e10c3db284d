"""`make load`: a bounded, loopback-only load run of a realistic mix against the local stack, with locust.

Locust runs its users as gevent greenlets, which needs the standard library's sockets, `time.sleep` and
`subprocess` patched before anything opens a connection (or imports `ssl`). `python -m load` imports this
package first, so the patch comes first; nothing else imports it (the smoke test runs it as a child
process), so no test process is ever patched.
"""

from gevent import monkey

monkey.patch_all()
