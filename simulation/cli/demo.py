"""``demo``: the classroom app, served by Solara with every asset from this machine."""

from __future__ import annotations

import argparse
import os
import secrets

from ..lessons import load_lessons
from ..scenario import load
from .common import UsageError

# Where Solara's asset proxy would fetch files it does not hold: the discard port
# on this machine, so a missing asset fails the same way online and offline
# instead of quietly needing the internet in class.
OFFLINE_CDN = "http://127.0.0.1:9/"


def cmd_demo(args: argparse.Namespace) -> int:
    """The classroom app: Solara serves it, with every asset from this machine."""
    import socket

    extra = []
    for ref in args.scenario or []:
        extra.append(str(load(ref).path))  # a bad file stops here, with its key named
    try:
        from ..app.classmode_view import CLASS_ENV, SEED_ENV, TOKEN_ENV
        from ..app.page import EXTRA_ENV
        from ..app.state import lesson_named
    except ImportError as err:
        raise UsageError(f"the classroom app needs the 'demo' extra ({err.name} is missing): "
                         f"pip install -e '.[demo]'") from None
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((args.host, args.port))
        except OSError as err:
            raise UsageError(f"--port {args.port} on --host {args.host} cannot be used ({err.strerror}); "
                             f"choose another port") from None
    os.environ[EXTRA_ENV] = os.pathsep.join(extra)
    token = ""
    if args.class_mode:
        lesson = lesson_named(args.lesson)
        if lesson is None:
            names = ", ".join(f"{x.hypothesis.lower()} ({x.name})" for x in load_lessons())
            raise UsageError(f"--lesson {args.lesson!r} is not a lesson; lessons: {names}")
        if args.seed < 0:
            raise UsageError(f"--seed must be a whole number from 0 up, got {args.seed}")
        token = secrets.token_urlsafe(16)
        os.environ.update({CLASS_ENV: lesson.name, SEED_ENV: str(args.seed), TOKEN_ENV: token})
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_ASSETS_CDN", OFFLINE_CDN)
    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"Classroom app: {url}  (open it in a browser; Ctrl+C stops the server)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: --host {args.host} lets other machines on the network open the app", flush=True)
    if token:
        print(f"Class mode: students open {url} ; the teacher's page is {url}teacher?token={token}\n"
              f"(keep the token to yourself: it opens the class's submissions)", flush=True)
    from solara.__main__ import cli as solara_cli
    try:
        solara_cli(["run", "simulation.app", "--host", args.host, "--port", str(args.port), "--production",
                     "--no-open", "--no-check-version", "--log-level", "warning"], standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0
