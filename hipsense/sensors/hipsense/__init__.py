"""The hipsense sensor family (mirrors firmware_protocol/PROTOCOL.md): the
packet codec and GATT identifiers (:mod:`.codec`), the control-point commands
(:mod:`.commands`), the stream decoder (:mod:`.stream`) and the driver
(:mod:`.driver`). Importing the package loads the codec only."""

from hipsense.sensors.hipsense.codec import (
    CONFIG_UUID, CONTROL_UUID, DATA_UUID, SERVICE_UUID, Decoded, decode_packets, encode_packet,
    sample_times_us, sequence_gaps, unwrap_us,
)

__all__ = ["CONFIG_UUID", "CONTROL_UUID", "DATA_UUID", "SERVICE_UUID", "Decoded",
           "decode_packets", "encode_packet", "sample_times_us", "sequence_gaps", "unwrap_us"]
