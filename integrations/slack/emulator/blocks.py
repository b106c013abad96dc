"""Block Kit validation with the limits Slack enforces server-side."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from .errors import SlackError
from .params import Params

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# Slack rejects messages whose blocks hold more than roughly 12,000 characters of text in total
# (undocumented; bolt-js#2509 measured ~13,200 including block overhead).
MAX_TOTAL_BLOCK_TEXT = 12_000

_TEXT_LIMITS = {"header": 150, "section": 3000, "markdown": 12_000}
_ELEMENT_LIMITS = {"actions": 25, "context": 10}


def read_blocks(params: Params, *, limit: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]] | None:
    """The `blocks` argument validated, or None when it was not given."""
    raw = params.structured("blocks", invalid_error="invalid_blocks_format")
    if raw is None:
        return None
    return validate_blocks(raw, limit=limit)


def validate_blocks(raw: Any, *, limit: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """Check a blocks array the way chat.postMessage does and return it typed."""
    if not isinstance(raw, list):
        raise SlackError("invalid_blocks_format")
    if len(raw) > limit:
        raise _invalid(f"no more than {limit} items allowed", "")
    block_ids: set[str] = set()
    for index, block in enumerate(raw):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _invalid("missing required field: type", pointer)
        _check_block(block, pointer)
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > 255:
                raise _invalid("must be less than 256 characters", f"{pointer}/block_id")
            if block_id in block_ids:
                raise _invalid(f"duplicate block_id {block_id}", f"{pointer}/block_id")
            block_ids.add(block_id)
    if sum(len(text) for text in _texts(raw)) > MAX_TOTAL_BLOCK_TEXT:
        raise SlackError("msg_blocks_too_long")
    return raw


def with_block_ids(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Copies of the blocks where each has a block_id, as Slack fills in missing ones."""
    if blocks is None:
        return None
    taken = {b["block_id"] for b in blocks if isinstance(b.get("block_id"), str)}
    result: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block.get("block_id"), str):
            result.append(block)
            continue
        seed = json.dumps(block, sort_keys=True)
        block_id = hashlib.sha256(seed.encode()).hexdigest()[:5]
        while block_id in taken:
            seed += "+"
            block_id = hashlib.sha256(seed.encode()).hexdigest()[:5]
        taken.add(block_id)
        result.append({**block, "block_id": block_id})
    return result


def _check_block(block: dict[str, Any], pointer: str) -> None:
    kind = block["type"]
    text = block.get("text")
    if kind in ("header", "section", "markdown"):
        body = text if kind == "markdown" else text.get("text") if isinstance(text, dict) else None
        if kind == "section" and body is None and not block.get("fields"):
            raise _invalid("must provide either text or fields", pointer)
        if kind != "section" and not isinstance(body, str):
            raise _invalid("missing required field: text", f"{pointer}/text")
        if isinstance(body, str) and len(body) > _TEXT_LIMITS[kind]:
            limit = _TEXT_LIMITS[kind] + 1
            raise _invalid(f"must be less than {limit} characters", f"{pointer}/text")
    if kind == "section":
        fields = block.get("fields") or []
        if len(fields) > 10:
            raise _invalid("no more than 10 items allowed", f"{pointer}/fields")
        for number, item in enumerate(fields):
            if not isinstance(item, dict) or len(str(item.get("text", ""))) > 2000:
                raise _invalid("must be less than 2001 characters", f"{pointer}/fields/{number}")
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            _check_element(accessory, f"{pointer}/accessory")
    if kind in _ELEMENT_LIMITS:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            raise _invalid("must contain at least 1 item", f"{pointer}/elements")
        if len(elements) > _ELEMENT_LIMITS[kind]:
            limit = _ELEMENT_LIMITS[kind]
            raise _invalid(f"no more than {limit} items allowed", f"{pointer}/elements")
        if kind == "actions":
            for number, element in enumerate(elements):
                _check_element(element, f"{pointer}/elements/{number}")


def _check_element(element: Any, pointer: str) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        raise _invalid("missing required field: type", pointer)
    action_id = element.get("action_id")
    if action_id is not None and len(str(action_id)) > 255:
        raise _invalid("must be less than 256 characters", f"{pointer}/action_id")
    if element["type"] != "button":
        return
    label = element.get("text")
    if not isinstance(label, dict) or not isinstance(label.get("text"), str):
        raise _invalid("missing required field: text", f"{pointer}/text")
    if len(label["text"]) > 75:
        raise _invalid("must be less than 76 characters", f"{pointer}/text")
    if len(str(element.get("value", ""))) > 2000:
        raise _invalid("must be less than 2001 characters", f"{pointer}/value")
    if element.get("style") not in (None, "primary", "danger"):
        raise _invalid("must be one of primary, danger", f"{pointer}/style")


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _invalid(message: str, pointer: str) -> SlackError:
    detail = f"[ERROR] {message} [json-pointer:{pointer}]"
    return SlackError("invalid_blocks", response_metadata={"messages": [detail]})
