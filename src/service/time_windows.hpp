#pragma once
/// @file
/// Calendar windows of time-series aggregates in an IANA time zone (rainmaker-cloud.md
/// §4.1; docs/adr/0011): minute, hour, local day, week (from a chosen first day), month
/// and year. Boundaries are local midnights (or local hours) converted to UTC with the
/// zone's rules, so a day across a DST change is 23 or 25 hours long and never split.
/// <date/tz.h> stays in the .cpp: this header only names the zone.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "proto/rest/tsdata.hpp"

namespace date {
class time_zone;
}  // namespace date

namespace stratus::service {

/// The windows of one interval in one zone. Cheap to copy; immutable; thread-safe.
class TimeWindows {
 public:
  /// Looks `zone` up in the OS tz database (/usr/share/zoneinfo), case-insensitively;
  /// every file there is a zone, backward names included ("utc", "europe/berlin",
  /// "US/Pacific", "EST"). `week_start`: 0 =
  /// Sunday … 6. Errors: invalid_argument `tsdata_error::timezone_invalid` for an unknown
  /// zone; unavailable when the database cannot be read.
  static Result<TimeWindows> create(std::string_view zone, proto::rest::TsInterval interval,
                                    int week_start);

  /// Start (Unix seconds) of the window that contains `t`.
  [[nodiscard]] std::int64_t floor(std::int64_t t) const;
  /// Start of the window after the one starting at `window_start` (always later).
  [[nodiscard]] std::int64_t next(std::int64_t window_start) const;
  /// Start of the window before the one starting at `window_start`.
  [[nodiscard]] std::int64_t previous(std::int64_t window_start) const {
    return floor(window_start - 1);
  }
  /// The zone's name as the database spells it ("Europe/Berlin", "UTC").
  [[nodiscard]] const std::string& zone_name() const noexcept { return zone_name_; }

 private:
  TimeWindows(const date::time_zone* zone, std::string name, proto::rest::TsInterval interval,
              int week_start)
      : zone_(zone), zone_name_(std::move(name)), interval_(interval), week_start_(week_start) {}

  const date::time_zone* zone_;  // owned by the process-wide tz database
  std::string zone_name_;
  proto::rest::TsInterval interval_;
  int week_start_;
};

}  // namespace stratus::service
