"""Block Kit rendered as terminal-friendly plain text lines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Humanize = Callable[[str], str]

DIVIDER = "-" * 24


def render_blocks(blocks: Iterable[dict[str, Any]], humanize: Humanize = str) -> list[str]:
    """Every block as one or more lines, in order."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(_block(block, humanize))
    return lines


def text_of(value: Any) -> str:
    """The string inside a text object (or a bare string)."""
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return value if isinstance(value, str) else ""


def element_label(element: Any) -> str:
    """How an interactive element looks: buttons as [Label], menus as [Placeholder v]."""
    if not isinstance(element, dict):
        return ""
    kind = element.get("type", "")
    if kind == "button":
        return f"[{text_of(element.get('text'))}]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "overflow":
        return "[...]"
    if kind.endswith("_select") or kind.endswith("_select_multi") or kind == "multi_static_select":
        placeholder = text_of(element.get("placeholder")) or "Select"
        return f"[{placeholder} v]"
    if kind in ("plain_text", "mrkdwn"):
        return text_of(element)
    return f"[{kind}]"


def _block(block: dict[str, Any], humanize: Humanize) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"== {humanize(text_of(block.get('text')))} =="]
    if kind == "section":
        return _section(block, humanize)
    if kind == "divider":
        return [DIVIDER]
    if kind == "context":
        parts = [
            humanize(text_of(e)) if e.get("type") in ("mrkdwn", "plain_text") else element_label(e)
            for e in block.get("elements", [])
            if isinstance(e, dict)
        ]
        return [" | ".join(parts)]
    if kind == "actions":
        return [" ".join(element_label(e) for e in block.get("elements", []))]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "markdown":
        return humanize(str(block.get("text", ""))).splitlines()
    if kind == "rich_text":
        return humanize(_rich_text(block.get("elements", []))).splitlines()
    if kind == "input":
        return [f"{text_of(block.get('label'))}: {element_label(block.get('element'))}"]
    return [f"[{kind} block]"]


def _section(block: dict[str, Any], humanize: Humanize) -> list[str]:
    lines = humanize(text_of(block.get("text"))).splitlines()
    for field in block.get("fields", []):
        lines.extend(humanize(text_of(field)).splitlines())
    accessory = block.get("accessory")
    if accessory:
        label = element_label(accessory)
        if lines:
            lines[-1] = f"{lines[-1]}  {label}"
        else:
            lines.append(label)
    return lines


def _rich_text(elements: Any) -> str:
    if isinstance(elements, list):
        return "".join(_rich_text(e) for e in elements)
    if not isinstance(elements, dict):
        return ""
    kind = elements.get("type")
    if kind == "text":
        return str(elements.get("text", ""))
    if kind == "user":
        return f"<@{elements.get('user_id', '')}>"
    if kind == "channel":
        return f"<#{elements.get('channel_id', '')}>"
    if kind == "link":
        return str(elements.get("text") or elements.get("url", ""))
    if kind == "emoji":
        return f":{elements.get('name', '')}:"
    if kind in ("rich_text_list",):
        return "\n".join(f"- {_rich_text(item)}" for item in elements.get("elements", [])) + "\n"
    inner = _rich_text(elements.get("elements", []))
    return inner + "\n" if kind in ("rich_text_preformatted", "rich_text_quote") else inner
