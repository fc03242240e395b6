"""The three scipy routines the analysis uses, in numpy, so that ``hipsense
analyze`` does not import ``scipy.signal`` (about 0.6 s here: it pulls in
``scipy.stats``) nor ``scipy.ndimage`` (about 0.2 s).

Each one computes what scipy computes, in the same order of floating-point
operations, for the arguments hipsense passes (tests/test_dsp.py compares
them with scipy on random and edge-case signals; the inputs are NaN-free):

- :func:`uniform_filter1d`: ``scipy.ndimage.uniform_filter1d(x, size, axis,
  mode="nearest")``, ndimage's running sum;
- :func:`find_peaks`: ``scipy.signal.find_peaks(x, prominence=p,
  distance=d)``, the peak indices and ``prominences``, ``left_bases`` and
  ``right_bases``;
- :func:`butter2_highpass` and :func:`sosfiltfilt`: ``scipy.signal.butter(2,
  cutoff_hz, "highpass", fs=fs_hz, output="sos")`` and
  ``scipy.signal.sosfiltfilt(sos, x)`` for a 1-D ``x`` (odd padding, scipy's
  default length).

Units are the caller's: samples for sizes and distances, Hz for frequencies.
"""

from __future__ import annotations

import numpy as np


def uniform_filter1d(x: np.ndarray, size: int, axis: int = -1, mode: str = "nearest"
                     ) -> np.ndarray:
    """Moving mean over ``size`` samples along ``axis``, beyond the ends the
    edge samples repeated (``mode="nearest"``, the only one); the window of
    sample i runs from ``i - size // 2`` to ``i + (size - 1) // 2``. As
    ndimage: one running sum (the first window summed in order, then plus the
    sample entering, minus the one leaving), divided by ``size`` at each
    sample."""
    if mode != "nearest" or size < 1:
        raise ValueError("only mode='nearest' and a size of at least 1")
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    before, after = size // 2, size - size // 2 - 1
    ext = np.concatenate((np.repeat(x[:1], before, axis=0), x,
                          np.repeat(x[-1:], after, axis=0)))
    steps = np.concatenate((np.cumsum(ext[:size], axis=0)[-1:],
                            ext[size:] - ext[:len(x) - 1]))
    return np.moveaxis(np.cumsum(steps, axis=0) / size, 0, axis)


def find_peaks(x: np.ndarray, prominence: float, distance: float
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The local maxima of ``x`` (a plateau's middle sample, rounded down; never
    the first or last sample), then, highest first, those closer than
    ``distance`` samples to a higher kept one dropped (ties in height as
    ``np.argsort`` orders them, as scipy), then those whose prominence is below
    ``prominence`` (units of ``x``). Returns the indices and their
    ``prominences``, ``left_bases`` and ``right_bases``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("x must be 1-D")
    if distance < 1:
        raise ValueError("distance must be at least 1")
    # runs of equal samples; a peak is a run with a lower sample on both sides
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    ends = np.r_[starts[1:] - 1, len(x) - 1]
    inner = (starts > 0) & (ends < len(x) - 1)
    s, e = starts[inner], ends[inner]
    top = (x[s - 1] < x[s]) & (x[e + 1] < x[e])
    peaks = ((s[top] + e[top]) // 2).astype(np.intp)

    spacing = int(np.ceil(distance))
    keep = np.ones(len(peaks), dtype=bool)
    where = peaks.tolist()
    for j in np.argsort(x[peaks])[::-1].tolist():
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and where[j] - where[k] < spacing:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(where) and where[k] - where[j] < spacing:
            keep[k] = False
            k += 1
    peaks = peaks[keep]

    prominences = np.empty(len(peaks))
    left_bases = np.empty(len(peaks), dtype=np.intp)
    right_bases = np.empty(len(peaks), dtype=np.intp)
    for n, peak in enumerate(peaks.tolist()):
        left_min, left_bases[n] = _base(x, peak, -1)
        right_min, right_bases[n] = _base(x, peak, +1)
        prominences[n] = x[peak] - max(left_min, right_min)
    keep = prominence <= prominences
    return peaks[keep], {"prominences": prominences[keep], "left_bases": left_bases[keep],
                         "right_bases": right_bases[keep]}


def _base(x: np.ndarray, peak: int, step: int) -> tuple[float, int]:
    """The lowest sample from ``peak`` outwards (``step`` -1: to the left, +1: to
    the right) up to the first sample higher than the peak or the end of the
    signal, and its index (the one nearest the peak among equal ones)."""
    width = 64
    while True:
        if step < 0:
            side = x[max(peak - width, 0):peak + 1][::-1]
            whole = len(side) == peak + 1
        else:
            side = x[peak:peak + width + 1]
            whole = len(side) == len(x) - peak
        higher = np.flatnonzero(side > x[peak])
        if higher.size or whole:
            side = side[:higher[0]] if higher.size else side
            i = int(np.argmin(side))
            return float(side[i]), peak + step * i
        width *= 4


def butter2_highpass(cutoff_hz: float, fs_hz: float) -> np.ndarray:
    """Second-order Butterworth high-pass above ``cutoff_hz`` for a signal
    sampled at ``fs_hz``, as one second-order section (shape (1, 6)): scipy's
    design steps (analogue prototype, low-to-high-pass, bilinear transform with
    pre-warping) with the same numpy operations."""
    wn = np.asarray(cutoff_hz, dtype=np.float64) / (fs_hz / 2)
    if not 0 < wn < 1:
        raise ValueError("the cut-off must be between 0 and half the sample rate")
    warped = float(2 * 2.0 * np.tan(np.pi * wn / 2.0))
    poles = -np.exp(1j * np.pi * np.arange(-1, 2, 2, dtype=np.float64) / 4)  # buttap(2)
    gain = 1.0 * np.real(np.prod(-np.zeros(0)) / np.prod(-poles))
    poles = warped / poles  # high-pass, its two zeros at 0
    zeros = (4.0 + np.zeros(2)) / (4.0 - np.zeros(2))  # bilinear transform, fs = 2
    gain = gain * np.real(np.prod(4.0 - np.zeros(2)) / np.prod(4.0 - poles))
    poles = (4.0 + poles) / (4.0 - poles)
    pole = (poles[poles.imag > 0] + poles[poles.imag < 0].conj()) / 2  # one of the pair
    a = np.real(np.convolve(np.convolve(np.ones(1, dtype=complex), [1, -pole[0]]),
                            [1, -pole[0].conj()]))
    b = np.convolve(np.convolve(np.ones(1), [1.0, -zeros[0]]), [1.0, -zeros[1]])
    return np.concatenate((b * gain, a))[None, :]


def sosfiltfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` (1-D) filtered forwards then backwards by the second-order sections
    ``sos`` (zero phase), after extending it at both ends by
    ``3 * (2 * n_sections + 1 - sections' trailing zeros)`` samples reflected
    through the end sample, each pass starting in the filter's steady state
    for its first sample (direct form II transposed, as scipy's ``sosfilt``)."""
    sos, x = np.asarray(sos, dtype=np.float64), np.asarray(x, dtype=np.float64)
    ntaps = 2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
    edge = 3 * int(ntaps)
    if x.ndim != 1 or len(x) <= edge:
        raise ValueError(f"x must be 1-D and longer than {edge} samples")
    ext = np.concatenate((2 * x[:1] - x[edge:0:-1], x, 2 * x[-1:] - x[-2:-(edge + 2):-1]))
    zi = _sosfilt_zi(sos)
    y = _sosfilt(sos, ext, zi * ext[0])
    y = _sosfilt(sos, y[::-1], zi * y[-1])
    return y[::-1][edge:-edge]


def _sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """Each section's state (n_sections, 2) in the steady state for a unit step
    (scipy's ``sosfilt_zi``, each section's ``lfilter_zi``)."""
    zi = np.empty((len(sos), 2))
    scale = 1.0
    for k, (b, a) in enumerate(zip(sos[:, :3], sos[:, 3:])):
        i_minus_a = np.eye(2) - np.array([-a[1:] / (1.0 * a[0]), [1.0, 0.0]]).T
        zi[k] = scale * np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0])
        scale *= np.sum(b) / np.sum(a)
    return zi


def _sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """``x`` through each section in turn from the states ``zi``: the recursion
    is sequential, so a Python loop (in IEEE doubles, as scipy's C loop)."""
    y = x.tolist()
    for (b0, b1, b2, _, a1, a2), (z0, z1) in zip(sos.tolist(), zi.tolist()):
        out = []
        for v in y:
            w = b0 * v + z0
            z0 = b1 * v - a1 * w + z1
            z1 = b2 * v - a2 * w
            out.append(w)
        y = out
    return np.array(y)
