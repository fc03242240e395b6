"""The virtual hipsense sensor: the firmware protocol, driven by the simulator.

:class:`VirtualSensor` is the sensor's side of PROTOCOL.md (advertising data,
the GATT characteristics, the control point, packetising and streaming),
independent of any radio. Two transports expose it: an in-process bleak
backend (:mod:`hipsense.virtual.backend`, so the real ``BleakClient`` code
path runs) and a BLE peripheral on the bumble stack
(:mod:`hipsense.virtual.bumble_peripheral`).

What it streams is what a :class:`VirtualWearer` does: the calibration and the
sets of ``simulate_session(spec, seed)``, sample for sample. A packet the
simulator lost is a packet the virtual sensor skips (its sequence number is
never sent), so a recording equals the simulated session: the same int16
counts, the same loss, and times within the 0.3 ms the packet's ``t0 + k *
period`` cannot carry of the simulator's timestamp jitter.

Time: with ``speed=math.inf`` (tests, unattended demo) the sensor runs as
fast as the host reads, its clock jumping over the rests between sets, and
:meth:`VirtualSensor.host_clock` gives the matching host time (offset, 40 ppm
drift, 6-14 ms latency). With a finite speed it streams in (scaled) real time
against the event loop's clock.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hipsense.sensors.hipsense.codec import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, CONFIG_UUID, CONTROL_UUID, DATA_UUID,
    DEVICE_INFO_SERVICE_UUID, FIRMWARE_UUID, MANUFACTURER_UUID, MAX_SAMPLES, MODEL_NUMBER_UUID,
    NAME_PREFIX, SERVICE_UUID, encode_packet,
)
from hipsense.sensors.hipsense.commands import CommandError, Config, Op, Result, encode_response, \
    parse_command, seq_payload
from hipsense.core import Recording
from hipsense.sim.imu import Mounting
from hipsense.sim.movements import SetSpec
from hipsense.sim.session import SessionSpec, SimulatedSession, simulate_session
from hipsense.version import __version__
from hipsense.virtual.packets import Packets, packetise

#: The hipsense sensor's GATT table: (service, ((characteristic, properties), ...)).
HIPSENSE_GATT = (
    (SERVICE_UUID, ((DATA_UUID, ["notify"]), (CONTROL_UUID, ["write", "notify"]),
                    (CONFIG_UUID, ["read"]))),
    (BATTERY_SERVICE_UUID, ((BATTERY_LEVEL_UUID, ["read", "notify"]),)),
    (DEVICE_INFO_SERVICE_UUID, ((MANUFACTURER_UUID, ["read"]), (MODEL_NUMBER_UUID, ["read"]),
                                (FIRMWARE_UUID, ["read"]))),
)

FIRMWARE_VERSION = (1, 0, 0)
MODEL_VIRTUAL = 0

#: Simulated host clock in fast mode: host = offset + (1 + drift) * sensor + latency.
HOST_OFFSET_S = 1000.0
HOST_DRIFT = 40e-6


class VirtualWearer:
    """The simulated runner: does the calibration and sets it is asked for.

    Asked for the sets of ``spec`` (in its order or not), it performs exactly
    the recordings of ``simulate_session(spec, seed)``. Asked for something
    else (a set again, a repeated calibration), it simulates that afresh with
    the same sensor placement (a set as ``spec`` plans it, when it does).
    """

    def __init__(self, spec: SessionSpec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.simulated: SimulatedSession = simulate_session(spec, seed)
        s = self.simulated.session
        script: list[tuple[str, str, Recording]] = []
        if s.calibration is not None:
            script.append(("calibration", "", s.calibration))
        script += [(info.exercise, info.side, rec) for info, rec in s.sets]
        self._script = script
        self._extra = 0

    @property
    def next_planned(self) -> tuple[str, str] | None:
        """(exercise or "calibration", side) the wearer would do next, if any."""
        return self._script[0][:2] if self._script else None

    def perform(self, exercise: str, side: str, now_s: float, *, realtime: bool) -> Recording:
        """The recording of doing ``exercise`` on ``side`` (``"calibration"``, ``""``
        for the calibration) on a sensor clock that reads ``now_s``. In real time
        it starts now; else at its simulated time if that is still to come."""
        planned = next((i for i, item in enumerate(self._script)
                        if item[:2] == (exercise, side)), None)
        if planned is not None:  # the planned recording, in the plan's order or not
            rec = self._script.pop(planned)[2]
        else:
            self._extra += 1
            mounting = self.simulated.truth["mounting"]
            # a set done again is done as planned (its faults of form too)
            again = next((s for s in self.spec.sets if (s.exercise, s.side) == (exercise, side)),
                         SetSpec(exercise, side))
            spec = SessionSpec(
                sets=() if exercise == "calibration" else (again,),
                rate_hz=self.spec.rate_hz, acc_range_g=self.spec.acc_range_g,
                gyr_range_dps=self.spec.gyr_range_dps,
                calibration=exercise == "calibration",
                mounting=Mounting(mounting["pitch_deg"], mounting["roll_deg"],
                                  mounting["yaw_deg"], tuple(mounting["lever_arm_m"])))
            s = simulate_session(spec, self.seed * 1000 + self._extra).session
            rec = s.calibration if exercise == "calibration" else s.sets[0][1]
        if realtime or rec.time_s[0] < now_s:
            rec = Recording(rec.time_s + (now_s + 1.0 - rec.time_s[0]), rec.acc_g,
                            rec.gyr_dps)
        return rec


@dataclass(frozen=True)
class Faults:
    """Transport trouble to inject.

    ``drop_fraction``: notifications lost on air at random (the sequence
    number shows them). ``disconnect_at``: produced-packet counts at which
    the link drops; the sensor is reachable again ``disconnect_s`` later.
    """

    drop_fraction: float = 0.0
    disconnect_at: tuple[int, ...] = ()
    disconnect_s: float = 2.0
    seed: int = 0


Notify = Callable[[str, bytes], None]


class VirtualSensor:
    """A hipsense sensor in software (see the module docstring).

    Transports call :meth:`connect` / :meth:`disconnect`, :meth:`read`,
    :meth:`write`, and receive notifications through the ``notify`` they
    pass to :meth:`connect`; ``on_link_lost`` is called when the injected
    faults drop the link.

    The START result reports the sequence number of the stream's first
    packet and the STOP result the one the next packet would carry
    (PROTOCOL.md); ``reports_seq=False`` answers both with an empty payload,
    as sensors of the first firmware do.
    """

    def __init__(self, wearer: VirtualWearer, *, name: str = f"{NAME_PREFIX}5E1A",
                 address: str = "C0:FF:EE:00:5E:1A", speed: float = math.inf,
                 samples_per_packet: int = 8, faults: Faults = Faults(),
                 rssi_dbm: int = -58, battery_pct: int = 87, reports_seq: bool = True) -> None:
        if not 1 <= samples_per_packet <= MAX_SAMPLES:
            raise ValueError(f"samples_per_packet must be 1..{MAX_SAMPLES}")
        self.wearer = wearer
        self.name, self.address = name, address
        self.rssi_dbm, self.battery_pct = rssi_dbm, battery_pct
        self.speed = speed
        self.samples_per_packet = samples_per_packet
        self.faults = faults
        self.reports_seq = reports_seq
        spec = wearer.spec
        self.rate_hz = int(round(spec.rate_hz))
        self.acc_range_g, self.gyr_range_dps = int(spec.acc_range_g), int(spec.gyr_range_dps)
        self.acc_g_per_lsb = spec.acc_range_g / 32768.0
        self.gyr_dps_per_lsb = spec.gyr_range_dps / 32768.0
        self._rng = np.random.default_rng(faults.seed)
        self._notify: Notify | None = None
        self.on_link_lost: Callable[[], None] | None = None
        self.streaming = False
        self._task: asyncio.Task | None = None
        self._packets: Packets | None = None
        self._pos = 0
        self._seq_base = 0
        self._clock_s = float(wearer.simulated.session.calibration.time_s[0] - 5.0
                              if wearer.simulated.session.calibration is not None
                              else wearer.simulated.session.sets[0][1].time_s[0] - 5.0)
        self._wall0: float | None = None  # loop time at _clock_s (real-time mode)
        self._clock_shift_us = 0
        self._connectable_at_s = -math.inf
        self._pending_disconnects = sorted(faults.disconnect_at)
        self.produced = 0            # packets produced while streaming
        self.dropped: list[int] = []  # sequence numbers lost on air
        self.undelivered_s: list[tuple[float, float]] = []  # sample-time ranges never sent
        self.disconnects = 0
        self.finished = asyncio.Event()  # the wearer finished the current recording
        self._next_activity: tuple[str, str] | None = None

    # ---- clock ---------------------------------------------------------------
    def now_s(self) -> float:
        """The sensor clock (s, sim time scale, before any SET_CLOCK shift)."""
        if self._wall0 is None or math.isinf(self.speed):
            return self._clock_s
        return self._clock_s + (asyncio.get_running_loop().time() - self._wall0) * self.speed

    def _set_clock(self, t_s: float) -> None:
        self._clock_s = t_s
        if not math.isinf(self.speed):
            self._wall0 = asyncio.get_running_loop().time()

    def host_clock(self) -> float:
        """Host time (s) for notifications in fast mode: offset, drift and latency."""
        latency = 0.006 + 0.008 * self._rng.random()
        return HOST_OFFSET_S + (1 + HOST_DRIFT) * self._clock_s + latency

    # ---- what the wearer does --------------------------------------------------
    def wearer_does(self, exercise: str, side: str) -> None:
        """What the runner does at the next START ("calibration", "" or an exercise).

        The runner moves on when asked: the rest of a recording the recorder
        ended early (Enter) is never done, so it is never produced either
        (a START after a reconnect, which nobody asked for, resumes it)."""
        self._next_activity = (exercise, side)

    # ---- link ------------------------------------------------------------------
    def advertisement(self) -> dict:
        """Advertising data: name, service UUID, battery level as Battery service data."""
        return {"local_name": self.name, "service_uuids": [SERVICE_UUID],
                "service_data": {BATTERY_SERVICE_UUID: bytes([self.battery_pct])},
                "rssi": self.rssi_dbm, "tx_power": 0}

    def gatt(self):
        """The GATT table (services and characteristics with properties)."""
        return HIPSENSE_GATT

    def connect(self, notify: Notify) -> None:
        """A central connects. Fails while the injected outage lasts (real time)."""
        if self.now_s() < self._connectable_at_s:
            if math.isinf(self.speed):
                self._set_clock(self._connectable_at_s)  # the outage passes instantly
            else:
                raise ConnectionError(f"{self.name} not reachable")
        self._notify = notify

    def disconnect(self) -> None:
        """The central disconnects: the firmware stops streaming."""
        self._halt()
        self._notify = None

    def _halt(self) -> None:
        self.streaming = False
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._task = None

    def _lose_link(self) -> None:
        self.disconnects += 1
        self._connectable_at_s = self.now_s() + self.faults.disconnect_s
        self._halt()
        self._notify = None
        if self.on_link_lost is not None:
            self.on_link_lost()

    # ---- GATT ------------------------------------------------------------------
    def config(self) -> Config:
        return Config(self.streaming, self.rate_hz, self.acc_range_g, MODEL_VIRTUAL,
                      self.gyr_range_dps, self.acc_g_per_lsb, self.gyr_dps_per_lsb,
                      FIRMWARE_VERSION, self._clock_us())

    def _clock_us(self) -> int:
        return (int(round(self.now_s() * 1e6)) + self._clock_shift_us) & 0xFFFFFFFF

    def read(self, uuid: str) -> bytes:
        uuid = uuid.lower()
        if uuid == CONFIG_UUID:
            return self.config().pack()
        if uuid == BATTERY_LEVEL_UUID:
            return bytes([self.battery_pct])
        if uuid == MANUFACTURER_UUID:
            return b"hipsense"
        if uuid == MODEL_NUMBER_UUID:
            return b"hipsense virtual sensor"
        if uuid == FIRMWARE_UUID:
            return ".".join(map(str, FIRMWARE_VERSION)).encode() + f"+py{__version__}".encode()
        raise KeyError(uuid)

    def write(self, uuid: str, data: bytes) -> None:
        """A write to the control point; the answer goes out as a notification."""
        if uuid.lower() != CONTROL_UUID:
            raise KeyError(uuid)
        op = data[0] if data else 0
        try:
            op, params = parse_command(bytes(data))
            payload = self._execute(op, params)
            response = encode_response(op, Result.OK, payload)
        except CommandError as exc:
            response = encode_response(op, exc.result)
        self._send(CONTROL_UUID, response)

    def _execute(self, op: Op, params: tuple[int, ...]) -> bytes:
        if op == Op.START:
            if self.streaming:
                raise CommandError(Result.INVALID_STATE, "already streaming")
            if params != (self.rate_hz, self.acc_range_g, self.gyr_range_dps):
                raise CommandError(Result.INVALID_PARAMETER, f"START {params}")
            self._start()
            return seq_payload(self.next_seq()) if self.reports_seq else b""
        elif op == Op.STOP:
            if not self.streaming:
                raise CommandError(Result.INVALID_STATE, "not streaming")
            self._halt()
            return seq_payload(self.next_seq()) if self.reports_seq else b""
        elif op == Op.SET_CLOCK:
            self._clock_shift_us = params[0] - int(round(self.now_s() * 1e6))
        elif op == Op.READ_CONFIG:
            return self.config().pack()
        return b""  # IDENTIFY: nothing to blink

    def _send(self, uuid: str, data: bytes) -> None:
        if self._notify is not None:
            self._notify(uuid, data)

    # ---- streaming ---------------------------------------------------------------
    def next_seq(self) -> int:
        """The sequence number the next packet produced will carry."""
        p = self._packets
        if p is not None and self._pos < len(p.number):
            return (self._seq_base + int(p.number[self._pos])) & 0xFFFF
        return self._seq_base & 0xFFFF

    def _advance(self) -> None:
        """The packet at ``_pos`` is done with (sent, lost or skipped); after a
        recording's last packet the next one's numbers follow on."""
        p = self._packets
        assert p is not None
        self._pos += 1
        if self._pos == len(p.number):
            self._seq_base += int(p.number[-1]) + 1

    def _start(self) -> None:
        p = self._packets
        if self._next_activity is not None and p is not None and self._pos < len(p.number):
            # a recording ended early: what is left of it is never produced, so
            # the sequence numbers go on from the last packet produced
            self._seq_base = self.next_seq()
            self._packets = None
        started_s = self.now_s()
        if self._packets is None or self._pos >= len(self._packets.number):
            activity = self._next_activity or self.wearer.next_planned
            if activity is None:
                raise CommandError(Result.INVALID_STATE, "the virtual wearer has nothing to do")
            self._next_activity = None
            rec = self.wearer.perform(*activity, started_s,
                                      realtime=not math.isinf(self.speed))
            self._packets = packetise(rec, self.acc_g_per_lsb, self.gyr_dps_per_lsb,
                                      self.samples_per_packet)
            self._pos = 0
            self.finished.clear()
        self._set_clock(self.now_s())
        # what the wearer did while the sensor was not streaming is not sent (so
        # the START result names the first packet this stream produces); judged at
        # the START, not after the time simulating and packetising took (at 200x
        # real time, 5 ms of a busy host are 1 s of the set)
        p = self._packets
        while self._pos < len(p.number) and p.t0_us[self._pos] / 1e6 < started_s - 1e-3:
            self._undelivered(self._pos)
            self._advance()
        self.streaming = True
        self._task = asyncio.get_running_loop().create_task(self._stream())

    async def _stream(self) -> None:
        p = self._packets
        assert p is not None
        fast = math.isinf(self.speed)
        while self._pos < len(p.number) and self.streaming:
            i = self._pos
            if fast:
                self._clock_s = max(self._clock_s, float(p.last_s[i]))
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(max(0.0, (p.last_s[i] - self.now_s()) / self.speed))
            if not self.streaming:
                return
            seq = self.next_seq()
            self._advance()
            self.produced += 1
            if self._pending_disconnects and self.produced >= self._pending_disconnects[0]:
                self._pending_disconnects.pop(0)
                self._undelivered(i)
                self._lose_link()
                return
            if self.faults.drop_fraction and self._rng.random() < self.faults.drop_fraction:
                self.dropped.append(seq)
                self._undelivered(i)
                continue
            t0 = int(p.t0_us[i]) + self._clock_shift_us
            self._send(DATA_UUID, encode_packet(seq, t0, p.counts[i], int(p.period_us[i])))
        if self._pos >= len(p.number):
            self.finished.set()

    def _undelivered(self, i: int) -> None:
        p = self._packets
        assert p is not None
        self.undelivered_s.append((float(p.t0_us[i]) / 1e6, float(p.last_s[i])))
