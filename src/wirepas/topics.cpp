#include "wirepas/topics.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

namespace stratus::wirepas {
namespace {

constexpr std::size_t kMaxIdBytes = 128;  // nanopb's bound for gw_id/sink_id (spec §2.7)

struct OperationName {
  Operation operation;
  std::string_view name;
};

constexpr std::array<OperationName, 12> kOperations{{
    {Operation::status, "status"},
    {Operation::received_data, "received_data"},
    {Operation::get_configs, "get_configs"},
    {Operation::set_config, "set_config"},
    {Operation::send_data, "send_data"},
    {Operation::otap_status, "otap_status"},
    {Operation::otap_load_scratchpad, "otap_load_scratchpad"},
    {Operation::otap_process_scratchpad, "otap_process_scratchpad"},
    {Operation::get_gw_info, "get_gw_info"},
    {Operation::otap_set_target_scratchpad, "otap_set_target_scratchpad"},
    {Operation::set_configuration_data_item, "set_configuration_data_item"},
    {Operation::get_configuration_data_item, "get_configuration_data_item"},
}};

bool is_event(Operation operation) {
  return operation == Operation::status || operation == Operation::received_data;
}

std::vector<std::string_view> levels(std::string_view topic) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(topic.substr(start));
      return out;
    }
    out.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

template <typename T>
Result<T> parse_decimal(std::string_view text, std::string_view what) {
  T value{};
  const bool leading_zero = text.size() > 1 && text.front() == '0';
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || leading_zero || ec != std::errc{} || end != text.data() + text.size()) {
    return fail(errc::invalid_argument, std::string(what) + " \"" + std::string(text) +
                                            "\" is not a decimal number in range");
  }
  return value;
}

Result<void> check_id(std::string_view id, std::string_view what) {
  if (!valid_id(id)) {
    return fail(
        errc::invalid_argument,
        std::string(what) + " must be 1 to 128 printable ASCII bytes without '/', '+', '#'");
  }
  return {};
}

}  // namespace

std::string_view to_string(Direction direction) noexcept {
  switch (direction) {
    case Direction::event:
      return "gw-event";
    case Direction::request:
      return "gw-request";
    case Direction::response:
      return "gw-response";
  }
  return "gw-event";
}

std::string_view to_string(Operation operation) noexcept {
  for (const auto& entry : kOperations) {
    if (entry.operation == operation)
      return entry.name;
  }
  return "status";
}

bool names_sink(Operation operation) noexcept {
  return operation != Operation::status && operation != Operation::get_configs &&
         operation != Operation::get_gw_info;
}

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdBytes)
    return false;
  for (const char c : id) {
    if (c <= ' ' || c > '~' || c == '/' || c == '+' || c == '#')
      return false;
  }
  return true;
}

Result<Topic> parse_topic(std::string_view topic) {
  const auto parts = levels(topic);
  if (parts.size() < 3)
    return fail(errc::invalid_argument, "a Wirepas topic has at least 3 levels");
  Topic out;
  if (parts[0] == "gw-event") {
    out.direction = Direction::event;
  } else if (parts[0] == "gw-request") {
    out.direction = Direction::request;
  } else if (parts[0] == "gw-response") {
    out.direction = Direction::response;
  } else {
    return fail(errc::invalid_argument, "unknown direction \"" + std::string(parts[0]) +
                                            "\" (gw-event, gw-request, gw-response)");
  }
  bool known = false;
  for (const auto& entry : kOperations) {
    if (entry.name == parts[1]) {
      out.operation = entry.operation;
      known = true;
    }
  }
  if (!known)
    return fail(errc::invalid_argument, "unknown operation \"" + std::string(parts[1]) + "\"");
  if (is_event(out.operation) != (out.direction == Direction::event)) {
    return fail(errc::invalid_argument, std::string(to_string(out.direction)) + " has no " +
                                            std::string(parts[1]) + " topic");
  }
  std::size_t expected = names_sink(out.operation) ? 4 : 3;
  if (out.operation == Operation::received_data)
    expected = 7;
  const bool gw_info_with_sink = out.operation == Operation::get_gw_info &&
                                 out.direction == Direction::response && parts.size() == 4;
  if (parts.size() != expected && !gw_info_with_sink) {
    return fail(errc::invalid_argument,
                std::string(to_string(out.direction)) + "/" + std::string(parts[1]) + " has " +
                    std::to_string(expected) + " levels, not " + std::to_string(parts.size()));
  }
  if (auto r = check_id(parts[2], "the gateway id"); !r)
    return fail(r.error());
  out.gw_id = std::string(parts[2]);
  if (gw_info_with_sink) {
    if (auto r = check_id(parts[3], "the sink id"); !r)
      return fail(r.error());
    return out;  // the README's other spelling; the sink is not part of the meaning
  }
  if (names_sink(out.operation)) {
    if (auto r = check_id(parts[3], "the sink id"); !r)
      return fail(r.error());
    out.sink_id = std::string(parts[3]);
  }
  if (out.operation == Operation::received_data) {
    auto network = parse_decimal<std::uint64_t>(parts[4], "the network address");
    if (!network)
      return fail(network.error());
    auto source = parse_decimal<std::uint8_t>(parts[5], "the source endpoint");
    if (!source)
      return fail(source.error());
    auto destination = parse_decimal<std::uint8_t>(parts[6], "the destination endpoint");
    if (!destination)
      return fail(destination.error());
    out.network_address = *network;
    out.source_endpoint = *source;
    out.destination_endpoint = *destination;
  }
  return out;
}

Result<std::string> build_topic(const Topic& topic) {
  if (is_event(topic.operation) != (topic.direction == Direction::event)) {
    return fail(errc::invalid_argument, std::string(to_string(topic.direction)) + " has no " +
                                            std::string(to_string(topic.operation)) + " topic");
  }
  if (auto r = check_id(topic.gw_id, "the gateway id"); !r)
    return fail(r.error());
  std::string out;
  out.reserve(64);
  out.append(to_string(topic.direction)).append("/").append(to_string(topic.operation));
  out.append("/").append(topic.gw_id);
  if (names_sink(topic.operation)) {
    if (auto r = check_id(topic.sink_id, "the sink id"); !r)
      return fail(r.error());
    out.append("/").append(topic.sink_id);
  } else if (!topic.sink_id.empty()) {
    return fail(errc::invalid_argument,
                std::string(to_string(topic.operation)) + " topics name no sink");
  }
  if (topic.operation == Operation::received_data) {
    out.append("/").append(std::to_string(topic.network_address));
    out.append("/").append(std::to_string(topic.source_endpoint));
    out.append("/").append(std::to_string(topic.destination_endpoint));
  }
  return out;
}

std::string received_data_filter(std::optional<std::string_view> gw_id,
                                 std::optional<std::string_view> sink_id,
                                 std::optional<std::uint64_t> network_address,
                                 std::optional<std::uint8_t> source_endpoint,
                                 std::optional<std::uint8_t> destination_endpoint) {
  std::string out = "gw-event/received_data/";
  out.append(gw_id ? *gw_id : "+").append("/");
  out.append(sink_id ? *sink_id : "+").append("/");
  out.append(network_address ? std::to_string(*network_address) : "+").append("/");
  out.append(source_endpoint ? std::to_string(*source_endpoint) : "+").append("/");
  out.append(destination_endpoint ? std::to_string(*destination_endpoint) : "+");
  return out;
}

std::string operation_filter(Direction direction, Operation operation,
                             std::optional<std::string_view> gw_id,
                             std::optional<std::string_view> sink_id) {
  if (operation == Operation::received_data)
    return received_data_filter(gw_id, sink_id);
  std::string out;
  out.append(to_string(direction)).append("/").append(to_string(operation)).append("/");
  out.append(gw_id ? *gw_id : "+");
  if (names_sink(operation))
    out.append("/").append(sink_id ? *sink_id : "+");
  return out;
}

}  // namespace stratus::wirepas
