#pragma once
/// @file
/// Why a compare-and-set changed no row: the shared tail of the SQL repositories' guarded
/// `UPDATE … WHERE <key> = ? AND <guard>` (OTA jobs, automations, registration jobs).

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "storage/sql/connection.hpp"

namespace stratus::storage::sql {

/// After a compare-and-set `UPDATE` that changed no row: runs `select_guard` (one text
/// column of the row the `UPDATE` named, typically its guarded column; placeholders
/// bound to `key...`) and returns errc::not_found with `missing` when there is no such
/// row, else errc::conflict with `conflict(value)`: the row is there and its guard no
/// longer holds. A failed read returns its own error. Thread-safety: that of `c`.
template <class Conflict, class... Key>
tl::unexpected<Error> why_unchanged(Connection& c, std::string_view select_guard,
                                    std::string_view missing, Conflict&& conflict,
                                    const Key&... key) {
  auto value = c.query_all(
      select_guard, [](const Statement& s) { return s.text(0); }, key...);
  if (!value)
    return fail(value.error());
  if (value->empty())
    return fail(errc::not_found, std::string(missing));
  return fail(errc::conflict, conflict(value->front()));
}

}  // namespace stratus::storage::sql
