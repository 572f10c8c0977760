"""A backup's manifest, authenticated with a key that is not in the archive.

The manifest lists every table file's and blob's SHA-256, so it catches damage; but whoever edits a
row can recompute the hashes, and an edited backup then verified as "archive OK" (issue #21, point 4:
restoring one made an operator an admin). ``seal`` adds an HMAC-SHA256 over the manifest's canonical
JSON, keyed by a key derived from the installation's active data key (``ivc/crypto``, kept in the
key file, never in the archive); ``problem`` checks it. An archive without one, or sealed under a
key the key file does not hold, is refused: restoring needs the key file, as reading the encrypted
columns does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

FIELD = "authentication"
_PURPOSE = b"ivc-backup-manifest-v1"  # keeps this use of the data key apart from encryption


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != FIELD}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(key: bytes, manifest: dict[str, Any]) -> str:
    derived = hmac.new(key, _PURPOSE, hashlib.sha256).digest()
    return hmac.new(derived, _canonical(manifest), hashlib.sha256).hexdigest()


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with its authentication (the active data key's id and the MAC)."""
    from ivc.crypto import keys

    keyring = keys.current()
    kid = keyring.active
    return {**manifest, FIELD: {"alg": "HMAC-SHA256", "key_id": kid, "mac": _mac(keyring.keys[kid], manifest)}}


def problem(manifest: dict[str, Any]) -> str | None:
    """Why the manifest cannot be trusted, or None."""
    from ivc.crypto import keys

    auth = manifest.get(FIELD)
    if not isinstance(auth, dict) or auth.get("alg") != "HMAC-SHA256":
        return "the manifest is not authenticated: it cannot be told from an edited one"
    kid = str(auth.get("key_id"))
    keyring = keys.current()
    if kid not in keyring.keys:
        keyring = keys.current(refresh=True)
    if kid not in keyring.keys:
        return f"the manifest was authenticated with data key {kid!r}, which the key file does not hold"
    if not hmac.compare_digest(_mac(keyring.keys[kid], manifest), str(auth.get("mac"))):
        return "the manifest was changed after the backup was made (its authentication does not match)"
    return None
