"""Old path of :mod:`hipsense.core`, kept only for ``hipsense/ble/virtual.py``,
which branch r12-devices moves out of this package (it imports
``hipsense.recording``). Delete this file once that import names ``hipsense.core``."""

from hipsense.core import Gaps, Recording, Session, SetInfo

__all__ = ["Gaps", "Recording", "Session", "SetInfo"]
