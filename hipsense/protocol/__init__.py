"""The hipsense sensor's BLE protocol: GATT identifiers and the packet codec
(mirrors firmware_protocol/PROTOCOL.md)."""

from hipsense.protocol.codec import (
    CONFIG_UUID, CONTROL_UUID, DATA_UUID, SERVICE_UUID, Decoded, decode_packets, encode_packet,
    sample_times_us, sequence_gaps, unwrap_us,
)

__all__ = ["CONFIG_UUID", "CONTROL_UUID", "DATA_UUID", "SERVICE_UUID", "Decoded",
           "decode_packets", "encode_packet", "sample_times_us", "sequence_gaps", "unwrap_us"]
