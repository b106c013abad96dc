"""Tables: signals, incidents, the append-only event log, the outbox, receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class SignalRow(SQLModel, table=True):
    """One normalized alert delivery, kept whether or not it opened an incident."""

    __tablename__ = "signals"
    # The storm breaker counts the services alerting in one environment in a window.
    __table_args__ = (Index("ix_signals_environment_received_at", "environment", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_key: str = Field(max_length=64, unique=True)
    source: str = Field(max_length=64)
    fingerprint: str = Field(max_length=255, index=True)
    group_key: str = Field(max_length=64, index=True)
    environment: str = Field(max_length=64)
    service: str = Field(max_length=255)
    severity: str = Field(max_length=16)
    status: str = Field(max_length=16)
    summary: str = Field(sa_type=Text)
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    annotations: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    links: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    starts_at: datetime = _utc()
    ends_at: datetime | None = _utc(nullable=True)
    received_at: datetime = _utc()
    delivery_id: str | None = Field(default=None, max_length=255)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    # The resolved Subject (bot.domain.subject) as JSON.
    subject: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class IncidentRow(SQLModel, table=True):
    """An incident; `open_group_key` is set only while open, so the DB refuses twins."""

    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    correlation_id: str = Field(max_length=64, unique=True)
    title: str = Field(sa_type=Text)
    service: str = Field(max_length=255)
    environment: str = Field(max_length=64)
    severity: str = Field(max_length=16)
    status: str = Field(max_length=16, index=True)
    source: str = Field(max_length=64)
    subject: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    group_key: str = Field(max_length=64, index=True)
    open_group_key: str | None = Field(default=None, max_length=64, unique=True)
    # "storm" for the one incident new alerts join while the storm breaker is open.
    kind: str = Field(
        default="incident", max_length=16, sa_column_kwargs={"server_default": "incident"}
    )
    # The storm this incident was split out of.
    split_from_id: int | None = Field(default=None)
    storm_subsided_at: datetime | None = _utc(nullable=True)
    signal_resolved: bool = False
    signal_count: int = 1
    links: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    channel_name: str | None = Field(default=None, max_length=80)
    channel_id: str | None = Field(default=None, max_length=32)
    topic_set: bool = False
    responders_invited: bool = False
    card_ts: str | None = Field(default=None, max_length=32)
    card_pinned: bool = False
    announced: bool = False
    ticket_ref: str | None = Field(default=None, max_length=255)
    ticket_sys_id: str | None = Field(default=None, max_length=64)
    ticket_url: str | None = Field(default=None, sa_type=Text)
    # Highest event id already written to the ticket's work notes.
    ticket_notes_cursor: int = 0
    # Last event id of the work-notes batch in flight; a retry resends exactly that batch.
    ticket_notes_pending_to: int | None = Field(default=None)
    # Set while ticket writes fail, so the channel is told once per outage.
    ticket_sync_failing: bool = False
    triage_card_ts: str | None = Field(default=None, max_length=32)
    triage_id: int | None = Field(default=None)
    owner: str | None = Field(default=None, max_length=64)
    pager_dedup_key: str | None = Field(default=None, max_length=255)
    paged_at: datetime | None = _utc(nullable=True)
    escalated_at: datetime | None = _utc(nullable=True)
    version: int = 1
    triggered_at: datetime = _utc()
    acknowledged_at: datetime | None = _utc(nullable=True)
    mitigated_at: datetime | None = _utc(nullable=True)
    resolved_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)
    updated_at: datetime = _utc()


class EventRow(SQLModel, table=True):
    """One append-only entry: the timeline and the audit trail in one table."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_incident_at", "incident_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id")
    at: datetime = _utc(index=True)
    actor: str = Field(max_length=255)
    kind: str = Field(max_length=64, index=True)
    summary: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    correlation_id: str = Field(max_length=64, index=True)


class OutboxRow(SQLModel, table=True):
    """A durable side effect (Slack or ticket write), retried until done."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    # Which work this is (bot/outbox/lane_names.py): the incident's Slack writes, the
    # adapters, the pager, the ticket or a timer; ordering and claiming go by it.
    lane: str = Field(default="slack", max_length=16)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    correlation_id: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    not_before: datetime = _utc()
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _utc()
    done_at: datetime | None = _utc(nullable=True)


class CircuitBreakerRow(SQLModel, table=True):
    """One adapter's circuit breaker, shared by every replica through the database."""

    __tablename__ = "circuit_breakers"

    name: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    opened_at: datetime | None = _utc(nullable=True)
    updated_at: datetime = _utc()


class SlackEventReceipt(SQLModel, table=True):
    """Events API deliveries already handled, keyed by Slack's event_id."""

    __tablename__ = "slack_event_receipts"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _utc()


class SlackRequestReceipt(SQLModel, table=True):
    """Signed slash commands and interactions already handled: a replay is dropped.

    Keyed by a hash of the signed timestamp and body, which a replay repeats exactly;
    kept for Slack's five-minute signature window, after which a replay is stale anyway.
    """

    __tablename__ = "slack_request_receipts"

    digest: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _utc(index=True)


class ChangeRow(SQLModel, table=True):
    """A deploy, config change or flag flip reported by a change system."""

    __tablename__ = "changes"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_changes_source_external_id"),
        Index("ix_changes_scope_at", "environment", "service", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=255)
    service: str = Field(max_length=255)
    environment: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    subject: str = Field(default="", max_length=255)
    description: str = Field(sa_type=Text)
    pointer: str = Field(sa_type=Text)
    actor: str = Field(default="", max_length=255)
    at: datetime = _utc()
    received_at: datetime = _utc()


class TriageRow(SQLModel, table=True):
    """One triage of an incident: what was asked, what came back, what code settled."""

    __tablename__ = "triages"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    status: str = Field(default="pending", max_length=16)
    source: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=128)
    prompt_version: str | None = Field(default=None, max_length=64)
    fallback_reason: str | None = Field(default=None, max_length=32)
    context_tokens: int = 0
    checked: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    correlation_id: str = Field(max_length=64)
    created_at: datetime = _utc()
    completed_at: datetime | None = _utc(nullable=True)


class ActionRow(SQLModel, table=True):
    """One proposed action and its way through decision, approval, execution, verification."""

    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    triage_id: int | None = Field(default=None, foreign_key="triages.id")
    action: str = Field(max_length=64)
    target: str = Field(max_length=255)
    service: str = Field(max_length=255)
    environment: str = Field(max_length=64)
    subject: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    params: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    params_hash: str = Field(max_length=64)
    rationale: str = Field(default="", sa_type=Text)
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = _utc()
    expires_at: datetime = _utc()
    decision: str = Field(max_length=32)
    reasons: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    policy_version: str = Field(max_length=64)
    risk_class: str = Field(max_length=16)
    approvals_needed: int = 0
    state: str = Field(max_length=32, index=True)
    approvers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _utc(nullable=True)
    plan: str | None = Field(default=None, sa_type=Text)
    adapter: str | None = Field(default=None, max_length=64)
    idempotency_key: str = Field(max_length=128, unique=True)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error_code: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    started_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)
    verify_until: datetime | None = _utc(nullable=True)
    verified_at: datetime | None = _utc(nullable=True)
    version: int = 1
    # The executed action this one undoes through its adapter's rollback().
    undo_of: int | None = Field(default=None, foreign_key="actions.id", index=True)


class AutonomyRow(SQLModel, table=True):
    """Freeze and mode override for one scope: "*" for the whole fleet, else a service."""

    __tablename__ = "autonomy"

    scope: str = Field(primary_key=True, max_length=255)
    frozen: bool = False
    frozen_until: datetime | None = _utc(nullable=True)
    reason: str = Field(default="", sa_type=Text)
    mode: str | None = Field(default=None, max_length=16)
    set_by: str = Field(default="", max_length=64)
    set_at: datetime = _utc()


class PinRow(SQLModel, table=True):
    """A channel message pinned to the timeline by reaction, kept once per message."""

    __tablename__ = "timeline_pins"

    channel_id: str = Field(primary_key=True, max_length=32)
    message_ts: str = Field(primary_key=True, max_length=32)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    pinned_at: datetime = _utc()


class AuditChainRow(SQLModel, table=True):
    """An event's place in its incident's hash chain: the hash before it, and its own."""

    __tablename__ = "audit_chain"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_chain_chain_seq"),)

    event_id: int = Field(primary_key=True, foreign_key="events.id")
    # The incident id; 0 for entries that belong to no incident.
    chain: int = Field(index=True)
    seq: int
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)
    sealed_at: datetime = _utc()
