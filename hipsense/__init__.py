"""hipsense: hip-stability analysis from one IMU clipped over the sacrum.

Frames and units used throughout the package:

* sensor frame: the IMU's own x, y, z axes; accelerometer in g (specific force,
  +1 g on the axis pointing up at rest), gyroscope in deg/s;
* pelvis frame: ``a`` anterior, ``l`` left, ``u`` up (see
  ``shared/spec/measurements.md``), stored as (a, l, u) component order;
* world frame: z up; headings never matter because every angle is an
  elevation above the horizontal plane.
"""

__version__ = "0.1.0"
