"""Child processes end themselves when the stack that started them is gone.

The supervisor stops its children on Ctrl-C or SIGTERM; this covers the case it cannot: being killed
with SIGKILL (or crashing), which would otherwise leave moto and the API running as orphans.
"""

from __future__ import annotations

import os
import threading
import time

PARENT_ENV = "DEVSTACK_PARENT_PID"


def exit_with_parent(poll_seconds: float = 0.5) -> None:
    """Exit this process as soon as its parent (named by DEVSTACK_PARENT_PID) is no longer its parent."""
    expected = os.environ.get(PARENT_ENV)
    if not expected:
        return
    parent = int(expected)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
