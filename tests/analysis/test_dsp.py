"""hipsense.analysis.dsp against the scipy routines it stands in for: the same
peak indices and properties, moving means within 1e-12, filter coefficients
within 1e-13 and filtered signals within 1e-10 (today all are bit-identical),
on random and edge-case signals; and ``hipsense analyze`` imports no scipy."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage, signal

from hipsense.analysis import dsp

ROOT = Path(__file__).resolve().parents[2]


def _same_peaks(x, prominence, distance):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns of zero prominences
        want, want_props = signal.find_peaks(x, prominence=prominence, distance=distance)
    got, got_props = dsp.find_peaks(x, prominence=prominence, distance=distance)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    assert set(got_props) == set(want_props)
    for key, value in want_props.items():
        np.testing.assert_array_equal(got_props[key], value, err_msg=key)


def _random_signals(rng, count):
    for _ in range(count):
        n = int(rng.integers(0, 600))
        kind = int(rng.integers(0, 5))
        if kind == 0:  # noise: many small peaks, all distinct
            yield rng.standard_normal(n)
        elif kind == 1:  # a rounded random walk: plateaus, equal heights
            yield np.round(rng.standard_normal(n).cumsum())
        elif kind == 2:  # few levels: flat peaks everywhere, ties in distance
            yield rng.integers(0, 4, n).astype(float)
        elif kind == 3:  # reps: a smoothed rectified sine and noise, as segmentation sees
            t = np.arange(n) / 100.0
            yield np.maximum(np.sin(2 * np.pi * t / rng.uniform(1, 4)), 0) * 20 \
                + rng.normal(0, 0.3, n)
        else:  # the live counter's padding: zeros at both ends
            yield np.r_[0.0, np.abs(rng.standard_normal(n)).cumsum() % 5, 0.0]


def test_find_peaks_matches_scipy_on_random_signals():
    rng = np.random.default_rng(12)
    for x in _random_signals(rng, 1500):
        prominence = float(rng.choice([0.0, 0.05, 0.5, 1.0, 3.0, 50.0]))
        distance = float(rng.choice([1, 1.5, 2, 3, 7.2, 40, 80, 1000]))
        _same_peaks(x, prominence, distance)


@pytest.mark.parametrize("x", [
    [], [1.0], [1.0, 2.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0],  # short; edges never peak
    [5.0] * 10,  # constant
    [0, 1, 1, 0], [0, 1, 1, 1, 0], [0, 2, 2, 2, 2, 0],  # plateaus, even and odd: the middle
    [0, 1, 1, 1], [1, 1, 1, 0], [3, 1, 2, 3],  # plateaus and maxima at the ends
    [0, 1, 1, 2, 0], [0, 2, 1, 1, 2, 0],  # a shoulder is no peak
    [0, 1, 0, 1, 0, 1, 0, 1, 0],  # equal peaks at equal spacing: ties in distance
    [0, 3, 0, 3, 0, 2, 0, 3, 0, 3, 0],
    [0, 1, 0, 2, 0, 3, 0, 2, 0, 1, 0],
    [0, -0.0, 0, 1, 0.0, -0.0, 1, 0],  # signed zeros are equal
])
@pytest.mark.parametrize("distance", [1, 2, 2.5, 3, 4, 100])
@pytest.mark.parametrize("prominence", [0.0, 0.5, 1.0, 2.5])
def test_find_peaks_matches_scipy_on_edge_cases(x, distance, prominence):
    _same_peaks(np.asarray(x, dtype=float), prominence, distance)


def test_find_peaks_long_signal_and_errors():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(60_000).cumsum()  # bases far from their peaks
    for distance in (1, 40, 400):
        _same_peaks(x, 1.0, distance)
    with pytest.raises(ValueError):
        dsp.find_peaks(x, 1.0, 0.5)
    with pytest.raises(ValueError):
        dsp.find_peaks(x.reshape(-1, 2), 1.0, 1)


def test_uniform_filter1d_matches_scipy():
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 5, 50, 997):
        for size in (1, 2, 3, 4, 7, 10, 31, 100, 2000):  # even, odd, longer than x
            x2 = rng.standard_normal((n, 3)) * 50 + 10
            for x, axis in ((x2, 0), (x2, 1), (x2[:, 0], -1), (x2[:, 0].copy(), 0)):
                want = ndimage.uniform_filter1d(x, size, axis=axis, mode="nearest")
                got = dsp.uniform_filter1d(x, size, axis=axis, mode="nearest")
                assert got.shape == want.shape
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    x = np.full(40, 3.25)  # constant: exactly itself
    np.testing.assert_array_equal(dsp.uniform_filter1d(x, 7), x)
    with pytest.raises(ValueError):
        dsp.uniform_filter1d(x, 3, mode="reflect")


def test_butter2_highpass_matches_scipy():
    rng = np.random.default_rng(5)
    rates = np.r_[104.0, 100.0, 200.0, 52.0, 1 / 0.0096, rng.uniform(1, 2000, 500)]
    for fs in rates:
        for cutoff in (0.1, float(rng.uniform(1e-3, 0.49 * fs))):
            want = signal.butter(2, cutoff, "highpass", fs=fs, output="sos")
            got = dsp.butter2_highpass(cutoff, fs)
            assert got.shape == want.shape == (1, 6)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)
    with pytest.raises(ValueError):
        dsp.butter2_highpass(60.0, 100.0)


def test_sosfiltfilt_matches_scipy():
    rng = np.random.default_rng(6)
    designs = [signal.butter(2, 0.1, "highpass", fs=104, output="sos"),
               dsp.butter2_highpass(2.0, 100.0),
               signal.butter(4, 3.0, fs=104, output="sos"),  # two sections
               signal.butter(3, 5.0, fs=100, output="sos")]  # a section with a zero b2, a2
    for sos in designs:
        ntaps = 2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
        for n in (3 * ntaps + 1, 3 * ntaps + 2, 100, 5000):
            for x in (rng.standard_normal(n), rng.standard_normal(n).cumsum() * 0.1,
                      np.full(n, 9.81), np.linspace(-3, 3, n)):
                want = signal.sosfiltfilt(sos, x)
                got = dsp.sosfiltfilt(sos, x)
                assert got.shape == want.shape
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
        short = np.zeros(3 * ntaps)
        with pytest.raises(ValueError):
            signal.sosfiltfilt(sos, short)
        with pytest.raises(ValueError):
            dsp.sosfiltfilt(sos, short)


def test_analyze_imports_no_scipy():
    probe = ("import io, contextlib, sys\n"
             "from hipsense.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    assert main(['analyze', {str(ROOT / 'sample_data' / '2026-10-05')!r}]) == 0\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'"
             " or m == 'pyarrow.compute'))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
