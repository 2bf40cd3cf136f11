"""The ``fgrevoke`` command: developer tooling around the functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, List, Optional


def _template_options(parser: argparse.ArgumentParser) -> None:
    from fgrevoke.template import TEMPLATE

    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the template (default: %(default)s)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a template parameter (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


def _report(args: argparse.Namespace, document: Any, text: str) -> None:
    print(json.dumps(document, indent=2) if args.json else text)


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

    args = parser.parse_args(argv)
    if args.command == "demo":
        from fgrevoke import demo

        return demo.run()
    if args.command == "validate":
        from fgrevoke import template, validate

        try:
            errors = validate.validate(template.load(args.template, template.parse_overrides(args.param)))
        except template.TemplateError as problem:
            errors = [str(problem)]
        _report(args, {"valid": not errors, "errors": errors},
                "\n".join(errors) if errors else f"{args.template}: valid")
        return 1 if errors else 0
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
