"""`secondme demo`: a throwaway bank filled with the sample data, away from the real one.

The sample vault and chat export in `assets/` are made-up people and trips; importing
them into a real bank would mix them with the person's own memories for good. The
demo builds its own bank in a new folder (a fresh temporary one unless `--into` names
an empty or new folder), never in the home the command was given, and says how to
open it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ..errors import MissingFile, UserError
from .app import JsonOpt, app, emit_json, state

DEMO_PASSPHRASE = "demo"   # sample data only: nothing private is ever in a demo bank
SAMPLES = ("sample-vault", "sample-chatgpt.json")


def sample_paths() -> list[Path]:
    """The sample vault and chat export shipped in the source checkout's `assets/`."""
    assets = Path(__file__).resolve().parents[2] / "assets"
    paths = [assets / name for name in SAMPLES]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise MissingFile(f"the sample data is not here ({', '.join(missing)}); it ships with "
                          "the source checkout of Second Me")
    return paths


def _demo_home(into: Path | None, real_home: Path) -> Path:
    if into is None:
        return Path(tempfile.mkdtemp(prefix="secondme-demo-")).resolve()
    target = into.expanduser().resolve()
    if target == real_home or real_home in target.parents or target in real_home.parents:
        raise UserError(f"the demo never goes into or around your bank's home ({real_home}); "
                        "pick another folder for --into")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"{target} is not an empty folder; the demo needs a new or empty one")
    return target


@app.command()
def demo(
    ctx: typer.Context,
    into: Annotated[Path | None, typer.Option(
        "--into", help="Build the demo bank in this new or empty folder (default: a fresh "
        "temporary folder).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Try Second Me on sample data in a throwaway bank; your own bank is never touched."""
    from storage import create_bank

    from ..config import load_settings
    from ..importers import import_paths
    from ..services import build_services
    from ..unlock import kdf_params

    st = state(ctx)
    samples = sample_paths()
    home = _demo_home(into, st.home)
    bank = create_bank(home, DEMO_PASSPHRASE, kdf_params())
    services = build_services(load_settings(home, model=st.model), bank, st.clock())
    try:
        report = import_paths(services, samples)
    finally:
        services.close()
    totals = report.totals()
    if as_json:
        emit_json({"home": str(home), "passphrase": DEMO_PASSPHRASE, "imported": totals,
                   "your_home": str(st.home), "your_home_touched": False})
        return
    typer.echo(f"Built a demo bank from the sample notes and chats: {totals['imported']} files "
               "imported.")
    typer.secho(f"Demo home:  {home}   (passphrase: {DEMO_PASSPHRASE})", bold=True)
    typer.echo(f"Open it:    secondme --home {home}")
    typer.echo(f"Or try:     SECONDME_PASSPHRASE={DEMO_PASSPHRASE} secondme --home {home} "
               "timeline --level month")
    typer.echo(f"Your own bank ({st.home}) was not touched. "
               f"Delete the demo when done: rm -rf {home}")
