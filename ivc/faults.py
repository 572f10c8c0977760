"""Failpoints for crash tests: ``IVC_FAILPOINT=name`` makes the process kill itself (SIGKILL)
when it reaches that point, as a power cut or an OOM kill would. Inert when the variable is unset."""

from __future__ import annotations

import os
import signal


def failpoint(name: str) -> None:
    if os.environ.get("IVC_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
