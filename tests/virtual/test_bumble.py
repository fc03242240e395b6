"""The virtual sensor as a bumble peripheral, over bumble's in-process local
link: a bumble GATT client finds the service by UUID, subscribes, starts the
stream and decodes what arrives with hipsense's codec."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("bumble")

from bumble.controller import Controller  # noqa: E402
from bumble.core import UUID, AdvertisingData  # noqa: E402
from bumble.device import Device, Peer  # noqa: E402
from bumble.hci import Address  # noqa: E402
from bumble.host import Host  # noqa: E402
from bumble.link import LocalLink  # noqa: E402
from bumble.transport.common import AsyncPipeSink  # noqa: E402

from hipsense.virtual.bumble_peripheral import BumbleSensor  # noqa: E402
from hipsense.virtual import virtual_sensor  # noqa: E402
from hipsense.virtual.sensor import VirtualWearer  # noqa: E402
from hipsense.sensors.base import StreamConfig  # noqa: E402
from hipsense.sensors.hipsense.codec import CONFIG_UUID, CONTROL_UUID, DATA_UUID, SERVICE_UUID  # noqa: E402
from hipsense.sensors.hipsense.commands import (  # noqa: E402
    Config, Op, encode_command, parse_response, seq_of_payload,
)
from hipsense.sensors.hipsense.stream import HipsenseDecoder  # noqa: E402


def _device(link: LocalLink, address: str) -> Device:
    controller = Controller(address, link=link, public_address=address)
    return Device(address=Address(address), host=Host(controller, AsyncPipeSink(controller)))


async def _session() -> tuple[VirtualWearer, list, list, AdvertisingData | None]:
    link = LocalLink()
    sensor = virtual_sensor(["hip_bridge"], seed=7)
    wearer = sensor.wearer
    peripheral = _device(link, "C0:FF:EE:00:5E:1A")
    BumbleSensor(sensor, peripheral)
    central = _device(link, "F0:F0:F0:F0:F0:F0")
    await peripheral.power_on()
    await central.power_on()
    await peripheral.start_advertising()
    seen: list[AdvertisingData] = []
    central.on("advertisement", lambda adv: seen.append(adv.data))
    await central.start_scanning()
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.01)
    await central.stop_scanning()

    connection = await central.connect(Address("C0:FF:EE:00:5E:1A"))
    peer = Peer(connection)
    await peer.request_mtu(247)
    [service] = await peer.discover_service(UUID(SERVICE_UUID))
    await service.discover_characteristics()
    data = service.get_characteristics_by_uuid(UUID(DATA_UUID))[0]
    control = service.get_characteristics_by_uuid(UUID(CONTROL_UUID))[0]
    config = service.get_characteristics_by_uuid(UUID(CONFIG_UUID))[0]
    packets, responses = [], []
    await data.subscribe(lambda value: packets.append(bytes(value)))
    await control.subscribe(lambda value: responses.append(parse_response(bytes(value))))
    cfg = Config.unpack(await config.read_value())

    async def command(data: bytes) -> None:
        n = len(responses)
        await control.write_value(data, with_response=True)
        while len(responses) == n:  # the answer comes by notification
            await asyncio.sleep(0.01)

    for _ in range(2):  # the calibration, then the set
        await command(encode_command(Op.START, cfg.rate_hz, cfg.acc_range_g, cfg.gyr_range_dps))
        await sensor.finished.wait()
        await command(encode_command(Op.STOP))
    await connection.disconnect()
    return wearer, packets, responses, seen[0] if seen else None


def test_bumble_gatt_client_receives_the_simulated_samples():
    wearer, packets, responses, adv = asyncio.run(_session())
    assert adv is not None
    assert adv.get(AdvertisingData.COMPLETE_LOCAL_NAME) == "hipsense-5E1A"
    assert [(op, r.name) for op, r, _ in responses] == [(Op.START, "OK"), (Op.STOP, "OK")] * 2
    # START names the stream's first packet, STOP the next one (over the air too)
    seqs = [int.from_bytes(p[2:4], "little") for p in packets]
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
    first_a, next_a, first_b, next_b = [seq_of_payload(p) for _, _, p in responses]
    assert first_a == seqs[0] and next_b == seqs[-1] + 1
    assert first_a < next_a == first_b < next_b
    sim = wearer.simulated.session
    want = [sim.calibration, sim.sets[0][1]]
    assert max(map(len, packets)) == 11 + 12 * 8  # full packets through a 247-byte MTU
    dec = HipsenseDecoder(StreamConfig(104.0, 4.0, 500.0, 4 / 32768, 500 / 32768))
    got = dec.feed(np.arange(len(packets), dtype=float), packets)
    assert dec.lost_packets == 0 and not dec.bad
    acc = np.concatenate([r.acc_g for r in want])
    times = np.concatenate([r.time_s for r in want])
    assert len(got) == len(acc)
    np.testing.assert_array_equal(got.acc_g, acc)
    assert np.abs(got.time_s - times).max() < 1e-3


def test_virtual_sensor_on_a_transport_that_cannot_open(capsys):
    from hipsense.cli import main

    assert main(["virtual-sensor", "--transport", "bogus:1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hipsense: error: cannot open Bluetooth transport 'bogus:1': "
                   "unknown transport scheme"]
