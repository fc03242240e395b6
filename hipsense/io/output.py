"""Where hipsense may write: the one policy every command follows.

- A named output file (a report, an export, a trends page): its folder must
  exist; hipsense creates no folders for a file it was told to write.
- A session folder (``simulate``, ``record``, ``demo``): a new or empty folder is
  used; a file there, or a folder holding anything, is refused unless
  ``force``. What ``force`` does: ``simulate`` writes its session over the one
  there; ``record`` (``replace``) first removes the session folder, and only a
  folder that holds a hipsense session (session.json or a raw log), so
  nothing else is ever deleted.
"""

from __future__ import annotations

import shutil
import datetime
from pathlib import Path

from hipsense.consts import SESSION_FILE
from hipsense.errors import HipsenseError
from hipsense.io.rawlog import RAW_LOG_FILE


def check_output_file(path: Path) -> Path:
    """``path`` when its folder exists, else HipsenseError naming both."""
    if not path.parent.is_dir():
        raise HipsenseError(f"{path}: folder {path.parent} does not exist")
    return path


def prepare_session_folder(folder: Path, force: bool, *, replace: bool = False) -> None:
    """Refuse a used session folder unless ``force``; with ``replace`` (and
    ``force``), empty one that holds a hipsense session, refusing any other."""
    if not folder.exists():
        return
    if not folder.is_dir():
        hint = "; choose another --out" if replace else ""
        raise HipsenseError(f"{folder}: exists and is not a folder{hint}")
    if not any(folder.iterdir()):
        return
    if not force:
        what = "replace the session in it" if replace else "overwrite its session"
        raise HipsenseError(f"{folder}: folder is not empty; choose another --out or add "
                            f"--force to {what}")
    if not replace:
        return
    if not ((folder / SESSION_FILE).exists() or (folder / RAW_LOG_FILE).exists()):
        raise HipsenseError(f"{folder}: not a hipsense session folder; --force only replaces "
                            "sessions")
    shutil.rmtree(folder)


def default_sessions_dir() -> Path:
    """``$HIPSENSE_SESSIONS``, else ``sessions`` in the user's data directory
    (platformdirs: ``~/.local/share/hipsense/sessions`` on Linux)."""
    import os

    env = os.environ.get("HIPSENSE_SESSIONS")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("hipsense", appauthor=False)) / "sessions"


def new_session_folder(root: Path, now: datetime.datetime | None = None) -> Path:
    """A new folder name under ``root`` for a session recorded now (local time,
    ``2026-12-07_2315``; ``_2``, ``_3`` ... when taken). Not created."""

    now = now or datetime.datetime.now()
    base = now.strftime("%Y-%m-%d_%H%M")
    folder, k = root / base, 2
    while folder.exists():
        folder, k = root / f"{base}_{k}", k + 1
    return folder


#: Folders hipsense never writes into by default: the repository's own sample
#: data (a report of a sample session goes beside the history instead, so a
#: checkout stays clean).
def protected_folders() -> tuple[Path, ...]:
    """The sample data beside the package (an editable install or a checkout
    on ``sys.path``). After ``pip install .`` the package is elsewhere: see
    :func:`is_protected`, which also knows a checkout's ``sample_data`` by itself."""
    return (Path(__file__).resolve().parents[2] / "sample_data",)


def is_sample_data(folder: Path) -> bool:
    """Whether ``folder`` is a repository's ``sample_data``: named so, and
    holding a README or sitting in a git checkout (its parent has ``.git``)."""
    if folder.name != "sample_data" or not folder.is_dir():
        return False
    return (any((folder / f"README{ext}").is_file() for ext in ("", ".md", ".txt"))
            or (folder.parent / ".git").exists())


def is_protected(folder: Path) -> bool:
    """Whether ``folder`` is inside a protected folder: one of
    :func:`protected_folders`, or any repository's ``sample_data``
    (:func:`is_sample_data`) wherever hipsense is installed from."""
    folder = Path(folder).resolve()
    if any(_inside(folder, p) for p in protected_folders()):
        return True
    return any(is_sample_data(p) for p in (folder, *folder.parents))


def _inside(folder: Path, parent: Path) -> bool:
    try:
        folder.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


def default_report_file(session_dir: Path, reports_dir: Path, name: str = "report.html"
                        ) -> Path:
    """Where ``report`` writes by default: ``name`` in the session folder, unless
    that folder is inside a protected one (the repository's ``sample_data/``) or
    not writable: then ``reports_dir/<session folder name>/name`` (the folder
    made owner-only when missing)."""
    from hipsense.io.private import make_private_dir

    import os

    session_dir = Path(session_dir)
    protected = is_protected(session_dir)
    if not protected and os.access(session_dir, os.W_OK):
        return session_dir / name
    out = Path(reports_dir) / session_dir.resolve().name
    try:
        make_private_dir(out)
    except OSError as exc:
        raise HipsenseError(f"{out}: cannot create the reports folder: "
                            f"{exc.strerror or exc}") from None
    return out / name
