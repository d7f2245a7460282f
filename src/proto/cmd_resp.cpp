#include "proto/cmd_resp.hpp"

#include <array>

namespace stratus::proto {
namespace {

constexpr std::size_t kMaxFragment = 255;
constexpr std::size_t kTypes = 7;  // record types 0..6; 1..6 are known

void add_record(std::string& out, CmdTlvType type, std::string_view value) {
  // Always at least one record, also for an empty value (the poll's empty request id).
  do {
    const auto n = std::min(value.size(), kMaxFragment);
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(static_cast<unsigned char>(n)));
    out.append(value.substr(0, n));
    value.remove_prefix(n);
  } while (!value.empty());
}

std::string le16(std::uint16_t v) {
  return {static_cast<char>(v & 0xFFU), static_cast<char>((v >> 8U) & 0xFFU)};
}

std::uint16_t read_le16(std::string_view s) {
  return static_cast<std::uint16_t>(
      static_cast<unsigned char>(s[0]) |
      (static_cast<unsigned>(static_cast<unsigned char>(s[1])) << 8U));
}

// The values of known record types, fragments joined.
struct Records {
  std::array<std::optional<std::string>, kTypes> values;
};

Result<Records> parse(std::string_view bytes) {
  Records r;
  int previous_type = -1;
  bool previous_full = false;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 2) {
      return fail(errc::invalid_argument,
                  "TLV record header cut off at byte " + std::to_string(at));
    }
    const auto type = static_cast<unsigned char>(bytes[at]);
    const auto length = static_cast<unsigned char>(bytes[at + 1]);
    if (bytes.size() - at - 2 < length) {
      return fail(errc::invalid_argument, "TLV record of type " + std::to_string(type) +
                                              " runs past the end (length " +
                                              std::to_string(length) + ")");
    }
    const auto value = bytes.substr(at + 2, length);
    at += 2U + length;
    const bool continues = previous_type == type && previous_full;
    previous_type = type;
    previous_full = length == kMaxFragment;
    if (type == 0 || type >= kTypes) {
      continue;  // unknown types are skipped, as the firmware does
    }
    auto& slot = r.values[type];
    if (continues) {
      slot->append(value);
    } else if (slot.has_value()) {
      return fail(errc::invalid_argument,
                  "TLV record of type " + std::to_string(type) + " appears twice");
    } else {
      slot.emplace(value);
    }
  }
  return r;
}

const std::optional<std::string>& value(const Records& r, CmdTlvType type) {
  return r.values[static_cast<std::size_t>(type)];
}

Result<std::uint16_t> command_of(const Records& r) {
  const auto& c = value(r, CmdTlvType::command);
  if (!c || c->size() != 2) {
    return fail(errc::invalid_argument, "the command record is missing or not 2 bytes");
  }
  return read_le16(*c);
}

}  // namespace

std::string encode_request(const CmdRequest& request) {
  std::string out;
  out.reserve(request.request_id.size() + request.data.size() + 24);
  add_record(out, CmdTlvType::request_id, request.request_id);
  add_record(out, CmdTlvType::role, std::string(1, static_cast<char>(request.role)));
  if (request.timestamp) {
    const auto t = *request.timestamp;
    const std::string bytes{static_cast<char>(t & 0xFFU), static_cast<char>((t >> 8U) & 0xFFU),
                            static_cast<char>((t >> 16U) & 0xFFU),
                            static_cast<char>((t >> 24U) & 0xFFU)};
    add_record(out, CmdTlvType::timestamp, bytes);
  }
  add_record(out, CmdTlvType::command, le16(request.command));
  if (!request.data.empty()) {
    add_record(out, CmdTlvType::data, request.data);
  }
  return out;
}

std::string encode_response(const CmdResponse& response) {
  std::string out;
  out.reserve(response.request_id.size() + response.data.size() + 16);
  add_record(out, CmdTlvType::request_id, response.request_id);
  add_record(out, CmdTlvType::status, std::string(1, static_cast<char>(response.status)));
  add_record(out, CmdTlvType::command, le16(response.command));
  if (!response.data.empty()) {
    add_record(out, CmdTlvType::data, response.data);
  }
  return out;
}

std::string encode_poll() {
  return encode_response(CmdResponse{});
}

Result<CmdRequest> decode_request(std::string_view bytes) {
  auto records = parse(bytes);
  if (!records) {
    return fail(std::move(records).error());
  }
  CmdRequest request;
  auto command = command_of(*records);
  if (!command) {
    return fail(std::move(command).error());
  }
  request.command = *command;
  if (const auto& id = value(*records, CmdTlvType::request_id)) {
    request.request_id = *id;
  }
  if (const auto& role = value(*records, CmdTlvType::role)) {
    if (role->size() != 1) {
      return fail(errc::invalid_argument, "the role record is not 1 byte");
    }
    request.role = static_cast<std::uint8_t>((*role)[0]);
  }
  if (const auto& t = value(*records, CmdTlvType::timestamp)) {
    if (t->size() != 4) {
      return fail(errc::invalid_argument, "the timestamp record is not 4 bytes");
    }
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) {
      v = (v << 8U) | static_cast<unsigned char>((*t)[static_cast<std::size_t>(i)]);
    }
    request.timestamp = v;
  }
  if (const auto& data = value(*records, CmdTlvType::data)) {
    request.data = *data;
  }
  return request;
}

Result<CmdResponse> decode_response(std::string_view bytes) {
  auto records = parse(bytes);
  if (!records) {
    return fail(std::move(records).error());
  }
  CmdResponse response;
  auto command = command_of(*records);
  if (!command) {
    return fail(std::move(command).error());
  }
  response.command = *command;
  const auto& status = value(*records, CmdTlvType::status);
  if (!status || status->size() != 1) {
    return fail(errc::invalid_argument, "the status record is missing or not 1 byte");
  }
  response.status = static_cast<std::uint8_t>((*status)[0]);
  if (const auto& id = value(*records, CmdTlvType::request_id)) {
    response.request_id = *id;
  }
  if (const auto& data = value(*records, CmdTlvType::data)) {
    response.data = *data;
  }
  return response;
}

}  // namespace stratus::proto
