"""`make demo` (`fgrevoke demo`): a story a newcomer can follow; the JSON log lines one option away."""

from __future__ import annotations

import json
import re

import pytest

from fgrevoke.testkit import run_command

pytestmark = pytest.mark.slow  # each test runs the command as a subprocess: make test-fast skips them

LABELS = ("There:", "Asked:", "Done:", "Remains:")


def test_the_demo_tells_a_story_and_keeps_the_log_lines_in_a_file(tmp_path):
    log = tmp_path / "demo.log"
    result = run_command("demo", "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not any(line.lstrip().startswith("{") for line in lines), "no JSON log lines in the story"
    assert max(len(line) for line in lines) < 200
    for label in LABELS:
        assert sum(line.strip().startswith(label) for line in lines) >= 3, label  # in each of the three parts
    assert str(log) in result.stdout
    assert "u-alice: deleted" in result.stdout and "Remains:  2 users authorized: u-admin, u-dave" in result.stdout
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events.count("invocation.done") >= 6 and "revocation" in events


def test_verbose_shows_the_log_lines_in_place():
    result = run_command("demo", "--verbose")
    assert result.returncode == 0
    json_lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert any(line["event"] == "invocation.done" for line in json_lines)
    assert re.search(r"^   Asked: ", result.stdout, re.M)


def test_the_demo_offboards_a_person_in_every_region_and_names_the_denied_target():
    result = run_command("demo")
    story = result.stdout[result.stdout.index("4. Account-wide"):]
    assert story.count(": done") == 3 and "af-south-1/cccccccc…: denied (lacks modelarts:authorization:delete)" in story
    assert "Remains:  u-leaver authorized in af-south-1/cccccccc…" in story
    assert "FGR.PermissionDenied" not in story or "PermissionDenied, to the failure destination" in story
    assert {"cn-north-4:", "ap-southeast-1:", "af-south-1:"} <= {word for word in story.split() if word.endswith("-1:")
                                                                 or word.endswith("-4:")}


def test_the_demo_ends_with_an_oops_that_puts_everything_back():
    """The demo ends with it: every revocation of parts 1-3 restored from its own report, listings as before."""
    result = run_command("demo")
    assert result.returncode == 0, result.stderr
    oops = result.stdout[result.stdout.index("6. Oops"):]
    assert "\n7. " not in oops  # the last part
    assert oops.count("identical to before") == 3 and "DIFFERENT" not in oops
    assert "Planned:  modelarts.delete_authorizations: 3 would_restore" in oops
    assert re.search(r"Mapped: +policy-2 -> \S+ \(re-created access policy\)", oops)
