"""Known-answer inputs for validation: inputs whose right result is known, for the function the user asked for.

Random sample inputs show that a function runs and what shape it returns, not whether its answer is right. An
oracle does: a signal built with a known rate (a heart rate from a pulse signal, a breathing rate, a step count,
the strongest line of a vibration), two tones for a low-pass or high-pass filter, isolated spikes for a despiker
or an outlier test; or, where a formula or a specification fixes the answer, fixed inputs and that answer (a CRC's
check value, a great-circle distance, a dew point, a LoRa time on air, COBS and SLIP frames, MQTT topic matches,
an NTP clock offset, an FMCW target's range, ...). A function that returns the rate in Hz instead of per minute,
counts each pulse twice or reads the wrong band misses the known answer, and the repair model is told by how much.
An oracle is used only where every correct implementation of the user's words agrees with it.

Layout: `dispatch` reads the requirement and picks the answer (`known_answer`); `signals`, `geo`, `motion`,
`radio`, `protocols` and `physical` hold the answers of each domain; `base` what they share; `sandbox.py` the builders
and checks that run inside the validation sandbox (`SIGNALS`, its source).
"""

from .base import SIGNALS, KnownAnswer, check_source
from .dispatch import known_answer
from .geo import U_POINTS, U_POLYGON, haversine_m, initial_bearing_deg
from .protocols import (COBS_CASES, CRCS, EXCHANGE, MQTT_CASES, RTT_SAMPLES, SLIP_CASES, cobs_encode, crc, crc_recipe,
                        rfc6298_rto, slip_escape)
from .radio import lora_time_on_air_s
from .signals import THD_PERCENT

__all__ = ["COBS_CASES", "CRCS", "EXCHANGE", "MQTT_CASES", "RTT_SAMPLES", "SIGNALS", "SLIP_CASES", "THD_PERCENT",
           "U_POINTS", "U_POLYGON", "KnownAnswer", "check_source", "cobs_encode", "crc", "crc_recipe", "haversine_m",
           "initial_bearing_deg", "known_answer", "lora_time_on_air_s", "rfc6298_rto", "slip_escape"]
