#include "wirepas/messages.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <array>
#include <cstring>
#include <vector>

#include "core/random.hpp"

namespace stratus::wirepas {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// WirepasMessage's members by field number (spec §2.1) and the topic each travels on.
struct Member {
  int field;
  MessageKind kind;
};
constexpr std::array<Member, 22> kMembers{{
    {1, {Direction::event, Operation::status}},
    {2, {Direction::request, Operation::get_configs}},
    {3, {Direction::response, Operation::get_configs}},
    {4, {Direction::request, Operation::set_config}},
    {5, {Direction::response, Operation::set_config}},
    {6, {Direction::request, Operation::send_data}},
    {7, {Direction::response, Operation::send_data}},
    {8, {Direction::event, Operation::received_data}},
    {9, {Direction::request, Operation::otap_status}},
    {10, {Direction::response, Operation::otap_status}},
    {11, {Direction::request, Operation::otap_load_scratchpad}},
    {12, {Direction::response, Operation::otap_load_scratchpad}},
    {13, {Direction::request, Operation::otap_process_scratchpad}},
    {14, {Direction::response, Operation::otap_process_scratchpad}},
    {15, {Direction::request, Operation::get_gw_info}},
    {16, {Direction::response, Operation::get_gw_info}},
    {17, {Direction::request, Operation::otap_set_target_scratchpad}},
    {18, {Direction::response, Operation::otap_set_target_scratchpad}},
    {19, {Direction::request, Operation::set_configuration_data_item}},
    {20, {Direction::response, Operation::set_configuration_data_item}},
    {21, {Direction::request, Operation::get_configuration_data_item}},
    {22, {Direction::response, Operation::get_configuration_data_item}},
}};

// The one member set, or nullptr (none, or more than one).
const Message* only_member(const pb::WirepasMessage& message, int* field_number) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  if (fields.size() != 1 || fields[0]->type() != FieldDescriptor::TYPE_MESSAGE)
    return nullptr;
  if (field_number != nullptr)
    *field_number = fields[0]->number();
  return &message.GetReflection()->GetMessage(message, fields[0]);
}

// Every member's first field is its header (spec §2.2-§2.6).
template <typename Header>
const Header* header_of(const pb::WirepasMessage& message, Direction want) {
  int number = 0;
  const Message* member = only_member(message, &number);
  if (member == nullptr)
    return nullptr;
  for (const auto& m : kMembers) {
    if (m.field == number && m.kind.direction != want)
      return nullptr;
  }
  const FieldDescriptor* field = member->GetDescriptor()->FindFieldByNumber(1);
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE ||
      field->message_type() != Header::descriptor()) {
    return nullptr;
  }
  return static_cast<const Header*>(&member->GetReflection()->GetMessage(*member, field));
}

std::uint64_t random_u64() {
  std::array<std::byte, 8> bytes{};
  random_bytes(bytes);
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof value);
  return value;
}

}  // namespace

Result<pb::GenericMessage> decode(std::span<const std::byte> payload, Strictness strictness) {
  if (payload.empty())
    return fail(errc::invalid_argument, "an empty payload is no Wirepas message");
  if (payload.size() > kMaxPayloadBytes) {
    return fail(errc::invalid_argument, "a Wirepas payload of " + std::to_string(payload.size()) +
                                            " bytes is over the limit of " +
                                            std::to_string(kMaxPayloadBytes));
  }
  pb::GenericMessage message;
  if (!message.ParsePartialFromArray(payload.data(), static_cast<int>(payload.size())))
    return fail(errc::invalid_argument, "the payload is not a Wirepas GenericMessage");
  if (strictness == Strictness::strict && !message.IsInitialized()) {
    return fail(errc::invalid_argument,
                "required fields are missing: " + message.InitializationErrorString());
  }
  return message;
}

Result<pb::GenericMessage> decode(std::string_view payload, Strictness strictness) {
  return decode(std::as_bytes(std::span(payload.data(), payload.size())), strictness);
}

Result<std::string> encode(const pb::GenericMessage& message) {
  if (!message.IsInitialized()) {
    return fail(errc::invalid_argument,
                "required fields are missing: " + message.InitializationErrorString());
  }
  std::string out;
  if (!message.SerializePartialToString(&out))
    return fail(errc::invalid_argument, "the message did not serialize");
  return out;
}

Result<MessageKind> kind_of(const pb::WirepasMessage& message) {
  int number = 0;
  if (only_member(message, &number) == nullptr) {
    return fail(errc::invalid_argument,
                "a WirepasMessage carries exactly one member (none or several were set)");
  }
  for (const auto& m : kMembers) {
    if (m.field == number)
      return m.kind;
  }
  return fail(errc::invalid_argument,
              "WirepasMessage member " + std::to_string(number) + " is not one of the API's");
}

std::uint64_t new_request_id() {
  for (;;) {
    if (const auto id = random_u64(); id != 0)
      return id;
  }
}

std::uint64_t new_event_id() {
  return random_u64();
}

const pb::RequestHeader* request_header(const pb::WirepasMessage& message) noexcept {
  return header_of<pb::RequestHeader>(message, Direction::request);
}

const pb::ResponseHeader* response_header(const pb::WirepasMessage& message) noexcept {
  return header_of<pb::ResponseHeader>(message, Direction::response);
}

const pb::EventHeader* event_header(const pb::WirepasMessage& message) noexcept {
  return header_of<pb::EventHeader>(message, Direction::event);
}

std::uint32_t role_to_int(const pb::NodeRole& role) {
  std::uint32_t out = static_cast<std::uint32_t>(role.role()) & 0x0Fu;
  for (const int flag : role.flags()) {
    if (flag == pb::NodeRole::LOW_LATENCY)
      out |= 0x10u;
    else if (flag == pb::NodeRole::AUTOROLE)
      out |= 0x80u;
  }
  return out;
}

Result<pb::NodeRole> role_from_int(std::uint32_t role) {
  const std::uint32_t base = role & 0x0Fu;
  if (base < 1 || base > 3 || (role & ~0x9Fu) != 0) {
    return fail(errc::invalid_argument,
                "node role " + std::to_string(role) +
                    " is not a base role 1-3 (sink, router, non-router) with flags 0x10/0x80");
  }
  pb::NodeRole out;
  out.set_role(static_cast<pb::NodeRole::BaseRole>(base));
  if ((role & 0x10u) != 0)
    out.add_flags(pb::NodeRole::LOW_LATENCY);
  if ((role & 0x80u) != 0)
    out.add_flags(pb::NodeRole::AUTOROLE);
  return out;
}

std::string result_name(int code) {
  if (code != pb::UNKNOWN_ERROR_CODE && pb::ErrorCode_IsValid(code))
    return "GW_RES_" + pb::ErrorCode_Name(static_cast<pb::ErrorCode>(code));
  return "GW_RES_UNKNOWN_ERROR";
}

}  // namespace stratus::wirepas
