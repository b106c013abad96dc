"""`ServiceNowTicketing`: the Ticketing capability on the ServiceNow incident table."""

from __future__ import annotations

import logging
import re

from bot.domain.clock import Clock, utcnow
from bot.ports.adapters import AdapterError, NotReady
from bot.ports.ticketing import TicketDraft, TicketRef
from integrations.servicenow.client import SYS_ID, Record, TableClient
from integrations.servicenow.config import ServiceNowConfig

log = logging.getLogger(__name__)

INCIDENT = "incident"
JOURNAL = "sys_journal_field"
# ServiceNow's column sizes: longer values are cut off by the instance, not rejected.
SHORT_DESCRIPTION_MAX = 160
# Kept out of identifiers because they would break or reshape an encoded query.
SAFE_KEY = re.compile(r"[A-Za-z0-9._:@/+=-]{1,100}")
TRUNCATION_MARK = "\n[…truncated]"
# Enough rows to see past near-misses (case variants, quoted markers) to the exact match.
LOOKUP_LIMIT = 20


def batch_marker(batch_id: str) -> str:
    """The first line of every work note we write, so a repeat can find the original."""
    return f"[smokejumper batch {batch_id}]"


def _check_key(kind: str, value: str) -> None:
    if not SAFE_KEY.fullmatch(value):
        raise AdapterError(
            f"invalid_{kind}",
            f"ServiceNow {kind} must be 1-100 letters, digits or ._:@/+=-",
            retryable=False,
        )


def _check_ref(ref: TicketRef) -> None:
    if not SYS_ID.fullmatch(ref.sys_id):
        raise AdapterError("invalid_sys_id", "ServiceNow sys_id is malformed", retryable=False)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_MARK)].rstrip() + TRUNCATION_MARK


class ServiceNowTicketing:
    """Incident tickets that a retry finds instead of duplicating, with once-only work notes.

    Every operation looks before it writes, so the caller may simply run it again after
    any failure (the ticket jobs do, through the outbox); nothing here retries.
    """

    name = "servicenow"

    def __init__(
        self,
        config: ServiceNowConfig,
        client: TableClient | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._config = config
        self._client = client or TableClient(config, clock=clock)
        self._references: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"<ServiceNowTicketing {self._config.instance_url}>"

    def ticket_url(self, sys_id: str) -> str:
        """Where a human opens the incident in the instance's UI."""
        return f"{self._config.instance_url}/nav_to.do?uri=incident.do?sys_id={sys_id}"

    async def probe(self) -> None:
        """Read one incident: proves the instance answers and accepts our credentials."""
        try:
            await self._client.query(INCIDENT, "", fields=["sys_id"], limit=1)
        except AdapterError as exc:
            raise NotReady(self.name, exc.code) from None

    async def find_or_create(self, draft: TicketDraft) -> TicketRef:
        """The incident carrying `draft.correlation_id`, created only if none exists."""
        _check_key("correlation_id", draft.correlation_id)
        existing = await self._find(draft.correlation_id)
        if existing is not None:
            return existing
        record = await self._client.create(INCIDENT, await self._new_incident(draft))
        ref = self._ref(record)
        log.info("ServiceNow incident %s created for %s", ref.number, draft.correlation_id)
        return ref

    async def append_work_notes(self, ref: TicketRef, batch_id: str, text: str) -> None:
        """Write `text` as a work note unless the journal already holds this batch."""
        _check_ref(ref)
        _check_key("batch_id", batch_id)
        if not text.strip():
            return
        marker = batch_marker(batch_id)
        if await self._journal_has(ref.sys_id, marker):
            log.debug("ServiceNow %s already has batch %s", ref.number, batch_id)
            return
        await self._client.patch(INCIDENT, ref.sys_id, {"work_notes": f"{marker}\n{text}"})

    async def resolve(self, ref: TicketRef, close_notes: str) -> None:
        """Move the incident to the resolved state with close code and notes, once."""
        _check_ref(ref)
        config = self._config
        notes = _truncate(config.close_notes_prefix + close_notes, config.close_notes_max_chars)
        payload = {
            **config.resolve_extra_fields,
            "state": config.resolved_state,
            "close_code": config.close_code,
            "close_notes": notes,
        }
        current = await self._client.get(INCIDENT, ref.sys_id, fields=["sys_id", "state"])
        if str(current.get("state", "")) in config.final_states:
            log.debug("ServiceNow %s is already in state %s", ref.number, current["state"])
            return
        await self._client.patch(INCIDENT, ref.sys_id, payload)

    async def close(self) -> None:
        """Release the client's connections."""
        await self._client.close()

    async def _find(self, correlation_id: str) -> TicketRef | None:
        records = await self._client.query(
            INCIDENT,
            f"correlation_id={correlation_id}^ORDERBYsys_created_on",
            fields=["sys_id", "number", "correlation_id"],
            limit=LOOKUP_LIMIT,
        )
        # Instances compare strings without case and skip query terms they cannot apply,
        # so only an exact match counts.
        for record in records:
            if record.get("correlation_id") == correlation_id:
                return self._ref(record)
        return None

    async def _journal_has(self, sys_id: str, marker: str) -> bool:
        records = await self._client.query(
            JOURNAL,
            f"element_id={sys_id}^element=work_notes^valueLIKE{marker}",
            fields=["sys_id", "element_id", "value"],
            limit=LOOKUP_LIMIT,
        )
        # LIKE also matches notes that merely quote the marker, or differ in case.
        return any(
            record.get("element_id") == sys_id
            and str(record.get("value", "")).split("\n", 1)[0].strip() == marker
            for record in records
        )

    async def _new_incident(self, draft: TicketDraft) -> dict[str, str]:
        config = self._config
        priority = config.priority_for(draft.classification)
        payload = {
            "short_description": _truncate(draft.short_description, SHORT_DESCRIPTION_MAX),
            "description": f"{draft.description}\n\nSlack channel: {draft.channel_url}",
            "urgency": str(priority.urgency),
            "impact": str(priority.impact),
            "category": config.category,
            "correlation_id": draft.correlation_id,
            "correlation_display": config.correlation_display,
        }
        group = await self._reference("sys_user_group", "name", config.group_for(draft.team))
        if group:
            payload["assignment_group"] = group
        caller = await self._reference("sys_user", "user_name", config.caller_id)
        if caller:
            payload["caller_id"] = caller
        return payload

    async def _reference(self, table: str, key_field: str, value: str) -> str:
        """A reference field's sys_id from a configured sys_id or name; empty if unknown."""
        if not value or SYS_ID.fullmatch(value):
            return value
        cached = self._references.get((table, value))
        if cached:
            return cached
        if "^" in value:
            log.warning("ServiceNow %s %r cannot be looked up; left unset", table, value)
            return ""
        records = await self._client.query(
            table, f"{key_field}={value}", fields=["sys_id", key_field], limit=LOOKUP_LIMIT
        )
        for record in records:
            if record.get(key_field) == value and SYS_ID.fullmatch(str(record.get("sys_id"))):
                self._references[(table, value)] = str(record["sys_id"])
                return str(record["sys_id"])
        log.warning("ServiceNow %s %r not found; the field is left unset", table, value)
        return ""

    def _ref(self, record: Record) -> TicketRef:
        sys_id = str(record.get("sys_id", ""))
        number = str(record.get("number", ""))
        if not SYS_ID.fullmatch(sys_id) or not number:
            raise AdapterError(
                "bad_response", "ServiceNow returned an incident without sys_id", retryable=True
            )
        return TicketRef(number=number, sys_id=sys_id, url=self.ticket_url(sys_id))
