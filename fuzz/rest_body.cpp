// Fuzz target `rest_body`: REST request bodies (docs/api.md) — the JSON object reader every
// route uses (api::parse_object, string_fields) and the command POST body
// (api::parse_new_command, spec rainmaker.md §3.5); plus the query boolean reader.
// Invariants: a body the command parser accepts is a JSON object for parse_object too;
// every error is invalid_argument (a 400, never a 500).
#include <array>
#include <string_view>

#include "api/command_routes.hpp"
#include "api/json_body.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus;
  const auto body = fuzz::as_text(data, size);

  const auto object = api::parse_object(body);
  if (!object)
    FUZZ_CHECK(object.error().code == errc::invalid_argument);

  constexpr std::array<std::string_view, 3> kNames{"user_name", "password", "node_id"};
  if (const auto fields = api::string_fields(body, kNames); !fields)
    FUZZ_CHECK(fields.error().code == errc::invalid_argument);

  const auto command = api::parse_new_command(body);
  if (command)
    FUZZ_CHECK(object.has_value());
  else
    FUZZ_CHECK(command.error().code == errc::invalid_argument);

  if (const auto flag = api::parse_query_bool(body))
    FUZZ_CHECK(body.size() <= 5);
  return 0;
}
