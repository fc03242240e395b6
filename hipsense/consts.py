"""Column names (with units) and constants shared by I/O, simulation and analysis."""

from __future__ import annotations

#: Required columns of a recording CSV, in the order hipsense writes them.
TIME_COL = "time_s"
ACC_COLS = ("acc_x_g", "acc_y_g", "acc_z_g")
GYR_COLS = ("gyr_x_dps", "gyr_y_dps", "gyr_z_dps")
REQUIRED_COLS = (TIME_COL, *ACC_COLS, *GYR_COLS)

#: Decimal places hipsense writes: 1 us, 10 ug, 1 mdps. Finer than the int16
#: resolution of any supported range (+-2 g: 61 ug, +-125 dps: 3.8 mdps).
TIME_DECIMALS = 6
ACC_DECIMALS = 5
GYR_DECIMALS = 3

SESSION_FORMAT = "hipsense-session"
SESSION_VERSION = 1
#: The one name of a session folder's metadata file, and of its calibration
#: recording when hipsense writes one.
SESSION_FILE = "session.json"
CALIBRATION_FILE = "calibration.csv"

#: Standard gravity used to turn m/s^2 into g.
STANDARD_GRAVITY_MS2 = 9.80665
