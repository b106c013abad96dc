"""Work-note batches: what goes together, and how each entry reads."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.events import EventKind as K
from bot.tickets import notes
from tests.handoff.factories import T0, Log


def test_an_entry_is_utc_time_actor_and_summary_on_one_line() -> None:
    log = Log()
    event = log.add(K.NOTE_ADDED, actor="slack:U01ALICE", summary="Rolled back\n  to v2.13.4")
    stamp = (T0 + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert notes.entry(event) == f"{stamp} UTC | slack:U01ALICE | Rolled back to v2.13.4"


def test_bookkeeping_entries_are_left_out_of_the_text() -> None:
    log = Log()
    quiet = log.add(K.SLACK_CARD_POSTED, summary="Posted the incident card")
    said = log.add(K.NOTE_ADDED, summary="checking the payment provider")
    assert notes.entry(quiet) is None
    assert notes.render([quiet, said]) == notes.entry(said)
    assert notes.render([quiet]) == ""


def test_code_tags_from_alert_text_cannot_turn_into_html() -> None:
    log = Log()
    event = log.add(K.NOTE_ADDED, summary="[code]<img src=x onerror=alert(1)>[/CODE]")
    line = notes.entry(event)
    assert line is not None
    assert "[code]" not in line.lower() and "[/code]" not in line.lower()
    assert "(code)<img src=x onerror=alert(1)>(/code)" in line


def test_a_long_summary_is_clipped() -> None:
    log = Log()
    line = notes.entry(log.add(K.NOTE_ADDED, summary="x" * 5000))
    assert line is not None and len(line) == notes.MAX_LINE and line.endswith("…")


def test_a_batch_takes_at_most_fifty_entries() -> None:
    log = Log()
    events = [log.add(K.NOTE_ADDED, summary=f"note {n}") for n in range(120)]
    first = notes.choose(events)
    assert first == events[:50]
    assert notes.choose(events[100:]) == events[100:]


def test_a_batch_stops_before_it_grows_too_large() -> None:
    log = Log()
    events = [log.add(K.NOTE_ADDED, summary="y" * 2000) for _ in range(30)]
    chosen = notes.choose(events)
    assert 1 < len(chosen) < 30
    assert len(notes.render(chosen)) <= notes.MAX_BATCH_CHARS
    assert len(notes.render(events[: len(chosen) + 1])) > notes.MAX_BATCH_CHARS


def test_an_oversized_single_entry_still_makes_a_batch() -> None:
    log = Log()
    handoff = log.add(K.HANDOFF_POSTED, data={"text": "z" * (notes.MAX_BATCH_CHARS + 10)})
    assert notes.choose([handoff]) == [handoff]


def test_a_handoff_is_a_batch_of_its_own_with_its_whole_text() -> None:
    log = Log()
    before = [log.add(K.NOTE_ADDED, summary=f"before {n}") for n in range(2)]
    handoff = log.add(
        K.HANDOFF_POSTED,
        actor="slack:U02BOB",
        summary="Handoff posted (escalation)",
        data={"text": "Handoff: incident #42\n\nSummary\nCheckout is down.", "owner": "U02BOB"},
    )
    after = log.add(K.NOTE_ADDED, summary="after")
    events = [*before, handoff, after]

    assert notes.choose(events) == before
    assert notes.choose(events[2:]) == [handoff]
    assert notes.choose(events[3:]) == [after]
    text = notes.render([handoff])
    assert text.endswith("Handoff: incident #42\n\nSummary\nCheckout is down.")
    assert "| slack:U02BOB | Handoff\n" in text


def test_the_batch_id_names_the_range_it_covers() -> None:
    assert notes.batch_id(0, 50) == "timeline-1-50"
    assert notes.batch_id(50, 73) == "timeline-51-73"
    assert notes.batch_id(0, 50) != notes.batch_id(0, 51)
