"""``fgrevoke restore REPORT``: the plan (what would be re-granted per target and item, and what cannot be and
why); with ``--yes``, the re-grants. Keys come from the SDK's own providers (its environment variables
HUAWEICLOUD_SDK_AK/SK/SECURITY_TOKEN, then its credentials file); each target's endpoint is shown before the
first call to it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from fgrevoke import project_config, user_files
from fgrevoke.errors import FAILURE, UsageError
from fgrevoke.restore import plan, reading, services
from shared import redaction
from shared.credentials import Credentials


def add_command(commands: Any) -> None:
    restore = commands.add_parser("restore", help="put back what a revocation took, from its report (plan; --yes "
                                                  "applies)")
    restore.add_argument("report", type=Path, help="the report: a function's response, or its audit log lines "
                                                   "(JSON lines); '-' for standard input")
    restore.add_argument("--yes", action="store_true", help="re-grant what the plan shows (without it: the plan "
                                                            "only)")
    restore.add_argument("--region", help="for items that do not say theirs (default: fgrevoke.toml's region)")
    restore.add_argument("--project-id", help="for items that do not say theirs (default: fgrevoke.toml's "
                                              "project_id, else HUAWEICLOUD_SDK_PROJECT_ID)")
    restore.add_argument("--json", action="store_true", help="print the outcome as JSON")
    project_config.add_options(restore)
    restore.set_defaults(run=run, param=[])


def run(args: argparse.Namespace) -> int:
    text = _text(args.report)
    document = reading.read(text, "standard input" if str(args.report) == "-" else str(args.report))
    settings = project_config.resolve(args)
    fallback = reading.Place(args.region or settings.stage.region, settings.project_id)
    targets = plan.plan(document, fallback)
    caller = services.Caller()
    plan.run(targets, _keys, apply=args.yes, announce=_announce, caller=caller, home=fallback)
    body = _body(targets, document, args.yes, caller.calls)
    print(json.dumps(redaction.scrub(body), indent=2, ensure_ascii=False) if args.json else _lines(body))
    return FAILURE if body["summary"].get(services.FAILED) else 0


def _text(path: Path) -> str:
    if str(path) != "-":
        return user_files.read_text(path, "REPORT")
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as error:
        raise user_files.not_utf8("standard input", error) from None


def _keys() -> Credentials:
    """The SDK's own providers, in its chain's order: its environment variables, then its credentials file."""
    from huaweicloudsdkcore.auth.provider import EnvCredentialProvider, ProfileCredentialProvider
    from huaweicloudsdkcore.exceptions.exceptions import ApiValueError, SdkException

    for provider in (EnvCredentialProvider.get_basic(), ProfileCredentialProvider.get_basic()):
        try:
            found = provider.get_credentials()
        except (ApiValueError, SdkException, ValueError, TypeError):
            continue
        if found.ak and found.sk:
            redaction.register(found.ak, found.sk, found.security_token)
            return Credentials(found.ak, found.sk, found.security_token, "environment")
    raise UsageError("no keys: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN "
                     "for temporary keys), or give them in the SDK's credentials file")


def _announce(target: plan.Target) -> None:
    print(f"fgrevoke: {target.operation} in {target.place}: reading (and with --yes, re-granting) through "
          f"{', '.join(target.endpoints)}", file=sys.stderr, flush=True)


def _body(targets: List[plan.Target], document: reading.Reading, applied: bool, calls: int) -> Dict[str, Any]:
    return {"applied": applied, "summary": plan.summary(targets), "upstream_calls": calls,
            "not_revoked_items": document.other_items, "reports_cut_short": document.left_out,
            "targets": [target.to_dict() for target in targets],
            "items": [step.to_dict() for target in targets for step in target.steps]}


def _lines(body: Dict[str, Any]) -> str:
    cut = [f"note: a report was cut short ({note}); restore those items from the 'revocation' log lines"
           for note in body["reports_cut_short"]]
    return "\n".join(cut + [_outcome_lines(body)])


def _outcome_lines(body: Dict[str, Any]) -> str:
    if not body["items"]:
        return (f"nothing to restore: the report revoked nothing ({body['not_revoked_items']} item(s) were "
                "dry runs, already absent, skipped or failed)")
    lines: List[str] = []
    for target in body["targets"]:
        where = "/".join(str(target.get(key)) for key in ("region", "project_id"))
        member = f" account {target['account_id']} (agency {target['agency']})" if target.get("account_id") else ""
        lines.append(f"{target['operation']} in {where}{member}:")
        for item in body["items"]:
            if item["operation"] == target["operation"] and all(item.get(k) == target.get(k) for k in
                                                                 reading.PLACE_FIELDS):
                lines.append("  " + _item_line(item))
    counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(body["summary"].items()))
    tail = "" if body["applied"] or not body["summary"].get(services.WOULD_RESTORE) else \
        "; nothing was sent: run again with --yes to re-grant"
    lines.append(f"{counts}{tail}")
    return "\n".join(lines)


def _item_line(item: Dict[str, Any]) -> str:
    skip = {"operation", "outcome", "reason", "error_code", "error_msg", "new_policy_id", *reading.PLACE_FIELDS}
    what = " ".join(f"{key}={value}" for key, value in item.items() if key not in skip)
    extra: Optional[str] = item.get("reason")
    if item.get("error_code"):
        extra = f"{item['error_code']}: {item.get('error_msg')}"
    if item.get("new_policy_id"):
        extra = f"new policy_id {item['new_policy_id']}" + (f" ({extra})" if extra else "")
    return f"{item['outcome']}: {what}" + (f" — {extra}" if extra else "")
