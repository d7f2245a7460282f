#include "console/capture.hpp"

#include <boost/json.hpp>
#include <fstream>

#include "core/base64.hpp"

namespace stratus::console {

namespace json = boost::json;

std::string encode_capture_line(const CapturedMessage& m) {
  return json::serialize(json::object{{"t_us", m.t_us},
                                      {"topic", m.topic},
                                      {"qos", m.qos},
                                      {"retain", m.retain},
                                      {"payload", base64_encode(m.payload)}});
}

Result<CapturedMessage> parse_capture_line(std::string_view line) {
  boost::system::error_code ec;
  auto v = json::parse(line, ec);
  if (ec || !v.is_object())
    return fail(errc::invalid_argument, "not a JSON object");
  const auto& o = v.as_object();
  const auto* t = o.if_contains("t_us");
  const auto* topic = o.if_contains("topic");
  const auto* qos = o.if_contains("qos");
  const auto* retain = o.if_contains("retain");
  const auto* payload = o.if_contains("payload");
  if (t == nullptr || !t->is_int64())
    return fail(errc::invalid_argument, "t_us must be an integer");
  if (topic == nullptr || !topic->is_string() || topic->as_string().empty() ||
      topic->as_string().size() > 65535)
    return fail(errc::invalid_argument, "topic must be a non-empty string");
  if (qos == nullptr || !qos->is_int64() || qos->as_int64() < 0 || qos->as_int64() > 2)
    return fail(errc::invalid_argument, "qos must be 0, 1 or 2");
  if (retain == nullptr || !retain->is_bool())
    return fail(errc::invalid_argument, "retain must be true or false");
  if (payload == nullptr || !payload->is_string())
    return fail(errc::invalid_argument, "payload must be a base64 string");
  auto bytes = base64_decode(payload->as_string());
  if (!bytes)
    return fail(errc::invalid_argument, "payload is not base64");
  CapturedMessage m;
  m.t_us = t->as_int64();
  m.topic = std::string(topic->as_string());
  m.payload = std::move(*bytes);
  m.qos = static_cast<int>(qos->as_int64());
  m.retain = retain->as_bool();
  return m;
}

Result<std::vector<CapturedMessage>> load_capture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::not_found, path + ": cannot be read");
  std::vector<CapturedMessage> out;
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto m = parse_capture_line(line);
    if (!m)
      return fail(errc::invalid_argument,
                  path + ":" + std::to_string(n) + ": " + m.error().context);
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace stratus::console
