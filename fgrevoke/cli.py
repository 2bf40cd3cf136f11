"""The ``fgrevoke`` command: developer tooling around the functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, List, Optional

from fgrevoke import project_config


def _template_options(parser: argparse.ArgumentParser) -> None:
    from fgrevoke.template import TEMPLATE

    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the template (default: %(default)s)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a template parameter (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    project_config.add_options(parser)


def _invoke(args: argparse.Namespace) -> int:
    from fgrevoke import local, template

    specs = {spec.folder: spec for spec in template.functions(template.load(args.template,
                                                                           template.parse_overrides(args.param)))}
    if args.function not in specs:
        print(f"fgrevoke: no function {args.function!r} in {args.template}; known: {', '.join(specs)}",
              file=sys.stderr)
        return 2
    text = sys.stdin.read() if str(args.event) == "-" else args.event.read_text(encoding="utf-8")
    try:
        event = json.loads(text)
    except ValueError as problem:
        print(f"fgrevoke: {args.event} is not JSON: {problem}", file=sys.stderr)
        return 2
    try:
        result = local.invoke(specs[args.function], event, local.read_env_file(args.env_file), args.emulator)
    except Exception as error:  # what FunctionGraph would record as a failed invocation
        print(json.dumps({"raised": type(error).__name__, "message": str(error)}, indent=2))
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    status = result.get("statusCode", 200) if isinstance(result, dict) else 200
    failed = isinstance(result, dict) and result.get("status") in ("failed", "partially_failed", "rejected", "error")
    return 1 if failed or status >= 400 else 0


def _run_tool_command(args: argparse.Namespace) -> int:
    """Until cli.main turns every ToolError into its line and exit code (the cliux branch does)."""
    from fgrevoke.errors import ToolError

    try:
        return int(args.run(args))
    except ToolError as error:
        if args.json:
            print(json.dumps({"error": error.message, "exit_code": error.exit_code}))
        print(f"fgrevoke: {error.message}", file=sys.stderr)
        return error.exit_code


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _report(args: argparse.Namespace, document: Any, text: str) -> None:
    print(json.dumps(document, indent=2) if args.json else text)


def _package(args: argparse.Namespace) -> int:
    from fgrevoke import packaging, template

    specs = [spec for spec in template.functions(template.load(args.template, template.parse_overrides(args.param)))
             if not args.function or spec.folder in args.function]
    built = [packaging.build(spec, args.dest or packaging.DIST, _progress) for spec in specs]
    problems = [problem for package in built for problem in package.problems]
    rows = [f"{p.path}: {p.files} files, {packaging.mib(p.zip_bytes)} zipped (limit "
            f"{packaging.mib(packaging.ZIP_LIMIT)} by API, {packaging.mib(packaging.CONSOLE_LIMIT)} on the console), "
            f"{packaging.mib(p.unzipped_bytes)} unzipped (limit {packaging.mib(packaging.UNZIPPED_LIMIT)}), "
            f".pyc {'compiled by ' + p.compiled_with if p.compiled_with else 'not compiled'}" for p in built]
    document = [{"function": p.function, "zip": str(p.path), "files": p.files, "zip_bytes": p.zip_bytes,
                 "unzipped_bytes": p.unzipped_bytes, "pyc": bool(p.compiled_with)} for p in built]
    _report(args, {"packages": document, "problems": problems}, "\n".join(rows + problems))
    return 1 if problems else 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="fgrevoke", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("demo", help="run the main jobs against the embedded emulator")

    serve = commands.add_parser("emulator", help="serve the local Huawei Cloud emulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--access-key", required=True, help="access key the emulator accepts")
    serve.add_argument("--secret-key", required=True, help="its secret key")
    serve.add_argument("--security-token", help="the security token requests must carry, if any")

    check = commands.add_parser("validate", help="check template.yml against the code and FunctionGraph's limits")
    _template_options(check)

    pack = commands.add_parser("package", help="build dist/<function>.zip for each function")
    _template_options(pack)
    pack.add_argument("--function", action="append", default=[], help="only this function folder (repeatable)")
    pack.add_argument("--dest", type=Path, default=None, help="output folder (default: dist/)")

    sample = commands.add_parser("event", help="print a ready-to-edit sample event of a trigger kind")
    sample.add_argument("kind", choices=("direct", "timer", "apig", "cts", "eventgrid", "smn"))
    sample.add_argument("--request", help="the request JSON the event carries (default: a user_id)")
    sample.add_argument("--method", default="POST", choices=("POST", "DELETE"), help="APIG method")
    sample.add_argument("--user-id", default="0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", help="CTS: the deleted user's id")
    sample.add_argument("--user-name", default="departing.employee", help="CTS: the deleted user's name")

    run = commands.add_parser("invoke", help="run a function's handler here with a FunctionGraph-like context")
    run.add_argument("function", help="function folder, e.g. modelarts_delete_authorizations")
    run.add_argument("--event", type=Path, required=True, help="event JSON file ('-' for standard input)")
    run.add_argument("--env-file", type=Path, help="KEY=VALUE settings over the template's variables")
    run.add_argument("--emulator", action="store_true", help="against the embedded, seeded emulator")
    _template_options(run)

    from fgrevoke import deploy_cli

    deploy_cli.add_commands(commands)

    args = parser.parse_args(argv)
    if args.command == "demo":
        from fgrevoke import demo

        return demo.run()
    if args.command == "validate":
        from fgrevoke import template, validate

        try:
            errors = validate.validate(template.load(args.template, project_config.resolve(args).parameters))
        except template.TemplateError as problem:
            errors = [str(problem)]
        _report(args, {"valid": not errors, "errors": errors},
                "\n".join(errors) if errors else f"{args.template}: valid")
        return 1 if errors else 0
    if args.command == "event":
        from fgrevoke import local

        request = json.loads(args.request) if args.request else None
        print(json.dumps(local.sample_event(args.kind, request, method=args.method, user_id=args.user_id,
                                            user_name=args.user_name), indent=2))
        return 0
    if args.command == "invoke":
        return _invoke(args)
    if args.command == "package":
        return _package(args)
    if args.command in ("deploy", "destroy"):
        return _run_tool_command(args)
    if args.command == "emulator":
        from fgrevoke.emulator import Emulator

        emulator = Emulator(args.host, args.port)
        emulator.add_credentials(args.access_key, args.secret_key, args.security_token)
        print(f"emulator listening on {emulator.endpoint}; set HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION> to it",
              file=sys.stderr, flush=True)
        try:
            emulator.serve_forever()
        except KeyboardInterrupt:
            return 130
        return 0
    return 2
