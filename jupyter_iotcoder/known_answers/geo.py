"""Known answers on positions and directions: great-circle distances and bearings between fixes, trilateration
from anchors, points inside a geofence polygon, the mean of directions either side of north."""

from __future__ import annotations

import math
import re

from ..requirement import user_types
from ..schema import Signature
from .base import KnownAnswer, _MATRIX, _number_check, _required, _two_roles


EARTH_RADIUS_M = 6371000.0
# a cycle ride through Zurich: latitudes and longitudes in degrees
_TRACK = ((47.3769, 8.5417), (47.3780, 8.5480), (47.3722, 8.5520), (47.3650, 8.5455), (47.3700, 8.5380))
_LAT, _LON = re.compile(r"lat", re.I), re.compile(r"lon|lng", re.I)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two fixes in degrees, on a sphere of the mean Earth radius."""
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _distance_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """A known distance for a function that returns the great-circle distance between two fixes in metres or km
    (four scalars lat1, lon1, lat2, lon2) or the length of a track (a latitude and a longitude array); within
    0.5 %, which any Earth radius in use (6371 km, 6378.137 km, an ellipsoid) meets and degrees taken as
    radians, a radius in the wrong unit or a missing segment do not."""
    if not re.search(r"haversine|great[- ]circle|geodesic|\bGPS\b|latitude|\blat\b", requirement, re.I) or \
            not re.search(r"\bdistance|\blength\b", said, re.I):
        return None
    scale = 1000.0 if re.search(r"\bkm\b|kilomet", said, re.I) else 1.0 if re.search(
        r"\bmet(?:re|er)s?\b|\bin m\b|\(m\)", said, re.I) else None
    lats, lons = [n for n in needed if _LAT.search(n)], [n for n in needed if _LON.search(n) and not _LAT.search(n)]
    if scale is None or len(lats) + len(lons) != len(needed):
        return None
    unit = "km" if scale == 1000.0 else "m"
    (a_lat, a_lon), (b_lat, b_lon) = _TRACK[0], _TRACK[2]
    if len(lats) == 2 and len(lons) == 2:
        inputs = tuple(zip(lats + lons, map(repr, (a_lat, b_lat, a_lon, b_lon))))
        metres = haversine_m(a_lat, a_lon, b_lat, b_lon)
        what = f"two fixes, ({a_lat}, {a_lon}) and ({b_lat}, {b_lon}) in degrees"
    elif len(lats) == 1 and len(lons) == 1 and re.search(r"track|path|route|total|trip", said, re.I) and (
            re.search(r"\b(?:arrays|lists|sequences)\b", requirement, re.I) or all(
                re.search(r"array|list|sequence|series", user_types(requirement, signature).get(name, ""), re.I)
                for name in lats + lons)):
        inputs = ((lats[0], f"_np.array({[lat for lat, _ in _TRACK]})"),
                  (lons[0], f"_np.array({[lon for _, lon in _TRACK]})"))
        metres = sum(haversine_m(*a, *b) for a, b in zip(_TRACK, _TRACK[1:]))
        what = f"a track of {len(_TRACK)} fixes (latitude {inputs[0][1]}, longitude {inputs[1][1]}, degrees)"
    else:
        return None
    expected = metres / scale
    truth = f"its great-circle length is {expected:.4g} {unit}"
    hint = "convert degrees to radians before the trigonometry and keep the Earth radius in the unit returned"
    return KnownAnswer(what, inputs, expected, 0.005 * expected, unit,
                       check=_number_check(expected, 0.005 * expected, truth, hint))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The initial great-circle bearing (forward azimuth) from the first fix to the second, degrees from north."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y, x = math.sin(dl) * math.cos(p2), math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def _bearing_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """The initial bearing between two fixes (four scalars lat1, lon1, lat2, lon2 in degrees): 124.0 degrees from
    north (south-east, so 0..360 and -180..180 agree), within 0.5 degrees, or in radians where the words say so."""
    if not re.search(r"\b(?:bearing|heading|azimuth|course)\b", said, re.I) or re.search(r"\bfinal\b", said, re.I):
        return None
    lats, lons = [n for n in needed if _LAT.search(n)], [n for n in needed if _LON.search(n) and not _LAT.search(n)]
    if len(lats) != 2 or len(lons) != 2 or len(needed) != 4:
        return None
    radians = bool(re.search(r"\bradians?\b", said, re.I))
    if not radians and not re.search(r"\bdeg(?:rees?)?\b|°", said, re.I):
        return None
    (a_lat, a_lon), (b_lat, b_lon) = _TRACK[0], _TRACK[2]
    inputs = tuple(zip(lats + lons, map(repr, (a_lat, b_lat, a_lon, b_lon))))
    degrees = initial_bearing_deg(a_lat, a_lon, b_lat, b_lon)
    expected, tolerance, unit = (math.radians(degrees), math.radians(0.5), "rad") if radians else (degrees, 0.5, "deg")
    truth = f"the initial bearing from ({a_lat}, {a_lon}) to ({b_lat}, {b_lon}) is {expected:.4g} {unit} from north"
    hint = ("bearing = atan2(sin(dlon) cos(lat2), cos(lat1) sin(lat2) - sin(lat1) cos(lat2) cos(dlon)) in radians, "
            "then degrees, clockwise from north")
    return KnownAnswer(f"two fixes, ({a_lat}, {a_lon}) and ({b_lat}, {b_lon}) in degrees", inputs, expected, tolerance,
                       unit, check=_number_check(expected, tolerance, truth, hint))


# Directions (degrees) either side of north whose mean direction is 10 degrees; their arithmetic mean is 112.9.
DIRECTIONS_DEG = (340.0, 350.0, 0.0, 10.0, 20.0, 30.0, 40.0)
_DIRECTION_NAME = re.compile(r"dir|heading|bearing|azimuth|angle|wind|compass|theta|deg", re.I)
_SPEED_NAME = re.compile(r"speed|magnitude|weight|vel|strength", re.I)


def _circular_mean_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """The mean of directions either side of north (a wind vane, a compass): 10 degrees, within 0.5, where an
    arithmetic mean gives 112.9; one array of directions (and equal speeds if the mean is weighted by them), in
    degrees or radians as the words say."""
    if not re.search(r"\b(?:mean|average|averaged|prevailing)\b", said, re.I) or \
            not re.search(r"\b(?:direction|heading|bearing|azimuth|angle)\b", said, re.I):
        return None
    directions = [name for name in needed if _DIRECTION_NAME.search(name) and not _SPEED_NAME.search(name)]
    speeds = [name for name in needed if _SPEED_NAME.search(name)]
    if len(directions) != 1 or len(speeds) > 1 or len(needed) != len(directions) + len(speeds):
        return None
    radians = bool(re.search(r"\bradians?\b", requirement, re.I))
    if radians == bool(re.search(r"\bdeg(?:rees?)?\b|°", requirement, re.I)):
        return None  # both units said, or neither
    scale = math.pi / 180 if radians else 1.0
    values = [round(d * scale, 12) for d in DIRECTIONS_DEG]
    types = user_types(requirement, signature)
    as_given = {name: "_np.array({!r})" if re.search(r"array", types.get(name, ""), re.I) else "{!r}"
                for name in directions + speeds}
    inputs = ((directions[0], as_given[directions[0]].format(values)),) + tuple(
        (name, as_given[name].format([5.0] * len(values))) for name in speeds)
    expected, tolerance, unit = 10.0 * scale, 0.5 * scale, "rad" if radians else "deg"
    truth = f"the mean direction of {values!r} is {expected:.4g} {unit} (their arithmetic mean is not a direction)"
    hint = "average the unit vectors: atan2(mean(sin), mean(cos)), then wrap into the range you return"
    order = {name: at for at, name in enumerate(needed)}
    return KnownAnswer(f"{len(values)} directions either side of north", tuple(sorted(inputs, key=lambda i: order[i[0]])),
                       expected, tolerance, unit, check=_number_check(expected, tolerance, truth, hint))


# A U-shaped (concave) polygon, open at the top, and points clear of its edges: inside the arms and the base, in
# the notch between the arms, and around it.
U_POLYGON = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (7.0, 10.0), (7.0, 3.0), (3.0, 3.0), (3.0, 10.0), (0.0, 10.0))
U_POINTS = (((1.0, 1.0), True), ((5.0, 1.5), True), ((8.5, 8.0), True), ((1.5, 9.0), True), ((5.0, 6.0), False),
            ((5.0, 9.5), False), ((11.0, 5.0), False), ((-1.0, 5.0), False), ((5.0, -1.0), False), ((12.0, 12.0), False))
_POLYGON_NAME = re.compile(r"poly|fence|boundary|vertices|paddock|zone|area|region|ring", re.I)
_POINTS_NAME = re.compile(r"^p$|^pt|point|fix|position|^pos|xy|location|coord", re.I)
_INSIDE = re.compile(r"\binside\b|\bwithin\b|\bcontain", re.I)


def _point_in_polygon_answer(requirement: str, signature: Signature, said: str,
                             returned: str | None = None) -> KnownAnswer | None:
    """Whether points lie inside a polygon (a geofence): a concave U shape and ten points clear of its edges, given
    as an (N, 2) array, or one point per call for a function of one point that returns a bool (`returned`, from
    its annotation, or words in `said`)."""
    if not _INSIDE.search(requirement) or not (returned == "bool" or re.search(r"\bbool|True\b", said)):
        return None
    needed = _required(signature)
    roles = _two_roles(needed, _POLYGON_NAME, _POINTS_NAME)
    if roles is None:
        return None
    polygon_name, points_name = roles
    closed = bool(re.search(r"GeoJSON|closed ring|first (?:vertex|point) (?:is )?repeated", requirement, re.I)) and \
        not re.search(r"may or may not|or not\b|optionally", requirement, re.I)
    polygon = [list(v) for v in U_POLYGON + (U_POLYGON[:1] if closed else ())]
    coordinates = [list(p) for p, _ in U_POINTS]
    inside = [flag for _, flag in U_POINTS]
    single = not re.search(r"s$|_array$|_xy$|^xy$", points_name) and not re.search(r"\b(?:arrays?|lists?)\b", said)
    points_first = needed.index(points_name) == 0
    first = f"_np.array({coordinates[0]!r})" if single else f"_np.array({coordinates!r})"
    inputs = ((points_name, first), (polygon_name, f"_np.array({polygon!r})"))
    result = "None" if single else "_result"
    check = (f"_inside_wrongly({signature.function_name}, {result}, {coordinates!r}, _np.array({polygon!r}), "
             f"{inside!r}, {points_first})")
    return KnownAnswer(f"a U-shaped polygon and {len(coordinates)} points clear of its edges",
                       inputs if points_first else inputs[::-1], 0.0, 0.0, "", check=check)


_ANCHORS = re.compile(r"anchor|beacon|station|node|^aps?$|access_points?|towers?|positions|coords|points", re.I)
_RANGES = re.compile(r"dist|range|radi|^r$|^d$", re.I)
_AREA = (((0.0, 0.0), (10.0, 0.0), (10.0, 8.0), (0.0, 8.0)), (3.0, 5.0))
_VOLUME = (((0.0, 0.0, 0.0), (10.0, 0.0, 1.0), (10.0, 8.0, 0.5), (0.0, 8.0, 2.0), (5.0, 4.0, 3.0)), (3.0, 5.0, 1.0))


def _position_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """Trilateration from anchors and exact ranges: four anchors round a 10 x 8 m room and the tag at (3, 5) (five
    anchors at several heights and (3, 5, 1) in 3-D); the position returned must be within 5 cm. The dimension is
    the anchors' column count, else what the words allow (2-D where they allow both)."""
    if not re.search(r"trilaterat|multilaterat|\banchors?\b|\bbeacons?\b", requirement, re.I) or \
            not re.search(r"\bposition|\blocation|\bcoordinates|\bestimate", said, re.I) or \
            re.search(r"latitude|longitude|\blat\b|\blon\b|\bGPS\b|WGS", requirement, re.I):
        return None  # anchors in degrees: the room in metres built here is not what the function takes
    needed = _required(signature)
    anchors = [n for n in needed if _ANCHORS.search(n)]
    ranges = [n for n in needed if _RANGES.search(n) and n not in anchors]
    if len(needed) != 2 or len(anchors) != 1 or len(ranges) != 1:
        return None
    shape = _MATRIX.search(user_types(requirement, signature).get(anchors[0], ""))
    columns = shape.group(1) if shape else ""
    flat = re.search(r"\b2-?D\b|\(x, y\)|\bD = 2\b|\bD in \{?2\b|\b2 or 3\b|\bplanar\b", requirement, re.I)
    solid = re.search(r"\b3-?D\b|\(x, y, z\)|\bD = 3\b", requirement, re.I)
    dimensions = (int(columns) if columns in ("2", "3") else 2 if flat else 3 if solid else None)
    if dimensions is None:
        return None
    points, truth = _AREA if dimensions == 2 else _VOLUME
    distances = [round(math.dist(point, truth), 12) for point in points]
    inputs = ((anchors[0], f"_np.array({[list(point) for point in points]})"), (ranges[0], f"_np.array({distances})"))
    what = f"{len(points)} anchors ({anchors[0]} = {inputs[0][1].removeprefix('_np.array(')[:-1]}) and exact ranges"
    return KnownAnswer(what, inputs, 0.0, 0.05, "m", check=f"_position_wrongly(_result, {list(truth)}, {inputs[0][1]})")
