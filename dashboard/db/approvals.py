"""The review gate for generated flows: who approved which flow, and when.

Recrubo publishes a flow a generation made at once (API reference §5.8, §6.2); the dashboard holds such a flow back
from its launch pickers until someone here approves it. A flow without `flowGenerationId` (built by hand) is never
held. One row per approved flow; a flow without a row and with a generation awaits review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.db.base import Base, session_scope

ID = 64


class FlowApproval(Base):
    """A generated flow someone approved for launching: the flow, the generation that made it, who and when."""

    __tablename__ = "flow_approvals"

    flow_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    flow_generation_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    # The account's e-mail is kept as well as its id: the approval stays readable after the account is removed.
    approved_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_by: Mapped[str] = mapped_column(String(320))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Approval:
    """An approval as pages show it."""

    flow_id: str
    flow_generation_id: str | None
    approved_by: str
    approved_at: datetime

    @property
    def approved_at_iso(self) -> str:
        """The moment as the API writes times (for the `when` macro)."""
        moment = self.approved_at if self.approved_at.tzinfo else self.approved_at.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _approval(row: FlowApproval) -> Approval:
    return Approval(row.flow_id, row.flow_generation_id, row.approved_by, row.approved_at)


def approve(flow_id: str, generation_id: str | None, user_id: int | None, email: str) -> Approval:
    """Record that `email` approved the flow now; approving again keeps the first approval (and returns it)."""
    found = approval(flow_id)
    if found is not None:
        return found
    try:
        with session_scope() as session:
            session.add(FlowApproval(flow_id=flow_id, flow_generation_id=generation_id, approved_by_id=user_id,
                                     approved_by=email, approved_at=datetime.now(timezone.utc)))
    except IntegrityError:  # approved by someone else a moment ago: theirs stands
        pass
    found = approval(flow_id)
    assert found is not None
    return found


def approval(flow_id: str) -> Approval | None:
    """The flow's approval, or None."""
    with session_scope() as session:
        row = session.get(FlowApproval, flow_id)
        return _approval(row) if row is not None else None


def approved(flow_ids: Iterable[str]) -> set[str]:
    """Which of these flows were approved."""
    ids = list(dict.fromkeys(flow_ids))
    if not ids:
        return set()
    with session_scope() as session:
        return set(session.scalars(select(FlowApproval.flow_id).where(FlowApproval.flow_id.in_(ids))))


def generated(flow: Mapping) -> bool:
    """True when a generation made the flow (its read-only `flowGenerationId`, reference §5.8)."""
    return bool(flow.get("flowGenerationId"))


def awaiting_review(flow: Mapping | None) -> bool:
    """True when the flow was generated and nobody here has approved it yet (hand-built flows: never)."""
    if not flow or not generated(flow) or not flow.get("id"):
        return False
    return approval(str(flow["id"])) is None


def split(flows: Iterable[Mapping]) -> tuple[list[Mapping], list[Mapping]]:
    """The flows a launch picker offers (hand-built or approved) and the generated ones held back for review, each
    in the order given."""
    flows = list(flows)
    done = approved(str(flow["id"]) for flow in flows if generated(flow))
    offered = [flow for flow in flows if not generated(flow) or flow["id"] in done]
    held = [flow for flow in flows if generated(flow) and flow["id"] not in done]
    return offered, held


def init_app(app: Flask) -> None:
    """Let every template (and every push) ask whether a flow awaits review, and who approved it when."""
    app.add_template_global(awaiting_review)
    app.add_template_global(approval, "flow_approval")
