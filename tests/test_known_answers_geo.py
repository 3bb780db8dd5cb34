"""Known answers on positions: distances, bearings, trilateration, geofences."""

import numpy as np
import pytest

from jupyter_iotcoder.known_answers import SIGNALS, KnownAnswer
from known_answer_helpers import built_signal, check_problem, known_answer_for


def _haversine_m(lat1, lon1, lat2, lon2, radius=6371000.0):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(a))


def test_a_great_circle_distance_is_known_between_two_fixes_and_along_a_track():
    pair = known_answer_for("Write haversine(lat1, lon1, lat2, lon2) that returns the great-circle distance in metres (float) "
                   "between two GPS fixes given in degrees.")
    args = {name: float(value) for name, value in pair.inputs}
    right = _haversine_m(args["lat1"], args["lon1"], args["lat2"], args["lon2"])
    assert check_problem(pair, right) == ""
    assert check_problem(pair, _haversine_m(args["lat1"], args["lon1"], args["lat2"], args["lon2"], 6378137.0)) == ""
    in_radians = 2 * 6371000.0 * np.arcsin(np.sqrt(np.sin((args["lat2"] - args["lat1"]) / 2) ** 2 + np.cos(
        args["lat1"]) * np.cos(args["lat2"]) * np.sin((args["lon2"] - args["lon1"]) / 2) ** 2))
    assert "convert degrees to radians" in check_problem(pair, in_radians)
    km = known_answer_for("Write dist_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float returning the haversine "
                 "distance in km.")
    assert km.expected == pytest.approx(right / 1000)
    assert "935.2496067890928, but its great-circle length is 0.9352 km" in check_problem(km, right)

    track = known_answer_for("Write track_length(lats, lons) that takes NumPy arrays of GPS latitudes and longitudes in degrees "
                    "and returns the total distance of the track in metres (float).")
    namespace = {"_np": np}
    lats, lons = (eval(source, namespace) for _, source in track.inputs)
    assert check_problem(track, float(np.sum(_haversine_m(lats[:-1], lons[:-1], lats[1:], lons[1:])))) == ""
    assert check_problem(track, float(_haversine_m(lats[0], lons[0], lats[-1], lons[-1]))) != "", "end to end"


@pytest.mark.parametrize("requirement", [
    "Write haversine(lat1, lon1, lat2, lon2) that returns the great-circle distance (float) between two fixes.",
    "Write leg(lat1, lon1, lat2, lon2) that returns the distance in metres and the bearing in degrees as a tuple.",
    "Write nearest(lat, lon, stations) that returns the distance in metres to the nearest station (float).",
])
def test_no_distance_answer_without_a_unit_one_number_or_only_coordinates_as_inputs(requirement):
    assert known_answer_for(requirement) is None


def test_a_track_length_needs_arrays_of_fixes_and_a_total_as_the_result():
    assert known_answer_for("Write home_distance(lat, lon) for a trip logger that returns the distance in metres (float) from "
                   "the fix to the GPS home point at latitude 47.0, longitude 8.0.") is None
    assert known_answer_for("Write trip_m(lat: np.ndarray, lon: np.ndarray) -> float returning the total GPS distance of the "
                   "trip in metres.").expected == pytest.approx(2932.64, abs=0.01)


def _least_squares_position(anchors: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    a, r = np.asarray(anchors, float), np.asarray(ranges, float)
    b = r[0] ** 2 - r[1:] ** 2 + np.sum(a[1:] ** 2, axis=1) - np.sum(a[0] ** 2)
    return np.linalg.lstsq(2 * (a[1:] - a[0]), b, rcond=None)[0]


@pytest.mark.parametrize("requirement,dimensions", [
    ("Write trilaterate(anchors, distances) that takes the anchor coordinates as an (N, D) NumPy array in metres "
     "(D = 2 or 3) and the N measured ranges, and returns the least-squares tag position as a 1-D array of length D.",
     2),
    ("Write locate(beacons: np.ndarray, ranges: np.ndarray) -> np.ndarray that returns the estimated (x, y, z) "
     "position of the tag by trilateration; beacons is (N, 3).", 3),
    ("Write locate(anchors, d) that returns the position of the tag as a tuple (x, y) from the BLE anchors.", 2),
])
def test_trilateration_from_exact_ranges_must_find_the_tag(requirement, dimensions):
    answer = known_answer_for(requirement)
    namespace = {"_np": np}
    anchors, ranges = (eval(source, namespace) for _, source in answer.inputs)
    assert anchors.shape[1] == dimensions and len(ranges) == len(anchors)
    right = _least_squares_position(anchors, ranges)
    assert check_problem(answer, right) == "" and check_problem(answer, tuple(right)) == ""
    assert "least squares" in check_problem(answer, anchors.mean(axis=0))
    assert "not a position of" in check_problem(answer, {"x": right[0]})


def test_no_position_answer_without_anchors_and_ranges_alone_or_a_known_dimension():
    assert known_answer_for("Write locate(anchors, distances, weights) that returns the tag position as an array from the "
                   "anchors; anchors is (N, 2).") is None
    assert known_answer_for("Write locate(anchors, distances) that returns the tag position as an array from the "
                   "anchors.") is None, "2-D or 3-D: the words do not say"


BEARING = "Write bearing(lat1, lon1, lat2, lon2) -> float that returns the initial bearing in degrees (0-360) " \
          "from the first GPS fix to the second."


def _bearing(lat1, lon1, lat2, lon2, to_radians=True):
    if to_radians:
        lat1, lon1, lat2, lon2 = np.radians([lat1, lon1, lat2, lon2])
    dlon = lon2 - lon1
    return np.degrees(np.arctan2(np.sin(dlon) * np.cos(lat2),
                                 np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon))) % 360


def test_an_initial_bearing_between_two_fixes_is_known_in_degrees_or_radians():
    answer = known_answer_for(BEARING)
    fixes = {name: float(source) for name, source in answer.inputs}
    assert answer.expected == pytest.approx(_bearing(**fixes)) == pytest.approx(123.97, abs=0.01)
    assert check_problem(answer, _bearing(**fixes)) == ""
    assert check_problem(answer, (_bearing(**fixes) + 180) % 360 - 180) == "", "-180..180 agrees on south-east"
    assert "is 124 deg from north" in check_problem(answer, float(_bearing(**fixes, to_radians=False)))
    in_radians = known_answer_for(BEARING.replace("in degrees (0-360)", "in radians"))
    assert check_problem(in_radians, np.radians(_bearing(**fixes))) == ""
    assert known_answer_for(BEARING.replace("initial bearing", "final bearing")) is None
    assert known_answer_for(BEARING.replace(" in degrees (0-360)", "")) is None, "no unit said"


def _inside(point, polygon) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0)):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _polygon_check(answer: KnownAnswer, result, function=None) -> str:
    namespace = {"_np": np, "_result": result}
    exec(SIGNALS, namespace)
    namespace[answer.check.split("(", 2)[1].split(",")[0]] = function
    return eval(answer.check, namespace)


def test_points_in_a_concave_polygon_must_each_be_on_the_right_side():
    from jupyter_iotcoder.known_answers import U_POINTS, U_POLYGON

    assert [_inside(p, np.array(U_POLYGON)) for p, _ in U_POINTS] == [inside for _, inside in U_POINTS]
    many = known_answer_for("Write in_fence(points, polygon) where points is an (N, 2) array; return a boolean array, True "
                   "for points inside the polygon.")
    polygon = np.array(U_POLYGON)
    right = np.array([_inside(p, polygon) for p, _ in U_POINTS])
    assert _polygon_check(many, right) == ""
    convex_hull_only = np.array([0 <= x <= 10 and 0 <= y <= 10 for (x, y), _ in U_POINTS])
    assert "(5.0, 6.0) is outside" in _polygon_check(many, convex_hull_only)
    one = known_answer_for("Write is_inside(polygon, point) -> bool that says whether the point is inside the geofence polygon.")
    assert [name for name, _ in one.inputs] == ["polygon", "point"]
    assert _polygon_check(one, True, lambda polygon, point: _inside(point, polygon)) == ""
    assert "wrong side" in _polygon_check(one, True, lambda polygon, point: bool(point[0] < 10 and point[1] < 10))


@pytest.mark.parametrize("requirement", [
    "Write in_fence(points, polygon) returning the number of points inside the polygon (int).",
    "Write in_fence(lat, lon, polygon) returning a boolean array, True for fixes inside the polygon.",
    "Write in_fence(points, radius) returning a boolean array, True for points inside the circle.",
])
def test_no_geofence_answer_without_points_a_polygon_and_a_bool_per_point(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "_inside_wrongly" not in answer.check


WIND = ("Our weather station logs the wind direction every 10 s. Write mean_wind_direction(directions: np.ndarray) -> "
        "float that returns the mean wind direction in degrees (0-360) of readings in degrees.")


def test_the_mean_of_directions_either_side_of_north_is_a_vector_mean():
    answer = known_answer_for(WIND)
    directions = built_signal(dict(answer.inputs)["directions"])
    assert isinstance(directions, np.ndarray)
    rad = np.radians(directions)
    vector_mean = np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean())) % 360
    assert vector_mean == pytest.approx(10.0) and check_problem(answer, vector_mean) == ""
    assert "is 10 deg" in check_problem(answer, float(np.mean(directions)))
    weighted = known_answer_for(WIND.replace("(directions: np.ndarray)", "(directions, speeds)").replace(
        "mean wind direction", "speed-weighted mean wind direction"))
    assert eval(dict(weighted.inputs)["speeds"]) == [5.0] * 7
    in_radians = known_answer_for(WIND.replace("degrees (0-360)", "radians").replace("in degrees", "in radians"))
    assert check_problem(in_radians, np.radians(10.0)) == ""
    assert known_answer_for(WIND.replace(" in degrees (0-360)", "").replace(" in degrees", "")) is None, "no unit"
    assert known_answer_for(WIND.replace("mean wind direction", "wind direction range")) is None
