#include "service/daylight.hpp"

#include <libnova/ln_types.h>
#include <libnova/precession.h>
#include <libnova/rise_set.h>
#include <libnova/solar.h>
#include <libnova/transform.h>

#include <charconv>
#include <cmath>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>

#include "core/assert.hpp"
#include "core/strings.hpp"

namespace stratus::service {
namespace {

using std::chrono::system_clock;

constexpr double kUnixEpochJd = 2440587.5;  // Julian day of 1970-01-01T00:00:00Z
constexpr double kSecondsPerDay = 86400.0;
constexpr int kSearchDays = 366;

// libnova caches its last Earth position and nutation in static variables (earth.c,
// nutation.c), so no two of its calls may overlap. Only this file calls libnova.
std::mutex libnova_mutex;

// The Sun's geometric position on the mean equator and equinox of date at Julian
// Ephemeris Day `jde`, the shape ln_get_body_rst_horizon asks for.
//
// ln_get_solar_rst would pass ln_get_solar_equ_coords here, but in libnova 0.16 (Debian
// 12) the VSOP87 series behind it (ln_get_earth_helio_coords) give longitudes on the
// ecliptic and equinox of J2000, while ln_get_equ_from_ecl and the sidereal time treat
// them as of date. The Sun's right ascension then lags by the precession since 2000
// (0.35° in 2025, 50″ more each year) and every rise and set comes out 1–2 minutes
// early against published tables (measured for London, San Francisco, Sydney, Tokyo).
// So: J2000 ecliptic → J2000 equator → precession to the date, all with libnova.
// Nutation and aberration, under 25″ together (2 s of time), are left out.
void sun_of_date(double jde, ln_equ_posn* position) {
  ln_helio_posn sun{};
  ln_get_solar_geom_coords(jde, &sun);
  ln_lnlat_posn ecliptic{sun.L, sun.B};
  ln_equ_posn j2000{};
  ln_get_equ_from_ecl(&ecliptic, JD2000, &j2000);
  ln_get_equ_prec(&j2000, jde, position);
}

// The event found by libnova in the one-day window starting at Julian day `start` (UT),
// if the Sun crosses the horizon then. Days on which the Sun stays above or below the
// horizon (libnova returns ±1) have none; neither do the few days where the Sun only
// grazes it and the solver's Newton steps leave the window.
std::optional<double> event_in_window(SunEvent event, ln_lnlat_posn observer, double start) {
  ln_rst_time rst{};
  int circumpolar = 0;
  {
    const std::lock_guard lock(libnova_mutex);
    circumpolar =
        ln_get_body_rst_horizon(start, &observer, sun_of_date, LN_SOLAR_STANDART_HORIZON, &rst);
  }
  if (circumpolar != 0)
    return std::nullopt;
  const double jd = event == SunEvent::sunrise ? rst.rise : rst.set;
  if (!std::isfinite(jd) || jd < start - 0.1 || jd > start + 1.1)
    return std::nullopt;
  return jd;
}

double to_julian_day(system_clock::time_point t) {
  const std::chrono::duration<double> since_epoch = t.time_since_epoch();
  return kUnixEpochJd + since_epoch.count() / kSecondsPerDay;
}

system_clock::time_point from_julian_day(double jd) {
  const auto seconds = std::llround((jd - kUnixEpochJd) * kSecondsPerDay);
  return system_clock::time_point(std::chrono::seconds(seconds));
}

// Client text for an error message: at most 40 bytes of it.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax)
    return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kMax)) + "...\"";
}

Result<double> parse_degrees(std::string_view field, std::string_view text, double limit) {
  std::string_view number = trim(text);
  if (number.empty())
    return fail(errc::invalid_argument, "location: " + std::string(field) + " is empty");
  // from_chars takes no '+', which some clients may send.
  if (number.size() > 1 && number.front() == '+' && number[1] != '-' && number[1] != '+')
    number.remove_prefix(1);
  double value = 0.0;
  const char* const end = number.data() + number.size();
  const auto [stop, ec] = std::from_chars(number.data(), end, value);
  if (ec != std::errc{} || stop != end || !std::isfinite(value)) {
    return fail(errc::invalid_argument, "location: " + std::string(field) + " " + quoted(text) +
                                            " is not a finite decimal number of degrees");
  }
  if (value < -limit || value > limit) {
    const auto bound = std::to_string(static_cast<int>(limit));
    return fail(errc::invalid_argument, "location: " + std::string(field) + " " + quoted(text) +
                                            " is out of range -" + bound + ".." + bound);
  }
  return value;
}

}  // namespace

Result<GeoLocation> parse_location(std::string_view latitude, std::string_view longitude) {
  auto lat = parse_degrees("latitude", latitude, 90.0);
  if (!lat)
    return fail(std::move(lat.error()));
  auto lon = parse_degrees("longitude", longitude, 180.0);
  if (!lon)
    return fail(std::move(lon.error()));
  return GeoLocation{*lat, *lon};
}

std::optional<system_clock::time_point> next_sun_event(SunEvent event, const GeoLocation& location,
                                                       system_clock::time_point after) {
  STRATUS_ASSERT(std::abs(location.latitude) <= 90.0 && std::abs(location.longitude) <= 180.0,
                 "next_sun_event: location out of range (parse it with parse_location)");
  const ln_lnlat_posn observer{location.longitude, location.latitude};

  // Windows start at about local mean 18:00 (sunrise) or 06:00 (sunset), so the event,
  // between local midnight and noon (sunrise) or noon and midnight (sunset), lies hours
  // from either end and no window boundary can hide it.
  const double offset = (event == SunEvent::sunrise ? -0.25 : 0.25) - location.longitude / 360.0;
  const double after_jd = to_julian_day(after);
  const double base = std::floor(after_jd - 0.5) + 0.5 + offset;  // a UT midnight + offset
  const double first = base + std::floor(after_jd - base) - 1.0;  // ends before `after`
  const double last = after_jd + kSearchDays;

  std::optional<system_clock::time_point> best;
  for (int day = 0; day <= kSearchDays + 2; ++day) {
    const double start = first + day;
    // Windows are in time order and their events lie within them (± a few minutes):
    // once a window starts after the best event so far, nothing later can beat it.
    if (best && start - 0.1 > to_julian_day(*best))
      break;
    const auto jd = event_in_window(event, observer, start);
    if (!jd || *jd > last)
      continue;
    const auto at = from_julian_day(*jd);
    if (at > after && (!best || at < *best))
      best = at;
  }
  return best;
}

}  // namespace stratus::service
