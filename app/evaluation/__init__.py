"""Quality (gold set, metrics, calibration) and speed (``bench``) measurements; never imported when serving."""
