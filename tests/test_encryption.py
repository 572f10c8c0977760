"""Encryption at rest: special-category fields and evidence files are unreadable in the raw
database and store, read back intact, survive key rotation, and fail clearly with a wrong key."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from ivc.auth.roles import Actor, Role
from ivc.case.states import CaseState
from ivc.config import get_settings, reset_settings
from ivc.crypto import keys
from ivc.crypto.keys import DecryptionFailed, KeyUnavailable
from ivc.crypto.rotation import reencrypt_all, retire, rotate, usage
from ivc.database.core import get_engine
from ivc.errors import DomainError
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceType
from ivc.evidence.storage import LocalContentStore, get_store
from ivc.experience.models import Experience
from ivc.experience.service import add_experience
from ivc.person.models import Vulnerability
from ivc.person.service import register_person

from .helpers import EXPERIENCE, advance_to, person_in, staff

ADMIN = Actor("admin", Role.ADMIN)
SECRET_NOTE = "seguita dal CSM per disturbo post-traumatico"
SECRET_FILE = b"Relazione UEPE: pena in affidamento in prova.\n"


@pytest.fixture(autouse=True)
def _own_keys_and_store(tmp_path: Path) -> Iterator[None]:
    """Tests here rotate and break keys: each gets its own copy of the key file and its own
    evidence store, so nothing they do reaches other tests."""
    shared = keys.current().path
    (tmp_path / "keys.json").write_bytes(shared.read_bytes())
    os.chmod(tmp_path / "keys.json", 0o600)
    os.environ["IVC_DATA_KEY_FILE"] = str(tmp_path / "keys.json")
    os.environ["IVC_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    reset_settings()
    keys._cache.clear()
    yield
    os.environ.pop("IVC_DATA_KEY_FILE", None)
    os.environ.pop("IVC_EVIDENCE_DIR", None)
    reset_settings()
    keys._cache.clear()


def _raw(sql: str) -> list[str]:
    with get_engine().connect() as conn:
        return [r[0] for r in conn.execute(text(sql))]


def _blob_path(key: str) -> Path:
    return get_settings().resolved_evidence_dir / key[:2] / key[2:4] / key


def _setup(session: Session) -> tuple[int, str]:
    actors = staff(session)
    person = register_person(
        session, person_in(vulnerabilities=[{"kind": "other", "note": SECRET_NOTE}]), actors["op3"]
    )
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    add_experience(session, case, EXPERIENCE, actors["op3"])
    item = evidence.add_evidence(
        session,
        case,
        SECRET_FILE,
        title="Relazione UEPE",
        evidence_type=EvidenceType.DOCUMENT,
        media_type="text/plain",
        actor=actors["op3"],
    )
    session.commit()
    return person.id or 0, item.sha256


def test_special_category_fields_and_files_are_encrypted_at_rest_and_read_back(session: Session) -> None:
    person_id, key = _setup(session)
    raw_notes = _raw("SELECT note FROM vulnerability")
    assert raw_notes and all(n.startswith("enc:v1:") and "CSM" not in n for n in raw_notes)
    raw_texts = _raw("SELECT text_it FROM experience")
    assert raw_texts and all(t.startswith("enc:v1:") and "cuoca" not in t for t in raw_texts)
    raw_file = _blob_path(key).read_bytes()
    assert b"UEPE" not in raw_file and b"affidamento" not in raw_file

    with Session(get_engine()) as fresh:
        vuln = fresh.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)).one()
        assert vuln.note == SECRET_NOTE
        assert "cuoca" in (fresh.exec(select(Experience)).first().text_it or "")  # type: ignore[union-attr]
    assert get_store().get(key) == SECRET_FILE  # decrypted, then checked against its sha256
    assert get_settings().resolved_data_key_file.stat().st_mode & 0o777 == 0o600


def test_the_same_file_is_stored_once_even_though_each_sealing_differs(session: Session) -> None:
    store = get_store()
    first = store.put_bytes(b"busta paga aprile")
    again = store.put_bytes(b"busta paga aprile")
    assert first == again and store.get(first.key) == b"busta paga aprile"


def test_data_from_before_encryption_still_reads_and_is_encrypted_by_a_pass(session: Session) -> None:
    person_id, _ = _setup(session)
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE vulnerability SET note = 'vecchia nota in chiaro'"))
    plain = LocalContentStore(get_settings().resolved_evidence_dir)  # how blobs were written before
    legacy = plain.put_bytes(b"vecchio attestato in chiaro")
    with Session(get_engine()) as fresh:
        assert (
            fresh.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)).one().note
            == "vecchia nota in chiaro"
        )
    assert get_store().get(legacy.key) == b"vecchio attestato in chiaro"
    assert usage().fields["plaintext"] >= 1 and usage().blobs["plaintext"] == 1

    fields, blobs = reencrypt_all()
    assert fields >= 1 and blobs == 1
    assert usage().fields["plaintext"] == 0 and usage().blobs["plaintext"] == 0
    assert b"vecchio" not in _blob_path(legacy.key).read_bytes()
    assert all(n.startswith("enc:v1:") for n in _raw("SELECT note FROM vulnerability"))
    assert get_store().get(legacy.key) == b"vecchio attestato in chiaro"
    assert reencrypt_all() == (0, 0)  # idempotent


def test_rotation_re_encrypts_everything_and_the_old_key_can_then_be_retired(session: Session) -> None:
    person_id, key = _setup(session)
    old = keys.current(refresh=True).active
    with pytest.raises(DomainError, match="active key"):
        retire(old, ADMIN)

    report = rotate(ADMIN)
    assert report.new_key and report.active != old and report.fields >= 3 and report.blobs >= 1
    used = usage()
    assert used.uses(old) == 0 and used.fields[report.active] >= 3
    retire(old, ADMIN)
    assert old not in keys.current(refresh=True).keys
    with Session(get_engine()) as fresh:
        assert fresh.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)).one().note == SECRET_NOTE
    assert get_store().get(key) == SECRET_FILE


def test_an_interrupted_rotation_is_finished_by_the_next_run_without_a_second_key(session: Session) -> None:
    person_id, _ = _setup(session)
    keyring = keys.current(refresh=True)
    old = keyring.active
    # What a rotation killed right after adding its key leaves: a new active key, nothing re-encrypted.
    keyring.keys["knew"] = base64.b64decode(base64.b64encode(os.urandom(32)))
    keyring.active, keyring.rotating = "knew", True
    keys.save(keyring)
    with pytest.raises(DomainError, match="rotation is in progress"):
        retire(old, ADMIN)

    report = rotate(ADMIN)
    assert not report.new_key and report.active == "knew"
    assert set(keys.current(refresh=True).keys) == {old, "knew"}
    retire(old, ADMIN)
    with Session(get_engine()) as fresh:
        assert fresh.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)).one().note == SECRET_NOTE


def test_a_key_still_in_use_cannot_be_retired(session: Session) -> None:
    _setup(session)
    keyring = keys.current(refresh=True)
    old = keyring.active
    keyring.keys["knew"] = os.urandom(32)
    keyring.active = "knew"  # a new key made active by hand, nothing re-encrypted yet
    keys.save(keyring)
    with pytest.raises(DomainError, match="still encrypts"):
        retire(old, ADMIN)


def test_a_wrong_or_missing_key_gives_a_clear_error_never_garbage(session: Session) -> None:
    person_id, key = _setup(session)
    path = get_settings().resolved_data_key_file
    data = json.loads(path.read_text())
    kid = data["active"]
    data["keys"][kid] = base64.b64encode(os.urandom(32)).decode()  # same id, different key
    path.write_text(json.dumps(data))
    keys._cache.clear()
    with Session(get_engine()) as fresh, pytest.raises(DecryptionFailed, match="does not decrypt"):
        fresh.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)).one()
    with pytest.raises(DecryptionFailed):
        get_store().get(key)

    other = base64.b64encode(os.urandom(32)).decode()
    path.write_text(json.dumps({"active": "kother", "keys": {"kother": other}}))
    keys._cache.clear()
    with Session(get_engine()) as fresh, pytest.raises(KeyUnavailable, match=f"{kid}.*not in the key file"):
        fresh.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)).one()


def test_a_configured_key_file_that_is_missing_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    os.environ["IVC_DATA_KEY_FILE"] = str(tmp_path / "absent.json")
    reset_settings()
    keys._cache.clear()
    with pytest.raises(KeyUnavailable, match="does not exist"):
        keys.current()
    assert not (tmp_path / "absent.json").exists()


from .test_evidence_store import s3_store  # noqa: E402,F401  (the moto-backed S3 fixture)


def test_the_s3_backend_stores_sealed_blobs(s3_store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from ivc.crypto.blobs import BlobCipher
    from ivc.evidence.storage import S3ContentStore

    plain_store, client = s3_store
    store = S3ContentStore(plain_store.bucket, "liguria", client=client, cipher=BlobCipher())
    blob = store.put_bytes(SECRET_FILE)
    object_key = f"liguria/{blob.key[:2]}/{blob.key[2:4]}/{blob.key}"
    raw = client.get_object(Bucket=store.bucket, Key=object_key)["Body"].read()
    assert b"UEPE" not in raw and store.get(blob.key) == SECRET_FILE
    legacy = plain_store.put_bytes(b"vecchio file in chiaro")
    assert store.sealed_with(legacy.key) is None and store.reseal(legacy.key)
    assert store.sealed_with(legacy.key) == keys.current().active and not store.reseal(legacy.key)
    assert store.get(legacy.key) == b"vecchio file in chiaro"
    assert sorted(store.iter_keys()) == sorted([blob.key, legacy.key])
    assert store.delete(legacy.key) and not store.exists(legacy.key)
