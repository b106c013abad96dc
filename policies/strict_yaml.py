"""YAML for rule files: plain data only, duplicate keys refused, errors located by line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml


class StrictYamlError(ValueError):
    """A document is not valid YAML or repeats a key; says where when the parser knows."""

    def __init__(self, problem: str, line: int | None = None, column: int | None = None) -> None:
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{problem}")
        self.problem = problem
        self.line = line
        self.column = column


class _UniqueKeyLoader(yaml.SafeLoader):
    """Rejects duplicate keys, which plain YAML silently resolves to the last one."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def load_strict_yaml(text: str) -> Any:
    """The data in `text`; raises StrictYamlError on bad YAML or a repeated key."""
    try:
        # A SafeLoader subclass: only plain data, never arbitrary objects.
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise StrictYamlError(problem) from exc
        raise StrictYamlError(problem, mark.line + 1, mark.column + 1) from exc
    except yaml.YAMLError as exc:
        raise StrictYamlError(" ".join(str(exc).split())) from exc


def line_of(text: str, location: Sequence[str | int]) -> int | None:
    """The 1-based line where the value at `location` (keys and indexes) starts, if found."""
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError:
        return None
    line = None
    for step in location:
        if isinstance(node, yaml.MappingNode):
            found = next((pair for pair in node.value if pair[0].value == str(step)), None)
            if found is None:
                break
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line
