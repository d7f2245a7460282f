// Fuzz target `payloads`: the JSON payloads nodes publish (spec rainmaker.md §1.3) —
// the bounded object parser and the user/mapping, alert, otafetch, otastatus, tsdata and
// simple_tsdata decoders, each fed the whole input.
// Invariants: a parsed object has only finite numbers; decoded required fields are
// non-empty; an OTA state's spelling parses back to itself; an alert in params form is
// a JSON object again; every time-series record has a name, one of the six data types and
// a value of that type, and a tsdata message never yields more records than its cap.
#include "proto/payloads.hpp"

#include <string_view>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::proto;
  const auto text = stratus::fuzz::as_text(data, size);

  if (const auto object = parse_json_object(text, kDefaultMaxMessageBytes)) {
    FUZZ_CHECK(text.size() <= kDefaultMaxMessageBytes);
    FUZZ_CHECK(all_numbers_finite(boost::json::value(*object)));
  }
  if (const auto mapping = parse_user_mapping(text)) {
    FUZZ_CHECK(!mapping->node_id.empty() && !mapping->user_id.empty() &&
               !mapping->secret_key.empty());
  }
  if (const auto alert = parse_alert(text)) {
    if (alert->kind == Alert::Kind::params) {
      const auto again = parse_json_object(alert->text, alert->text.size());
      FUZZ_CHECK(again.has_value() && !again->empty());
    }
  }
  if (const auto fetch = parse_ota_fetch(text)) {
    FUZZ_CHECK(!fetch->node_id.empty());
  }
  if (const auto status = parse_ota_status(text)) {
    FUZZ_CHECK(!status->ota_job_id.empty());
    FUZZ_CHECK(parse_ota_state(to_string(status->status)) == status->status);
  }
  constexpr std::size_t kCap = 8;
  if (const auto records = parse_tsdata(text, kCap)) {
    FUZZ_CHECK(records->size() <= kCap);
    for (const auto& r : *records) {
      FUZZ_CHECK(!r.name.empty() && is_ts_data_type(r.data_type));
      FUZZ_CHECK(ts_value_matches(r.data_type, r.value));
    }
  }
  if (const auto record = parse_simple_tsdata(text)) {
    FUZZ_CHECK(!record->name.empty() && ts_value_matches(record->data_type, record->value));
  }
  // The state parser on its own (its input comes from the same field).
  if (const auto state = parse_ota_state(text))
    FUZZ_CHECK(to_string(*state) == text);
  return 0;
}
