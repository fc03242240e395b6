"""The coach view: a full-screen web page served by ``hipsense record``.

- :mod:`.events`: the messages (pure dicts built from the recorder's state);
- :mod:`.server`: the aiohttp server that serves the page and pushes the
  messages over a WebSocket, in the recorder's own event loop;
- ``static/``: the page (HTML, CSS, JavaScript: drawing, speech, chime).
"""
