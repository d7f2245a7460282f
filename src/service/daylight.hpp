#pragma once
/// @file
/// Sunrise and sunset for daylight automations (rainmaker-cloud.md §3.1: a `daylight`
/// event is `{"params":{"sunrise":true},"check":"=="}` or `sunset`, and the automation's
/// `location` is `{"latitude":"<str>","longitude":"<str>"}`, N/E positive). Pure
/// functions over libnova (Debian libnova-dev), which stays in the .cpp.
///
/// Sunrise and sunset are the moments the Sun's upper limb touches an ideal sea-level
/// horizon with standard refraction: the Sun's centre 0.8333° below the horizon
/// (libnova `LN_SOLAR_STANDART_HORIZON`), the convention of NOAA, the US Naval
/// Observatory and most published tables. Elevation and terrain are not considered.

#include <chrono>
#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace stratus::service {

/// A place on Earth in decimal degrees: `latitude` in −90..90 (north positive),
/// `longitude` in −180..180 (east positive), as RainMaker clients send them.
struct GeoLocation {
  double latitude = 0.0;
  double longitude = 0.0;
};

/// Parses an automation's `location` strings ("18.521428", "-73.85"; surrounding ASCII
/// whitespace and a leading '+' are accepted) with `std::from_chars`, so the result does
/// not depend on the locale. Errors: invalid_argument, naming the field and quoting the
/// text, when a string is empty, is not a decimal number (trailing characters, a comma
/// for the decimal point), is not finite ("nan", "inf", "1e999") or is out of range
/// (latitude −90..90, longitude −180..180). The REST layer can add its code with
/// `with_reason(..., errc::invalid_argument, automation_error::location_invalid)`.
/// Pure; thread-safe.
Result<GeoLocation> parse_location(std::string_view latitude, std::string_view longitude);

/// Which crossing of the horizon a daylight event waits for.
enum class SunEvent { sunrise, sunset };

/// The first sunrise (or sunset) at `location` strictly after `after`, in UTC, rounded to
/// the second; nullopt when there is none within the 366 days after `after`.
///
/// Computed with libnova's rise/set solver (`ln_get_body_rst_horizon`, Meeus ch. 15, the
/// routine behind `ln_get_solar_rst`, at `LN_SOLAR_STANDART_HORIZON`) over libnova's
/// VSOP87 Sun; see daylight.cpp for why the Sun's coordinates are precessed here rather
/// than taken from `ln_get_solar_equ_coords`. Agrees with the algorithm of NOAA's solar
/// calculator to a few seconds and with published tables to within a minute
/// (tests/unit/service/daylight_test.cpp). No local dates are involved: the solver runs
/// over one-day windows placed so that the event falls mid-window at any longitude
/// (sunrise: from about local 18:00 the evening before; sunset: from about 06:00), and the
/// earliest event after `after` wins, so a rise on the previous UTC date (Tokyo, Sydney)
/// or a set on the next one (California) is found like any other.
///
/// Polar night and midnight sun: the search goes day by day and skips the days on which
/// libnova finds the Sun above or below the horizon all day, up to 366 days, so after a
/// late-December `after` at Longyearbyen (78.2°N) the answer is the first sunrise in
/// February. Close to those boundaries, where the Sun only grazes the horizon, the answer
/// may be a day early or late; within about a degree of a pole, where the Sun rises once
/// a year and crosses the horizon within a day, the daily search may miss the crossing
/// and answer nullopt.
///
/// `location` must be in range (from parse_location); anything else is a programmer
/// error and aborts. Pure; thread-safe (libnova keeps caches in static variables, so its
/// calls are serialised by a process-wide mutex; about 0.3 ms per call, 40 ms when the
/// whole year is searched).
std::optional<std::chrono::system_clock::time_point> next_sun_event(
    SunEvent event, const GeoLocation& location, std::chrono::system_clock::time_point after);

}  // namespace stratus::service
