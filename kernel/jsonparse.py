"""The one way a JSON body from outside becomes Python: every API body (the ninja parser, config/api.py) and every
provider notification (payments, couriers, Cloudinary) is read here.

The standard library's parser recurses once per nesting level: `[[[[...]]]]` a few thousand deep raises
RecursionError, which is not a ValueError and escaped every `except ValueError` as a 500. Here anything that is not
JSON, or is nested deeper than MAX_DEPTH, is a `JsonInvalid` (a ValueError), which callers already answer with 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 32  # no body the product or a provider sends comes close; deeper is a probe, not a request
INT_LIMIT = 2**63  # no column holds a wider integer: past it, an id or a count reached PostgreSQL as a 500


class JsonInvalid(ValueError):
    """Not JSON, not UTF-8, or nested deeper than MAX_DEPTH."""


class JsonNumberTooLarge(JsonInvalid):
    """JSON, but with an integer no column holds: a rule of every body (its own error code, `number_too_large`), not
    a malformed one."""


def json_loads(data: bytes | bytearray | str, *, parse_float: Callable[[str], Any] | None = None) -> Any:
    """Parse a JSON document from outside; raises JsonInvalid for anything the product should answer with 400."""
    try:
        value = json.loads(data, parse_float=parse_float, parse_int=_int)
    except JsonNumberTooLarge:
        raise
    except RecursionError as exc:
        raise JsonInvalid(f"The JSON is nested deeper than {MAX_DEPTH} levels.") from exc
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise JsonInvalid(f"The body is not JSON: {exc}") from exc
    if json_depth(value) > MAX_DEPTH:
        raise JsonInvalid(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    return value


def _int(text: str) -> int:
    number = int(text)  # a string of more than 4,300 digits is a ValueError of Python's own
    if abs(number) >= INT_LIMIT:
        raise JsonNumberTooLarge(f"The integer {text[:25]} is beyond 64 bits.")
    return number


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed value (a scalar is 0), without recursing in Python."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest
