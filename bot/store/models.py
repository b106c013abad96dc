"""Tables: signals, incidents, the append-only event log, the outbox, receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class SignalRow(SQLModel, table=True):
    """One normalized alert delivery, kept whether or not it opened an incident."""

    __tablename__ = "signals"

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
    group_key: str = Field(max_length=64, index=True)
    open_group_key: str | None = Field(default=None, max_length=64, unique=True)
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


class SlackEventReceipt(SQLModel, table=True):
    """Events API deliveries already handled, keyed by Slack's event_id."""

    __tablename__ = "slack_event_receipts"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _utc()
