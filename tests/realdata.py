"""Where the development recordings are (``../shared/realdata`` beside the
repository, never copied into it), and a skip marker for tests that need one
of them when it is absent, as on a user's machine."""

from __future__ import annotations

from pathlib import Path

import pytest

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


def needs(folder: Path, what: str) -> pytest.MarkDecorator:
    """Skip unless ``folder`` (inside REALDATA) exists."""
    return pytest.mark.skipif(not folder.is_dir(),
                              reason=f"{what} not found at {folder} (development data, "
                                     "not shipped)")
