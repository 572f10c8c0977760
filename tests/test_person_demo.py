"""Issue #22's "done when", on the demo's data: after the demo, a demo person signs in with the code
the demo printed, reads their path, has their certificate and its credentials, withdraws the
job-matching consent and sees who viewed their dossier."""

from __future__ import annotations

import pytest

from ivc.consent.models import ConsentPurpose
from ivc.database.core import session_scope
from ivc.demo.script import demo_person_access, run_demo
from ivc.personspace import access
from ivc.personspace import service as space

pytestmark = pytest.mark.slow


def test_a_demo_person_gets_a_printed_code_and_their_space_works() -> None:
    from ivc.flows.advance import advance_cases

    run_demo(advance_cases)
    with session_scope() as session:
        printed = demo_person_access(session)
    assert printed is not None and printed.birth_date is not None
    with session_scope() as session:
        me = access.sign_in(session, printed.code, printed.birth_date)
        pid = printed.person_id
        assert me.person_id == pid
        assert space.my_path(session, me, pid, "ar")
        docs = space.my_documents(session, me, pid)
        certificate = next(d for d in docs if d.doc_type == "certificato")
        assert "openbadge" in certificate.credentials
        space.withdraw(session, me, pid, ConsentPurpose.JOB_MATCHING)
        assert not {c.purpose: c for c in space.my_consents(session, me, pid)}["job_matching"].active
        space.who_looked(session, me, pid)
