#include "service/time_windows.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <exception>

#include "proto/rest/error_codes.hpp"

namespace stratus::service {
namespace {

using proto::rest::TsInterval;
using std::chrono::seconds;
using LocalSeconds = date::local_time<seconds>;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The UTC instant where local time `local` begins: the earlier of two at a fall-back,
// the transition itself when a spring-forward skips it (a day that starts at 01:00).
std::int64_t to_unix(const date::time_zone* zone, LocalSeconds local) {
  const auto sys = zone->to_sys(local, date::choose::earliest);
  return sys.time_since_epoch().count();
}

}  // namespace

Result<TimeWindows> TimeWindows::create(std::string_view zone, TsInterval interval,
                                        int week_start) {
  try {
    const auto& db = date::get_tzdb();
    const std::string wanted = lower(zone);
    for (const auto& z : db.zones) {
      if (lower(z.name()) == wanted)
        return TimeWindows(&z, z.name(), interval, week_start);
    }
  } catch (const std::exception& e) {
    return fail(errc::unavailable, std::string("time zone database: ") + e.what());
  }
  return fail(errc::invalid_argument, proto::rest::tsdata_error::timezone_invalid,
              "timezone \"" + std::string(zone) + "\" is not an IANA time zone name");
}

std::int64_t TimeWindows::floor(std::int64_t t) const {
  const date::sys_seconds at{seconds(t)};
  switch (interval_) {
    case TsInterval::minute:
      return t - ((t % 60) + 60) % 60;
    case TsInterval::hour: {
      // Local hours: zones at :30 and :45 offsets start their hours off UTC's.
      const auto offset = zone_->get_info(at).offset.count();
      return t - (((t + offset) % 3600) + 3600) % 3600;
    }
    default:
      break;
  }
  const auto local = zone_->to_local(at);
  const auto day = date::floor<date::days>(local);
  date::local_days first = day;
  switch (interval_) {
    case TsInterval::week: {
      const date::weekday wd{day};
      first = day - (wd - date::weekday{static_cast<unsigned>(week_start_)});
      break;
    }
    case TsInterval::month: {
      const date::year_month_day ymd{day};
      first = date::local_days{ymd.year() / ymd.month() / 1};
      break;
    }
    case TsInterval::year: {
      const date::year_month_day ymd{day};
      first = date::local_days{ymd.year() / date::January / 1};
      break;
    }
    default:
      break;
  }
  const auto start = to_unix(zone_, LocalSeconds{first.time_since_epoch()});
  // A window's start is never after a time in it (a day starting inside a DST gap
  // starts at the transition, which is before any time of that day).
  return std::min(start, t);
}

std::int64_t TimeWindows::next(std::int64_t window_start) const {
  switch (interval_) {
    case TsInterval::minute:
      return window_start + 60;
    case TsInterval::hour: {
      const auto candidate = floor(window_start + 3600);
      return candidate > window_start ? candidate : window_start + 3600;
    }
    default:
      break;
  }
  const auto local = zone_->to_local(date::sys_seconds{seconds(window_start)});
  const auto day = date::floor<date::days>(local);
  date::local_days following = day;
  switch (interval_) {
    case TsInterval::day:
      following = day + date::days{1};
      break;
    case TsInterval::week:
      following = day + date::days{7};
      break;
    case TsInterval::month: {
      const date::year_month_day ymd{day};
      following = date::local_days{(ymd.year() / ymd.month() / 1) + date::months{1}};
      break;
    }
    case TsInterval::year: {
      const date::year_month_day ymd{day};
      following = date::local_days{(ymd.year() + date::years{1}) / date::January / 1};
      break;
    }
    default:
      break;
  }
  const auto start = to_unix(zone_, LocalSeconds{following.time_since_epoch()});
  return start > window_start ? start : window_start + 1;
}

}  // namespace stratus::service
