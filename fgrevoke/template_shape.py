"""The shape template.yml must have before the tooling reads it: which of its values are mappings, lists or
plain values. A value of the wrong kind (``Triggers: 5``, ``Variables: [a]``) is one usage error naming its
place, not a traceback from whichever command read it first. The values themselves are checked later, by
``fgrevoke validate``."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple, Union

ANY = "any"  # a value the tooling reads only as text, or not at all
SCALAR = "scalar"  # text, a number, true/false or nothing
TEXT = "text"
Shape = Union[str, Dict[str, Any], List[Any], Tuple[Any, ...]]  # a mapping's keys ("*": any other), a list's items,
# or alternatives

_TRIGGER = {"EventData": {"operations": [SCALAR], "event_types": [SCALAR], "*": SCALAR}, "*": SCALAR}
_STATEMENT = {"Action": (TEXT, [SCALAR]), "*": ANY}
SHAPE: Dict[str, Any] = {
    "Parameters": {"*": {"AllowedValues": [SCALAR], "*": SCALAR}},
    "Resources": {"*": {"Properties": {
        "Environment": {"Variables": {"*": SCALAR}, "EncryptedVariables": {"*": SCALAR}, "*": ANY},
        "Triggers": [_TRIGGER],
        "AgencyPolicy": {"Statement": [_STATEMENT], "*": ANY},
        "*": ANY}, "*": ANY}},
    "*": ANY,
}


def problem(value: Any, shape: Shape = SHAPE, where: str = "") -> str:
    """What is of the wrong kind in ``value`` (``"Resources.X.Properties.Triggers: must be a list"``), or ""."""
    if isinstance(shape, tuple):
        reasons = [problem(value, alternative, where) for alternative in shape]
        return "" if "" in reasons else reasons[0]
    if shape == ANY or value is None:  # an absent section: the readers take it as empty
        return ""
    if shape == SCALAR:
        return f"{where}: must be a plain value, not {_kind(value)}" if isinstance(value, (dict, list)) else ""
    if shape == TEXT:
        return "" if isinstance(value, str) else f"{where}: must be text, not {_kind(value)}"
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where}: must be a list, not {_kind(value)}"
        for index, item in enumerate(value):
            if item is None and shape[0] != SCALAR:
                return f"{where}[{index}]: is empty"
            reason = problem(item, shape[0], f"{where}[{index}]")
            if reason:
                return reason
        return ""
    if not isinstance(value, dict):
        return f"{where}: must be a mapping, not {_kind(value)}"
    assert isinstance(shape, dict)
    for key, item in value.items():
        inner: Shape = shape[str(key)] if str(key) in shape else shape.get("*", ANY)
        reason = problem(item, inner, f"{where}.{key}" if where else str(key))
        if reason:
            return reason
    return ""


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the {type(value).__name__} {str(value)[:40]!r}"
