"""``make demo``: the three functions' real handlers and the daily sweep against the embedded emulator, told as
a story (what was there, what was asked, what was done, what remains). No cloud account needed.

The functions' JSON log lines go to a file whose path the demo prints, or here with ``--verbose``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, TextIO, Union

from fgrevoke import functions, testkit
from fgrevoke.emulator import Emulator
from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT
from fgrevoke.emulator.seed import EXAMPLE_PROJECT
from fgrevoke.errors import UsageError
from fgrevoke.local import EMULATOR_KEYS, LOOPBACK
from fgrevoke.testkit import LocalContext
from shared.errors import RevokeError

REGION = "cn-north-4"
PROJECT = EXAMPLE_PROJECT


class Story:
    """Plain lines for the reader; the functions' log lines to ``log``."""

    def __init__(self, log: TextIO, out: TextIO, emulator: Optional[Emulator] = None) -> None:
        self.log, self.out = log, out
        self.emulator = emulator
        self.reports: List[Any] = []  # every answer, as the ReportBucket keeps them: the oops restores from these
        self.before: Dict[str, Any] = {}  # each service's listing just before the first call that could change it

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def part(self, title: str) -> None:
        self.say(f"\n{title}")

    def line(self, label: str, text: Union[str, List[str]]) -> None:
        """One labelled line; a list gets one line per entry."""
        entries = [text] if isinstance(text, str) else text or ["(none)"]
        for index, entry in enumerate(entries):
            self.say(f"   {label + ':' if index == 0 else '':<9} {entry}")

    @contextlib.contextmanager
    def logging(self) -> Iterator[None]:
        stdout, sys.stdout = sys.stdout, self.log
        try:
            yield
        finally:
            sys.stdout = stdout

    def invoke(self, handler: Any, event: Any, context: LocalContext) -> Any:
        if self.emulator is not None:
            for service, listing in listings(self.emulator).items():
                if listing and service not in self.before:
                    self.before[service] = listing
        with self.logging():
            result = handler(event, context)
        self.reports.append(result)
        return result


def context(**settings: str) -> LocalContext:
    return testkit.context({"REGION": REGION, "PROJECT_ID": PROJECT, "DRY_RUN": "false", **settings},
                           keys=EMULATOR_KEYS, function_name="fgrevoke-demo")


def start_emulator() -> Emulator:
    emulator = Emulator().start()
    emulator.add_credentials(EMULATOR_KEYS.access_key, EMULATOR_KEYS.secret_key, EMULATOR_KEYS.security_token)
    for service in functions.service_names():
        os.environ[f"HUAWEICLOUD_SDK_REGION_{service}_{REGION.upper().replace('-', '_')}"] = emulator.endpoint
    os.environ["NO_PROXY"] = ",".join(filter(None, (os.environ.get("NO_PROXY"), LOOPBACK)))
    return emulator


def outcomes(result: Dict[str, Any]) -> List[str]:
    """``u-alice: deleted``, ``u-bob: already_absent (reason)``, … from a result's items."""
    parts = []
    for item in result.get("items", []):
        target = ", ".join(str(item[key]) for key in ("user_id", "policy_id", "app_group_id", "account") if key in item)
        reason = item.get("reason") or item.get("error_msg")
        if reason and len(reason) > 110:  # the whole reason is in the report and the log file
            reason = reason[:110] + "…"
        parts.append(f"{target}: {item['outcome']}" + (f" ({reason})" if reason else ""))
    return parts or [f"{result.get('status')}: nothing to do"]


def modelarts(story: Story, emulator: Emulator) -> None:
    handler = functions.load("modelarts_delete_authorizations").handler
    story.part("1. ModelArts: take away users' ModelArts authorization (DeleteAuthorizations)")
    for user_id in ("u-alice", "u-bob", "u-carol", "u-dave", "u-admin"):
        emulator.modelarts.seed(PROJECT, user_id)
    before = emulator.modelarts.user_ids(PROJECT)
    story.line("There", f"{len(before)} users authorized: {', '.join(before)}")

    story.line("Asked", 'a direct call {"user_id": "u-alice"}')
    story.line("Done", outcomes(story.invoke(handler, {"user_id": "u-alice"}, context())))

    story.line("Asked", "API Gateway: DELETE /revoke?user_id=u-bob")
    response = story.invoke(handler, testkit.apig_event("DELETE", query={"user_id": "u-bob"}), context())
    story.line("Done", [f"HTTP {response['statusCode']}", *outcomes(json.loads(response['body']))])

    story.line("Asked", "CTS: IAM deleteUser of u-carol (a person left; checked afterwards)")
    story.line("Done", outcomes(story.invoke(handler, testkit.cts_event("u-carol", "carol"), context())))

    story.line("Asked", "API Gateway: DELETE /revoke?user_id=all, with ALLOW_ALL_USERS off")
    response = story.invoke(handler, testkit.apig_event("DELETE", query={"user_id": "all"}),
                            context(PROTECTED_USER_IDS="u-admin"))
    body = json.loads(response["body"])
    story.line("Refused", f"HTTP {response['statusCode']} {body['error_code']}: {body['error_msg']} (nothing sent)")

    story.line("Asked", 'a dry run {"user_ids": ["u-dave", "u-admin"]}, u-admin protected')
    result = story.invoke(handler, {"user_ids": ["u-dave", "u-admin"]},
                          context(DRY_RUN="true", PROTECTED_USER_IDS="u-admin"))
    story.line("Reported", [*outcomes(result), "(a dry run changes nothing)"])

    after = emulator.modelarts.user_ids(PROJECT)
    story.line("Remains", f"{len(after)} users authorized: {', '.join(after)}")
    story.line("Calls", [_call(c) for c in emulator.calls()])


def workspaceapp(story: Story, emulator: Emulator) -> None:
    handler = functions.load("workspaceapp_batch_delete_app_group_authorization").handler
    story.part("2. Workspace App: a person leaves; take them out of every application group "
               "(BatchDeleteAppGroupAuthorization)")
    group_ids = [emulator.workspaceapp.seed_group(PROJECT, f"apps-{i:02d}", f"{7100 + i}") for i in range(25)]
    people = [f"user{i:03d}" for i in range(119)] + ["departing.employee"]
    for group_id in group_ids:
        for person in people:
            emulator.workspaceapp.grant(PROJECT, group_id, person)
    before = emulator.workspaceapp.pairs(PROJECT)
    story.line("There", f"{len(group_ids)} application groups, {len(people)} people in each "
                        f"({len(before)} authorizations), departing.employee among them")
    emulator.journal.clear()

    story.line("Asked", "CTS: IAM deleteUser of departing.employee; APP_GROUP_IDS lists the 25 groups")
    result = story.invoke(handler, testkit.cts_event("0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "departing.employee"),
                          context(APP_GROUP_IDS=",".join(group_ids)))
    calls = emulator.calls("workspaceapp.batch_delete_app_group_authorization")
    story.line("Done", f"{result['status']}: {_summary(result)} in {len(calls)} calls "
                       "(the API takes at most 10 groups x 50 accounts per call)")
    after = emulator.workspaceapp.pairs(PROJECT)
    left_in = sorted(group for group, account in after if account == "departing.employee")
    untouched = after == {pair for pair in before if pair[1] != "departing.employee"}
    story.line("Remains", f"departing.employee in {len(left_in)} groups; everyone else "
                          f"{'untouched' if untouched else 'CHANGED'} ({len(after)} authorizations)")


def workspace(story: Story, emulator: Emulator) -> None:
    handler = functions.load("workspace_batch_delete_access_policies").handler
    story.part("3. Workspace: the nightly clean-up of access policies (BatchDeleteAccessPolicies)")
    seeded = [("IP_WHITE_LIST", True, 120), ("IP_WHITE_LIST", False, 45), ("IP_WHITE_LIST", True, 5),
              ("ACCESS_TYPE", True, 400), ("IP_WHITE_LIST", False, 2)]
    names = {}
    for index, (kind, enabled, age) in enumerate(seeded):
        policy_id = emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", access_control_type=kind, is_enable=enabled,
                                            age_days=age, policy_id=f"policy-{index + 1}")
        names[policy_id] = f"{kind}, {'enabled' if enabled else 'disabled'}, {age} days old"
    story.line("There", [f"{p} ({d})" for p, d in names.items()])
    emulator.journal.clear()

    select = {"older_than_days": 30, "access_control_type": "IP_WHITE_LIST"}
    story.line("Asked", f"the nightly TIMER trigger, user_event {json.dumps({'select': select})}")
    result = story.invoke(handler, testkit.timer_event({"select": select}, name="nightly-policy-cleanup"), context())
    story.line("Done", outcomes(result))
    remaining = emulator.workspace.policy_ids(PROJECT)
    story.line("Remains", [f"{p} ({names[p]})" for p in remaining])
    story.line("Calls", [_call(c) for c in emulator.calls()])


def sweep(story: Story, emulator: Emulator) -> None:
    """The daily clean-up: grants of people IAM no longer knows, then a listing that lost half the people."""
    handler = functions.load("modelarts_delete_authorizations").handler
    emulator.journal.clear()
    story.part("5. The daily sweep: take away what belongs to no one (ModelArts against IAM KeystoneListUsers)")
    project = "5a6b7c8d9e0f41a2b3c4d5e6f7a8b9c0"  # a project of its own: the oops of part 6 compares part 1-3's
    staff = [f"u-staff-{i:02d}" for i in range(20)]
    for user_id in staff:
        emulator.iam.seed_user(None, user_id, user_id.replace("u-", ""))
    gone = ["u-left-2019", "u-left-2021", "u-admin-emergency"]
    for user_id in staff + gone:
        emulator.modelarts.seed(project, user_id, age_hours=72)
    story.line("There", [f"{len(staff)} IAM users, each authorized in ModelArts",
                         f"3 more authorizations of people IAM no longer knows: {', '.join(gone)}",
                         "u-admin-emergency is in PROTECTED_USER_IDS"])
    settings = {"PROTECTED_USER_IDS": "u-admin-emergency", "PROJECT_ID": project}
    story.line("Asked", "the daily TIMER trigger, user_event {\"sweep\": {}}")
    result = story.invoke(handler, testkit.timer_event({"sweep": {}}, name="fgrevoke-daily-sweep-modelarts"),
                          context(**settings))
    story.line("Done", [f"{line} [decided by {item.get('decided_by')}]"
                        for line, item in zip(outcomes(result), result["items"])])
    story.line("Remains", f"{len(emulator.modelarts.user_ids(project))} authorizations")
    story.line("Calls", [_call(c).replace(project, "{project}") for c in emulator.calls()])

    half = [user for user_id, user in emulator.iam.users[DEFAULT_ACCOUNT].items() if user_id in staff[:10]]
    emulator.inject("iam.keystone_list_users", status=200, times=None, body={
        "users": half, "links": {"self": "https://iam.myhuaweicloud.com/v3/users", "next": None, "previous": None}})
    story.line("Asked", "the next day's sweep, while the IAM listing returns only 10 of the 20 people (a fault)")
    try:
        story.invoke(handler, testkit.timer_event({"sweep": {}}, name="fgrevoke-daily-sweep-modelarts"),
                     context(**settings))
    except RevokeError as raised:
        reason = raised.message.split("(first: ", 1)[-1]
        story.line("Refused", [f"breaker_tripped: {reason[:130]}…",
                               "the TIMER run raised, so FunctionGraph's failure destination (SMN) tells a person"])
    emulator.clear_faults()
    story.line("Remains", f"{len(emulator.modelarts.user_ids(project))} authorizations: nothing was revoked")


def account_wide(story: Story, emulator: Emulator) -> None:
    handler = functions.load("modelarts_delete_authorizations").handler
    story.part("4. Account-wide: a person leaves; their ModelArts authorization goes in every region and project "
               "(TARGETS=*)")
    home, home_project = "ap-southeast-1", "a" * 32  # where IAM traces land (CN-Hong Kong, international site)
    places = [(REGION, PROJECT), (REGION, "b" * 32), (home, home_project), ("af-south-1", "c" * 32)]
    for name, value in testkit.region_endpoints(emulator, sorted({region for region, _ in places})).items():
        os.environ[name] = value
    for region, project in places:
        emulator.add_project(region, project)
        emulator.modelarts.seed(project, "u-leaver")
    denied = places[-1]
    emulator.deny("modelarts:authorization:delete", project_id=denied[1])  # the agency was not granted there
    story.line("There", [f"u-leaver authorized in {region}/{project[:8]}…" for region, project in places])
    story.line("Note", f"the agency lacks modelarts:authorization:delete in {denied[0]}")
    emulator.journal.clear()
    story.line("Asked", [f"the HR system calls the function in {home} directly: {{\"user_id\": \"u-leaver\"}}",
                         "(its TARGETS=* finds every project the agency can reach)"])
    result = story.invoke(handler, {"user_id": "u-leaver"},
                          context(REGION=home, PROJECT_ID=home_project, TARGETS="*"))
    story.line("Verdicts", [f"{row['region']}/{str(row['project_id'])[:8]}…: {row['status']}"
                            + (f" (lacks {', '.join(row['denied_actions'])})" if row.get("denied_actions") else "")
                            for row in result["targets"]])
    story.line("Report", f"{result['status']}: {_summary(result)}")
    left = [f"{region}/{project[:8]}…" for region, project in places
            if "u-leaver" in emulator.modelarts.user_ids(project)]
    story.line("Remains", f"u-leaver authorized in {', '.join(left) or 'no project'}")
    story.line("Calls", [f"{c['region']}: {c['method']} {c['route']} -> {c['status']}" for c in emulator.calls()])
    story.line("Asked", f"CTS in {home}: the IAM deleteUser trace of u-leaver arrives too (asynchronous)")
    try:
        story.invoke(handler, testkit.cts_event("u-leaver", "leaver"),
                     context(REGION=home, PROJECT_ID=home_project, TARGETS="*"))
        story.line("Done", "(no failure raised)")
    except Exception as error:  # an asynchronous trigger raises so the failure destination tells a person
        story.line("Raised", [f"{type(error).__name__}, to the failure destination (a person is told):",
                              *textwrap.wrap(str(error).split(": ", 1)[-1], 100)])


def listings(emulator: Emulator) -> Dict[str, List[Dict[str, Any]]]:
    """What each service lists, ids and times aside (a re-created grant gets new ones)."""
    modelarts = [{k: v for k, v in e.items() if k != "create_time"}
                 for e in emulator.modelarts.authorizations.get(PROJECT, {}).values()]
    policies = [{**{k: v for k, v in emulator.workspace._shown(p).items() if k not in ("policy_id", "create_time")},
                 "objects": p["objects"]} for p in emulator.workspace.policies.get(PROJECT, {}).values()]
    pairs = [{k: v for k, v in e.items() if k not in ("id", "create_at")}
             for e in emulator.workspaceapp.authorizations.get(PROJECT, {}).values()]
    return {name: sorted(entries, key=lambda entry: json.dumps(entry, sort_keys=True)) for name, entries in
            (("ModelArts authorizations", modelarts), ("Workspace access policies", policies),
             ("Workspace App authorizations", pairs))}


def oops(story: Story, emulator: Emulator, reports: List[Any]) -> None:
    """The revocations of parts 1-3 were mistakes: ``fgrevoke restore`` puts back what each took, from its own
    report, and the project's listings are again those from before part 1."""
    from fgrevoke.restore import plan as restoring
    from fgrevoke.restore import reading, services
    from shared.credentials import Credentials

    story.part("6. Oops: in parts 1-3 HR sent the wrong names and the clean-up ran on a bad day (fgrevoke restore, "
               "from the reports)")
    document = reading.read(json.dumps(reports), "the demo's reports")
    story.line("Read", f"{len(reports)} reports (as the ReportBucket keeps them): {len(document.revoked)} "
                       f"revocations to put back, {document.other_items} items that revoked nothing")
    keys = Credentials(EMULATOR_KEYS.access_key, EMULATOR_KEYS.secret_key, EMULATOR_KEYS.security_token, "demo")
    emulator.journal.clear()
    for apply in (False, True):
        targets = restoring.plan(document, reading.Place(REGION, PROJECT))
        restoring.run(targets, lambda: keys, apply=apply, announce=lambda target: None, caller=services.Caller())
        label = "Restored" if apply else "Planned"
        story.line(label, [f"{target.operation}: {_counts(target.to_dict()['summary'])}" for target in targets])
    story.line("Mapped", [f"{step.revoked.what['policy_id']} -> {step.new_policy_id} (re-created access policy)"
                          for target in targets for step in target.steps if step.new_policy_id])
    creates = [c for c in emulator.calls() if c["method"] == "POST" and "list" not in c["route"]]
    story.line("Calls", f"{len(creates)} create calls ({', '.join(sorted({c['route'] for c in creates}))}); the "
                        "plan sent none")
    now = listings(emulator)
    story.line("Compared", [f"{service}: {len(now[service])} listed, "
                            f"{'identical to before' if now[service] == listing else 'DIFFERENT from before'}"
                            for service, listing in story.before.items()] +
               ["(ids and times aside: a re-created access policy gets a new policy_id, each report item maps "
                "old -> new)"])


def _counts(summary: Dict[str, int]) -> str:
    return ", ".join(f"{count} {outcome}" for outcome, count in summary.items()) or "nothing"


def _summary(result: Dict[str, Any]) -> str:
    return ", ".join(f"{outcome} {count}" for outcome, count in result["summary"].items() if outcome != "targets")


def _call(call: Dict[str, Any]) -> str:
    query = "&".join(f"{k}={v}" for k, v in call["query"].items())
    path = call["path"].replace(PROJECT, "{project}")
    return f"{call['method']} {path}{'?' + query if query else ''} -> {call['status']}"


def run(verbose: bool = False, log_file: Optional[Path] = None) -> int:
    out = sys.stdout
    if verbose:
        log: TextIO = out
        where = "here, as they come (JSON, as FunctionGraph ships them to LTS)"
    else:
        if log_file is None:
            handle, name = tempfile.mkstemp(prefix="fgrevoke-demo-", suffix=".log")
            os.close(handle)
            log_file = Path(name)
        try:
            log = log_file.open("w", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"--log-file {log_file}: {error.strerror or error}") from None
        where = f"in {log_file} (JSON, as FunctionGraph ships them to LTS; --verbose shows them here)"
    story = Story(log, out)
    story.say("fgrevoke demo: the three functions' own code and the real Huawei Cloud SDK, over real HTTP,\n"
              "against a local emulator of the Huawei Cloud APIs. No account needed; nothing leaves this machine.")
    story.say(f"The functions' log lines are {where}.")
    emulator = start_emulator()
    story.emulator = emulator
    try:
        modelarts(story, emulator)
        workspaceapp(story, emulator)
        workspace(story, emulator)
        home_reports = len(story.reports)  # the oops undoes parts 1-3 (their listings are compared)
        account_wide(story, emulator)
        sweep(story, emulator)
        oops(story, emulator, story.reports[:home_reports])
    finally:
        emulator.stop()
        if log is not out:
            log.close()
    story.say("\nDone. Try one yourself:\n"
              "   fgrevoke event modelarts_delete_authorizations direct > event.json\n"
              "   fgrevoke invoke modelarts_delete_authorizations --event event.json --emulator\n"
              "or serve them over HTTP for curl: fgrevoke serve --emulator")
    return 0

