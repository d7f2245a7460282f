#pragma once
/// @file
/// The gateway-to-backend API's MQTT topics (spec wirepas.md §1.1-§1.2): every row of the
/// topic table built and parsed, and the filters backends subscribe to. Pure functions over
/// strings: no I/O. Thread-safe.
///
/// A malformed topic is a value (`Error`), never an exception: backend-client's parser
/// (`int()` on `<net_id>`, spec §1.5) killed its MQTT thread on one; ours answers
/// invalid_argument and the caller drops the message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::wirepas {

/// The first topic level: who publishes (spec §1.2).
enum class Direction : std::uint8_t {
  event,     ///< `gw-event`: gateway to everybody
  request,   ///< `gw-request`: backend to gateway
  response,  ///< `gw-response`: gateway to backend
};

/// The second topic level. `status` and `received_data` are events; every other one is a
/// request/response pair. Wire spellings are the enumerator names.
enum class Operation : std::uint8_t {
  status,                       ///< `gw-event/status/<gw>`
  received_data,                ///< `gw-event/received_data/<gw>/<sink>/<net>/<src_ep>/<dst_ep>`
  get_configs,                  ///< `…/get_configs/<gw>`
  set_config,                   ///< `…/set_config/<gw>/<sink>`
  send_data,                    ///< `…/send_data/<gw>/<sink>`
  otap_status,                  ///< `…/otap_status/<gw>/<sink>`
  otap_load_scratchpad,         ///< `…/otap_load_scratchpad/<gw>/<sink>`
  otap_process_scratchpad,      ///< `…/otap_process_scratchpad/<gw>/<sink>`
  get_gw_info,                  ///< `…/get_gw_info/<gw>`
  otap_set_target_scratchpad,   ///< `…/otap_set_target_scratchpad/<gw>/<sink>`
  set_configuration_data_item,  ///< `…/set_configuration_data_item/<gw>/<sink>`
  get_configuration_data_item,  ///< `…/get_configuration_data_item/<gw>/<sink>`
};

/// `gw-event`, `gw-request` or `gw-response`.
std::string_view to_string(Direction direction) noexcept;
/// The wire spelling of `operation` ("otap_load_scratchpad").
std::string_view to_string(Operation operation) noexcept;

/// Whether `operation`'s topics name a sink (`…/<gw>/<sink>`): every operation but
/// `status`, `get_configs` and `get_gw_info`; `received_data` names one too.
bool names_sink(Operation operation) noexcept;

/// One topic of the table. `sink_id` is empty exactly when the operation names no sink;
/// the three numbers are used by `received_data` only.
struct Topic {
  Direction direction = Direction::event;
  Operation operation = Operation::status;
  std::string gw_id;                      ///< 1-128 bytes, no `/`, `+`, `#` (spec §1.1, §2.7)
  std::string sink_id;                    ///< same rule; empty when the operation names no sink
  std::uint64_t network_address = 0;      ///< `<net_id>`, decimal on the wire
  std::uint8_t source_endpoint = 0;       ///< `<src_ep>`, 0-255 decimal
  std::uint8_t destination_endpoint = 0;  ///< `<dst_ep>`, 0-255 decimal

  friend bool operator==(const Topic&, const Topic&) = default;
};

/// Whether `id` is a usable gateway or sink id: 1-128 bytes of printable ASCII without
/// `/`, `+`, `#` (they would change the topic's levels or make it a filter).
bool valid_id(std::string_view id) noexcept;

/// Parses a topic of the table. Accepts `gw-response/get_gw_info/<gw>/<sink>` as well as
/// `…/<gw>` (the API README's two spellings; the reference gateway uses the second, spec
/// §1.2 notes) and returns it without the sink. Numbers are plain decimal (no sign,
/// no leading zeros except "0"), `<net_id>` at most 2^64-1, endpoints at most 255.
/// Errors: invalid_argument naming what is wrong (unknown direction or operation, a
/// direction the operation does not have, wrong level count, a bad id or number).
Result<Topic> parse_topic(std::string_view topic);

/// The topic string of `topic`. Errors: invalid_argument when an id is invalid, a sink id
/// is missing or present against `names_sink`, or the direction does not exist for the
/// operation (events are `status`/`received_data` only; those are events only).
Result<std::string> build_topic(const Topic& topic);

/// A subscription filter: `nullopt` levels become `+`. `received_data_filter()` is
/// `gw-event/received_data/+/+/+/+/+`; the spec's example "endpoint 10 of network 12345"
/// is `received_data_filter({}, {}, 12345, 10)`. Ids must be valid (unchecked here:
/// callers pass configured values validated at load).
std::string received_data_filter(std::optional<std::string_view> gw_id = {},
                                 std::optional<std::string_view> sink_id = {},
                                 std::optional<std::uint64_t> network_address = {},
                                 std::optional<std::uint8_t> source_endpoint = {},
                                 std::optional<std::uint8_t> destination_endpoint = {});

/// `gw-<direction>/<operation>/<gw or +>[/<sink or +>]`: every topic of one operation
/// (the sink level is present exactly when `names_sink`).
/// `operation_filter(Direction::event, Operation::status)` is `gw-event/status/+`.
std::string operation_filter(Direction direction, Operation operation,
                             std::optional<std::string_view> gw_id = {},
                             std::optional<std::string_view> sink_id = {});

}  // namespace stratus::wirepas
