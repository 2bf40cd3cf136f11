"""The ``deploy`` and ``destroy`` subcommands: options, the plan as a user reads it, and the confirmation
that changes widening what the functions do, and removals, need (``--yes``, or a prompt on a terminal)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

from fgrevoke import project_config
from fgrevoke.errors import ToolError, UsageError


def add_commands(commands: Any) -> None:
    """Add ``deploy`` and ``destroy`` to the CLI's subparsers; each sets ``run``."""
    ship = commands.add_parser("deploy", help="make the account match template.yml (FunctionGraph SDK)")
    _options(ship)
    ship.add_argument("--plan", action="store_true", help="show what would change (old and new values), change "
                                                          "nothing")
    ship.add_argument("--no-build", action="store_true", help="refuse zips older than the sources instead of "
                                                              "building them")
    ship.add_argument("--yes", action="store_true", help="apply changes that widen what the functions do "
                                                         "(dry run off, protection lifted, an opt-in on)")
    ship.set_defaults(run=run_deploy)

    remove = commands.add_parser("destroy", help="remove the functions and triggers deploy created")
    _options(remove)
    remove.add_argument("--plan", action="store_true", help="show what would be removed, remove nothing")
    remove.add_argument("--yes", action="store_true", help="remove them (without it: a prompt on a terminal)")
    remove.set_defaults(run=run_destroy)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", type=Path, default=None, help="the template (default: template.yml)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a template parameter (repeatable; over the config file's)")
    parser.add_argument("--project-id", help="project to deploy to (default: the config file's project_id, the "
                                             "ProjectId parameter, else HUAWEICLOUD_SDK_PROJECT_ID)")
    parser.add_argument("--dist", type=Path, default=None, help="where the zips are (default: dist/)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    project_config.add_options(parser)


def run_deploy(args: argparse.Namespace) -> int:
    from fgrevoke import deploy

    loaded, specs, deployer = _prepare(args)
    deploy.fresh_packages(specs, deployer.dist, build=not args.no_build, progress=_progress)
    actions = deployer.plan(specs)
    widening = [line for action in actions for line in action.widening]
    document: Dict[str, Any] = {"plan": args.plan, "changes": [a.as_json() for a in actions], "widening": widening}
    if args.plan or not actions:
        _report(args, document, _plan_text(actions, widening, "no changes: the account matches the template"))
        return 0
    if widening and not args.yes:
        _print_plan(args, actions, widening)
        _confirm(f"{len(widening)} change(s) widen what the functions do: {'; '.join(widening)}",
                 "apply them", "nothing deployed")
    deployer.apply(actions)
    document["applied"] = len(actions)
    _report(args, document, f"applied {len(actions)} change(s)")
    return 0


def run_destroy(args: argparse.Namespace) -> int:
    _loaded, specs, deployer = _prepare(args, check=False)  # removing needs no valid template, only its names
    actions = deployer.destroy_plan(specs)
    document: Dict[str, Any] = {"plan": args.plan, "changes": [a.as_json() for a in actions]}
    if args.plan or not actions:
        _report(args, document, _plan_text(actions, [], "nothing to remove: no function of the template is "
                                                        "deployed"))
        return 0
    if not args.yes:
        _print_plan(args, actions, [])
        functions = sorted({action.function for action in actions})
        _confirm(f"this removes {', '.join(functions)} and their triggers", "remove them", "nothing removed")
    deployer.apply(actions)
    document["applied"] = len(actions)
    _report(args, document, f"removed: {len(actions)} change(s) applied")
    return 0


def _prepare(args: argparse.Namespace, check: bool = True) -> Any:
    from fgrevoke import deploy, packaging, template, validate

    settings = project_config.resolve(args)
    path = args.template or template.TEMPLATE
    loaded = template.load(path, settings.parameters)
    errors = validate.validate(loaded) if check else []
    if errors:
        print("\n".join(errors), file=sys.stderr)
        raise ToolError(f"{path} is not valid ({len(errors)} error(s) above); nothing done: fix them "
                        "(`fgrevoke validate` checks)")
    if not settings.project_id:
        raise UsageError("no project: give --project-id, project_id in fgrevoke.toml, the ProjectId parameter or "
                         "HUAWEICLOUD_SDK_PROJECT_ID")
    region = settings.parameters.get("Region") or str(loaded["Parameters"]["Region"].get("Default"))
    _progress(f"FunctionGraph {region}, project {settings.project_id}"
              + (f", stage {settings.stage.name} ({settings.stage.path})" if settings.stage.path else ""))
    deployer = deploy.Deployer(deploy.client(region, settings.project_id), args.dist or packaging.DIST, _progress)
    return loaded, template.functions(loaded), deployer


def _plan_text(actions: List[Any], widening: List[str], empty: str) -> str:
    if not actions:
        return empty
    lines = [str(action) for action in actions]
    if widening:
        lines.append(f"{len(widening)} change(s) widen what the functions do (marked !); applying them needs --yes")
    return "\n".join(lines)


def _print_plan(args: argparse.Namespace, actions: List[Any], widening: List[str]) -> None:
    if not args.json:
        print(_plan_text(actions, widening, ""), flush=True)


def _confirm(what: str, question: str, refused: str) -> None:
    """Go on only after a yes on a terminal; elsewhere (a pipeline) stop with what --yes would do."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        print(f"{what}. {question.capitalize()}? [y/N] ", end="", flush=True)
        answer = sys.stdin.readline()
        if answer.strip().lower() in ("y", "yes"):
            return
        raise ToolError(f"{refused}: not confirmed")
    raise ToolError(f"{refused}: {what}; run again with --yes to {question}")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _report(args: argparse.Namespace, document: Any, text: str) -> None:
    print(json.dumps(document, indent=2) if args.json else text)
