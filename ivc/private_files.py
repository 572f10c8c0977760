"""Files and directories only their owner reads: the data directory, the SQLite database, backups.

The database holds names, tax codes, phone numbers and statements; a backup holds all of it. Created
with the process's umask (often 022) they were readable by every local account (issue #21, point 2).
``private_dir`` creates a directory as 0700 (and tightens one ivc created before); ``private_file``
creates an empty file as 0600 before anything is written into it, so there is no moment when it is
readable by others. Files that already exist are left as their owner set them, with a warning.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing; the directory itself is made 0700."""
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 unless it exists; warn when an existing one is open to others."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s is readable by group or others (mode %o): chmod 600 it", path, mode)
    return path
