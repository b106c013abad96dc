"""`FakeTicketing`: an in-memory Ticketing with the real adapter's idempotence, for tests."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Literal

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.ticketing import TicketDraft, TicketRef

Operation = Literal["probe", "find_or_create", "append_work_notes", "resolve"]


@dataclass
class FakeTicket:
    ref: TicketRef
    draft: TicketDraft
    work_notes: list[tuple[str, str]] = field(default_factory=list)  # (batch_id, text)
    resolved_notes: str | None = None


@dataclass
class _Outage:
    remaining: int
    code: str
    retryable: bool
    operations: frozenset[str] | None
    after_commit: bool


class FakeTicketing:
    """Tickets keyed by correlation id, notes once per batch id, with scripted outages."""

    def __init__(
        self, name: str = "servicenow", base_url: str = "https://fake.service-now.test"
    ) -> None:
        self.name = name
        self._base_url = base_url
        self._numbers = itertools.count(10001)
        self.tickets: dict[str, FakeTicket] = {}  # by correlation id
        self.calls: list[tuple[Operation, str]] = []  # (operation, correlation id or sys_id)
        self._outages: list[_Outage] = []
        self._down = False

    def fail_next(
        self,
        times: int = 1,
        *,
        operations: set[Operation] | None = None,
        code: str = "server_error",
        retryable: bool = True,
        after_commit: bool = False,
    ) -> None:
        """Fail the next `times` calls; `after_commit` applies the change first (a lost reply)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        scope = frozenset(operations) if operations is not None else None
        self._outages.append(_Outage(times, code, retryable, scope, after_commit))

    def go_down(self) -> None:
        """Every call fails as unreachable until `come_back`."""
        self._down = True

    def come_back(self) -> None:
        self._down = False

    def ticket(self, ref: TicketRef) -> FakeTicket:
        """The stored ticket behind a ref."""
        for ticket in self.tickets.values():
            if ticket.ref.sys_id == ref.sys_id:
                return ticket
        raise KeyError(ref.sys_id)

    async def probe(self) -> None:
        self.calls.append(("probe", ""))
        try:
            self._check("probe", committed=False)
        except AdapterError as exc:
            raise NotReady(self.name, exc.code) from None

    async def find_or_create(self, draft: TicketDraft) -> TicketRef:
        self.calls.append(("find_or_create", draft.correlation_id))
        self._check("find_or_create", committed=False)
        ticket = self.tickets.get(draft.correlation_id)
        if ticket is None:
            sys_id = uuid.uuid4().hex
            ref = TicketRef(
                number=f"INC{next(self._numbers):07d}",
                sys_id=sys_id,
                url=f"{self._base_url}/nav_to.do?uri=incident.do?sys_id={sys_id}",
            )
            ticket = self.tickets[draft.correlation_id] = FakeTicket(ref, draft)
        self._check("find_or_create", committed=True)
        return ticket.ref

    async def append_work_notes(self, ref: TicketRef, batch_id: str, text: str) -> None:
        self.calls.append(("append_work_notes", ref.sys_id))
        self._check("append_work_notes", committed=False)
        ticket = self._stored(ref, "append_work_notes")
        if text.strip() and all(batch != batch_id for batch, _ in ticket.work_notes):
            ticket.work_notes.append((batch_id, text))
        self._check("append_work_notes", committed=True)

    async def resolve(self, ref: TicketRef, close_notes: str) -> None:
        self.calls.append(("resolve", ref.sys_id))
        self._check("resolve", committed=False)
        ticket = self._stored(ref, "resolve")
        if ticket.resolved_notes is None:
            ticket.resolved_notes = close_notes
        self._check("resolve", committed=True)

    def _stored(self, ref: TicketRef, operation: Operation) -> FakeTicket:
        try:
            return self.ticket(ref)
        except KeyError:
            raise AdapterError(
                "not_found", f"ServiceNow {operation} failed with HTTP 404", retryable=False
            ) from None

    def _check(self, operation: Operation, *, committed: bool) -> None:
        if self._down and not committed:
            raise AdapterError(
                "connection_error", f"ServiceNow {operation}: instance unreachable", retryable=True
            )
        for outage in self._outages:
            in_scope = outage.operations is None or operation in outage.operations
            if in_scope and outage.after_commit == committed:
                outage.remaining -= 1
                if outage.remaining == 0:
                    self._outages.remove(outage)
                raise AdapterError(
                    outage.code,
                    f"ServiceNow {operation} failed ({outage.code})",
                    retryable=outage.retryable,
                )
