"""Throughput of the packet decoder: full 19-sample packets, as a receiver
gets them (a list of notification payloads). Target: >= 5 million samples/s.

Usage: python benchmarks/decode.py [--packets 100000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from hipsense.sensors.hipsense import decode_packets, encode_packet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    samples = rng.integers(-32768, 32767, size=(19, 6))
    payloads = [encode_packet(i, 9615 * 19 * i, samples, 9615) for i in range(args.packets)]
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        decoded = decode_packets(payloads)
        best = min(best, time.process_time() - start)
    n = len(decoded.samples)
    print(f"{args.packets} packets, {n} samples: best of 5 {best * 1e3:.0f} ms CPU, "
          f"{n / best / 1e6:.1f} million samples/s (target >= 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
