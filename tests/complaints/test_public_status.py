"""Every state a complaint can be in has a public status for the tracking page (a new internal state must not
show the citizen a blank)."""

from xiaoneng.complaints.portal import PUBLIC_STATUS
from xiaoneng.complaints.workflow import WORKFLOW


def test_every_state_has_a_public_status():
    assert set(WORKFLOW.states) <= set(PUBLIC_STATUS), set(WORKFLOW.states) - set(PUBLIC_STATUS)
    assert str(PUBLIC_STATUS["unit_review"]) == "办理中"  # the unit head reviewing the reply is still 办理中
