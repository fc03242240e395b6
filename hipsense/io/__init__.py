"""Files: session folders (session-format.md) and exports."""

from hipsense.io.session import (
    read_recording, read_session, write_json, write_recording, write_session,
)

__all__ = ["read_recording", "read_session", "write_json", "write_recording", "write_session"]
