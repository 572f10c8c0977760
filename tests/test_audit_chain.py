"""The audit log is a hash chain: an untouched log verifies, and an edited, deleted, moved or
forged row is reported at its position, whatever the number of concurrent writers."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from ivc.audit import service as audit
from ivc.audit.chain import event_hash
from ivc.audit.models import AuditEvent, AuditHead
from ivc.auth.roles import Actor, Role
from ivc.case.states import CaseState
from ivc.cli.main import app
from ivc.database.core import get_engine, session_scope

from .helpers import advance_to, staff

OP = Actor("op3", Role.OPERATOR, frozenset({"3"}))
runner = CliRunner()


def _write(n: int, *, commit: bool = True, tag: str = "t") -> None:
    with Session(get_engine()) as s:
        for i in range(n):
            audit.record(s, OP, "test.write", entity="test", entity_id=f"{tag}-{i}", territory="3", after={"i": i})
        if commit:
            s.commit()
        else:
            s.rollback()


def _seqs() -> list[int]:
    with session_scope() as s:
        return [e for e in s.exec(select(AuditEvent.seq).order_by(AuditEvent.seq)).all() if e is not None]  # type: ignore[arg-type]


def _sql(statement: str, **params: object) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(statement), params)


def _report() -> audit.ChainReport:
    with session_scope() as s:
        return audit.verify_chain(s)


def test_a_real_case_history_forms_an_unbroken_chain(session: Session) -> None:
    actors = staff(session)
    advance_to(session, actors, CaseState.VALIDATION_ISSUED)
    session.commit()
    events = session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()  # type: ignore[arg-type]
    assert len(events) > 10
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    report = _report()
    assert report.ok, report.summary()
    assert report.count == len(events) and report.head_hash == events[-1].hash
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"OK: {len(events)} events" in result.output


def test_an_edited_row_is_reported_at_its_position() -> None:
    _write(6)
    _sql("UPDATE auditevent SET after = :a WHERE seq = 4", a='{"i": 99}')
    report = _report()
    assert not report.ok
    assert (report.breaks[0].seq, report.breaks[0].kind) == (4, "edited")
    assert report.count == 3
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at sequence 4" in result.output and "edited" in result.output


def test_a_deleted_row_is_reported_where_it_was() -> None:
    _write(6)
    _sql("DELETE FROM auditevent WHERE seq = 3")
    first = _report().breaks[0]
    assert (first.seq, first.kind) == (4, "deleted") and "sequence 3 missing" in first.detail


def test_removing_the_latest_events_is_noticed_through_the_head() -> None:
    _write(5)
    _sql("DELETE FROM auditevent WHERE seq >= 4")
    report = _report()
    assert (report.breaks[0].seq, report.breaks[0].kind) == (4, "deleted")


def test_a_forged_row_is_reported_where_it_was_slipped_in() -> None:
    _write(5)
    with session_scope() as s:
        second = s.exec(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        # A forger who knows the algorithm makes a perfect-looking event at position 3 …
        forged = AuditEvent(
            actor="op3", actor_role="operator", action="case.closed", entity="case", entity_id="1", territory="3"
        )
        fields = forged.model_dump() | {"id": 1000, "seq": 3, "prev_hash": second.hash}
    # … and renumbers the rest to make room (two steps: the sequence is unique).
    _sql("UPDATE auditevent SET seq = -seq WHERE seq >= 3")
    _sql("UPDATE auditevent SET seq = 1 - seq WHERE seq < 0")
    _sql(
        "INSERT INTO auditevent (id, at, actor, actor_role, action, entity, entity_id, territory, seq, prev_hash, hash)"
        " VALUES (1000, :at, 'op3', 'operator', 'case.closed', 'case', '1', '3', 3, :prev, :hash)",
        at=fields["at"],
        prev=second.hash,
        hash=event_hash(fields),
    )
    first = _report().breaks[0]
    # Position 3 is self-consistent; the next one no longer links to it.
    assert (first.seq, first.kind) == (4, "reordered")


def test_a_row_written_outside_ivc_has_no_place_in_the_chain() -> None:
    _write(3)
    _sql(
        "INSERT INTO auditevent (at, actor, actor_role, action, entity) "
        "VALUES ('2030-01-01 00:00:00.000000', 'x', 'admin', 'forged', 'case')"
    )
    first = _report().breaks[0]
    assert first.kind == "unchained" and "forged" in first.detail


def test_a_rolled_back_transaction_leaves_no_gap() -> None:
    _write(2, tag="a")
    _write(3, commit=False, tag="b")
    _write(2, tag="c")
    assert _seqs() == [1, 2, 3, 4]
    assert _report().ok


def test_a_savepoint_rolled_back_drops_its_events_and_keeps_the_rest() -> None:
    with Session(get_engine()) as s:
        audit.record(s, OP, "test.outer", entity="test", territory="3")
        nested = s.begin_nested()
        audit.record(s, OP, "test.inner", entity="test", territory="3")
        nested.rollback()
        audit.record(s, OP, "test.after", entity="test", territory="3")
        s.commit()
        actions = s.exec(select(AuditEvent.action).order_by(AuditEvent.seq)).all()  # type: ignore[arg-type]
    assert actions == ["test.outer", "test.after"]
    assert _report().ok


def test_a_savepoint_released_keeps_the_events_recorded_before_it() -> None:
    # Services guard inserts with savepoints (a repeated submission lands once): releasing one
    # must not forget what the transaction recorded earlier.
    with Session(get_engine()) as s:
        audit.record(s, OP, "test.before", entity="test", territory="3")
        with s.begin_nested():
            audit.record(s, OP, "test.inside", entity="test", territory="3")
        with s.begin_nested():
            pass
        audit.record(s, OP, "test.after", entity="test", territory="3")
        s.commit()
        actions = s.exec(select(AuditEvent.action).order_by(AuditEvent.seq)).all()  # type: ignore[arg-type]
    assert actions == ["test.before", "test.inside", "test.after"]
    assert _report().ok


def test_one_session_committing_many_times_keeps_counting() -> None:
    with Session(get_engine(), expire_on_commit=False) as s:
        for i in range(4):
            audit.record(s, OP, "test.write", entity="test", entity_id=i, territory="3")
            s.commit()
    assert _seqs() == [1, 2, 3, 4] and _report().ok


def test_a_lost_head_row_is_rebuilt_from_the_last_event() -> None:
    _write(3)
    _sql("DELETE FROM audithead")
    _write(2)
    assert _seqs() == [1, 2, 3, 4, 5]
    assert _report().ok


def test_concurrent_writers_produce_one_gap_free_chain() -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for round_ in range(3):
                _write(2, commit=(n + round_) % 4 != 0, tag=f"{n}-{round_}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    committed = sum(2 for n in range(12) for r in range(3) if (n + r) % 4 != 0)
    assert _seqs() == list(range(1, committed + 1))
    report = _report()
    assert report.ok, report.summary()
    with session_scope() as s:
        head = s.get(AuditHead, 1)
        assert head is not None and head.seq == committed


def test_an_anchor_kept_elsewhere_exposes_a_rewritten_log() -> None:
    _write(3)
    with session_scope() as s:
        third = s.exec(select(AuditEvent).where(AuditEvent.seq == 3)).one()
        anchor = f"3:{third.hash}"
    assert runner.invoke(app, ["audit", "verify", "--anchor", anchor]).exit_code == 0
    # Rewriting the whole log with valid hashes passes the walk, but not the anchor.
    _sql("DELETE FROM auditevent")
    _sql("DELETE FROM audithead")
    _write(3, tag="rewritten")
    result = runner.invoke(app, ["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1 and "REWRITTEN" in result.output


@pytest.mark.parametrize("commit", [True, False])
def test_a_look_at_vulnerabilities_is_logged_without_the_values(session: Session, commit: bool) -> None:
    from ivc.person import service as persons
    from ivc.person.models import VulnerabilityKind
    from ivc.person.service import VulnerabilityIn

    from .helpers import person_in

    actors = staff(session)
    data = person_in(vulnerabilities=[VulnerabilityIn(kind=VulnerabilityKind.OTHER, note="seguita dal CSM")])
    person = persons.register_person(session, data, actors["op3"])
    session.commit()
    with Session(get_engine()) as reader:
        found = persons.vulnerabilities(reader, person.id or 0, actors["op3"])
        assert [v.note for v in found] == ["seguita dal CSM"]
        if commit:
            reader.commit()
        # otherwise the screen just closes: the read is logged all the same
    with session_scope() as s:
        reads = s.exec(select(AuditEvent).where(AuditEvent.action == audit.SPECIAL_READ)).all()
    assert len(reads) == 1
    assert reads[0].actor == "op3" and reads[0].entity_id == str(person.id)
    assert reads[0].after == {"fields": ["vulnerability.kind", "vulnerability.note"], "count": 1}
    assert "CSM" not in str(reads[0].after)
    assert _report().ok


def test_vulnerabilities_of_another_district_are_not_shown(session: Session) -> None:
    from ivc.errors import PermissionDenied
    from ivc.person import service as persons

    from .helpers import person_in

    actors = staff(session)
    person = persons.register_person(session, person_in(), actors["op3"])
    session.commit()
    with pytest.raises(PermissionDenied):
        persons.vulnerabilities(session, person.id or 0, actors["op1"])


def test_events_recorded_before_the_chain_existed_are_chained_by_the_upgrade(tmp_path: object) -> None:
    from ivc.database.migrate import upgrade

    url = f"sqlite:///{tmp_path}/old.sqlite3"
    upgrade(url, "0006")
    with get_engine(url).begin() as conn:
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO auditevent (at, actor, actor_role, action, entity, entity_id, after) "
                    "VALUES (:at, 'op3', 'operator', 'case.opened', 'case', :eid, :after)"
                ),
                {"at": f"2026-01-0{i + 1} 10:00:00.000000", "eid": str(i), "after": '{"state": "accesso"}'},
            )
    upgrade(url)
    with Session(get_engine(url)) as s:
        report = audit.verify_chain(s)
        assert report.ok and report.count == 3, report.summary()
        _write_to(s)
        assert audit.verify_chain(s).count == 4


def _write_to(s: Session) -> None:
    audit.record(s, OP, "test.after_upgrade", entity="test", territory="3")
    s.commit()
