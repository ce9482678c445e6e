"""Serve the browser page: ``marketsim viz [SCENARIO] [--host 127.0.0.1] [--port 8765]``.

The page is a Solara app (:mod:`simulator.viz.app`) served by uvicorn in this process, set up the
way ``solara run --production`` does it, with three differences that matter here:

- **offline**: no telemetry (it would call api.mixpanel.com and api.ipify.org), no check for a
  newer version on pypi.org, and the front-end's files from the installed ``solara-assets``. Its
  chart library is filed under full versions (``vega@5.21.0``) while the page asks for ``vega@5``;
  an alias folder of links (:func:`asset_folder`) serves them under both names.
- **sessions end**: a browser tab that closes ends its session at once; one that loses its
  connection is kept ``session_timeout`` seconds for a reconnect (its market waits meanwhile), then
  ended. An ended session's market stops and is freed.
- **Ctrl-C stops at once**: every live market is stopped and the server exits without waiting for
  open browser tabs to go away (a page has nothing to save).

It listens on 127.0.0.1 unless told otherwise, so the page is not reachable from other machines by
accident. Solara reads its settings when it is first imported, so they are set in the environment
before; nothing here imports solara at module level.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

APP_MODULE = "simulator.viz.app"
SCENARIO_ENV = "MARKETSIM_VIZ_SCENARIO"
"""Environment variable naming the scenario file the page starts from (set here, read by the page)."""
SESSION_TIMEOUT = 60.0
"""Seconds a session without a connected tab is kept for a reconnect before it is ended."""
ASSET_ALIASES = {"vega@5": "vega@5.", "vega-lite@5": "vega-lite@5.", "vega-embed@6": "vega-embed@6."}
"""Names the chart front-end asks for -> the prefix of the installed folder that serves them."""

logger = logging.getLogger("simulator.viz")


class PortUnavailable(Exception):
    """The host and port cannot be listened on (in use, or not an address of this machine)."""


def log(message: str) -> None:
    """One line in the server's log (standard output)."""
    logger.info(message)


def default_scenario_path() -> Path:
    """The bundled baseline scenario."""
    from simulator.bundled import bundled_path

    return bundled_path("baseline")


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortUnavailable` unless a server could listen on ``host:port`` now."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise PortUnavailable(f"--host {host}: unknown host ({e.strerror})") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise PortUnavailable(
                f"--port {port}: cannot listen on {host}:{port} ({e.strerror})"
            ) from None


def url(host: str, port: int) -> str:
    """The page's address."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def installed_assets() -> Path:
    """Where ``solara-assets`` put the front-end's files."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def asset_folder(installed: Path, target: Path) -> Path:
    """A folder of links to every installed asset, plus the short names the charts ask for.

    Args:
        installed: the installed asset folder (:func:`installed_assets`).
        target: an empty folder to fill.

    Returns:
        ``target``.
    """
    entries = sorted(installed.iterdir()) if installed.is_dir() else []
    for entry in entries:
        (target / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for alias, prefix in ASSET_ALIASES.items():
        matches = [e for e in entries if e.name.startswith(prefix)]
        if matches and not (target / alias).exists():
            (target / alias).symlink_to(matches[-1], target_is_directory=True)
    return target


def solara_environment(
    scenario: Path, port: int, host: str, session_timeout: float, assets: Path
) -> dict[str, str]:
    """The environment variables that set Solara up for the page (read when solara is imported)."""
    return {
        "SOLARA_APP": APP_MODULE,
        "SOLARA_MODE": "production",  # no auto-reload, no dev tools
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_KERNEL_CULL_TIMEOUT": f"{session_timeout:g}s",
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets),
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        SCENARIO_ENV: str(scenario.resolve()),
    }


def _log_to_stdout() -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("marketsim viz: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def serve(
    scenario: Path, host: str = "127.0.0.1", port: int = 8765, session_timeout: float = SESSION_TIMEOUT
) -> None:
    """Run the page's server until interrupted (Ctrl-C).

    Args:
        scenario: a validated scenario file; each browser session starts from it.
        host: address to listen on.
        port: port to listen on.
        session_timeout: seconds a session without a connected tab is kept for a reconnect.

    Raises:
        PortUnavailable: if ``host:port`` cannot be listened on.
    """
    check_port(host, port)
    assets = Path(tempfile.mkdtemp(prefix="marketsim-viz-assets-"))  # links only, removed at the end
    asset_folder(installed_assets(), assets)
    os.environ.update(solara_environment(scenario, port, host, session_timeout, assets))
    _log_to_stdout()
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG
    from solara.server import settings

    # imported already (a test, a notebook): the environment came too late for these
    settings.telemetry.mixpanel_enable = False
    settings.main.mode = "production"
    settings.kernel.cull_timeout = f"{session_timeout:g}s"
    settings.assets.proxy_cache_dir = assets

    from simulator.viz.live import stop_all

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # Ctrl-C: no page has anything to save, so stop the markets and do not wait for open
            # tabs; uvicorn's own handler would also raise the signal again once it stopped
            if self.should_exit:  # a second Ctrl-C: stop waiting for anything
                self.force_exit = True
            stop_all()
            self.should_exit = True

    config = uvicorn.Config(
        "solara.server.starlette:app",
        host=host,
        port=port,
        log_config=LOGGING_CONFIG,
        timeout_graceful_shutdown=1,
    )
    # served on 127.0.0.1 (not "localhost"), Solara warns on every page that its session cookie
    # cannot be samesite=none; lax is right for a page that is not embedded elsewhere
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    log(f"{scenario} at {url(host, port)}  (Ctrl-C stops)")
    try:
        Server(config).run()
    except KeyboardInterrupt:  # a Ctrl-C before the server installed its handler
        pass
    finally:
        stop_all()
        shutil.rmtree(assets, ignore_errors=True)
    log("stopped")
