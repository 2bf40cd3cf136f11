"""Least privilege, for every function in functions/: each call it makes is covered by an action its
manifest declares, and it declares nothing it does not use (an action marked ``called=False``, such as
elb:ipgroups:delete, is one the service requires alongside another).

How to exercise a function lives with its tests: ``tests/test_<service>.py`` (the manifest's service,
e.g. test_modelarts.py) maps the function's folder to an exercise in ``PERMISSIONS``."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, Tuple

import pytest

from conftest import load_function, make_context
from fgrevoke import functions

Exercise = Callable[[Any], Tuple[Dict[str, Any], Dict[str, str]]]


def exercise_of(folder: str) -> Exercise:
    module_name = f"test_{functions.manifest(folder).service.env_name.lower()}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        pytest.fail(f"tests/{module_name}.py is missing: a function's tests live there")
    exercises: Dict[str, Exercise] = getattr(module, "PERMISSIONS", {})
    if folder not in exercises:
        pytest.fail(f"tests/{module_name}.py has no PERMISSIONS[{folder!r}]: give it a function that seeds the "
                    "emulator and returns (request, settings) making every kind of call the function makes")
    return exercises[folder]


@pytest.mark.parametrize("folder", functions.names())
def test_calls_are_covered_by_declared_actions(emulator, folder):
    declared = functions.manifest(folder)
    request, settings = exercise_of(folder)(emulator)
    load_function(folder).handler(request, make_context(**settings))
    used = {emulator.actions[call["route"]] for call in emulator.calls()} - {""}  # "": a call needing none
    undeclared = used - set(declared.required_actions)
    assert not undeclared, f"called without a declared action: {undeclared}"
    assert {action.name for action in declared.actions if action.called} == used, "declared as called, never needed"

