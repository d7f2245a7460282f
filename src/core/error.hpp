#pragma once
/// @file
/// Expected failures as values: `Result<T>` = `tl::expected<T, Error>`.
/// Only names that `std::expected` also has are used, so the switch to C++23 is
/// a one-line change here.

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace stratus {

/// Stratus's own error codes. Adapters map library errors (SQLite rc, OpenSSL,
/// MOSQ_ERR_*, Beast) onto these at their boundary; the REST layer maps these onto
/// HTTP statuses in one table.
enum class errc {
  not_found,
  already_exists,
  invalid_argument,
  unauthenticated,
  forbidden,
  conflict,
  unavailable,
  timeout,
  resource_exhausted,
  internal,
};

/// Stable lower-case name of a code ("not_found"); used in logs and messages.
/// Thread-safe (returns a static string).
std::string_view to_string(errc code) noexcept;

/// An expected failure: a code plus human-readable context. The context keeps the
/// original library text where there was one ("sqlite: database is locked").
struct Error {
  errc code = errc::internal;
  std::string context;
  /// The RainMaker API error code for this failure, when the domain defines one
  /// (a named constant of proto/rest/error_codes.hpp, e.g.
  /// `account_error::code_incorrect`); 0 otherwise. The REST layer sends it as
  /// `error_code`; docs/api.md lists them.
  int reason = 0;

  /// "<code>: <context>", for logs and command-line messages.
  [[nodiscard]] std::string message() const;
};

/// `T` or an `Error`.
template <class T>
using Result = tl::expected<T, Error>;

/// Builds the error branch of any `Result<T>`: `return fail(errc::not_found, "node X")`.
inline tl::unexpected<Error> fail(errc code, std::string context) {
  return tl::unexpected<Error>(Error{code, std::move(context)});
}

/// Same, with a RainMaker API error code:
/// `fail(errc::not_found, account_error::user_not_found, "user does not exist")`.
inline tl::unexpected<Error> fail(errc code, int reason, std::string context) {
  return tl::unexpected<Error>(Error{code, std::move(context), reason});
}

/// Re-wraps an existing error for return from a function with another `Result<T>`.
inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

/// `result` unchanged, except that an error of code `when` that carries no RainMaker
/// code gets `reason`. Adapters (storage) report "no such row" or "duplicate key"
/// without domain codes; the service that knows what the row is names it:
/// `with_reason(repository.get_user(id), errc::not_found, account_error::user_not_found)`.
template <class T>
Result<T> with_reason(Result<T> result, errc when, int reason) {
  if (!result && result.error().code == when && result.error().reason == 0)
    result.error().reason = reason;
  return result;
}

}  // namespace stratus
