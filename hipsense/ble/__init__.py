"""The bleak transport every driver uses: opening a client, a control point
that answers by notification, and the one reconnect helper (:mod:`hipsense.ble.link`)."""
