#include "wirepas/msap.hpp"

#include <string>
#include <type_traits>

#include "wirepas/detail/bytes.hpp"

namespace stratus::wirepas::msap {
namespace {

constexpr std::size_t kStatusShort = 24;
constexpr std::size_t kStatusLong = 39;

using detail::put_le;

// The reads below follow a length check of the whole item.
class Reader {
 public:
  explicit Reader(const std::vector<std::uint8_t>& bytes) : reader_(bytes) {}
  template <typename T>
  T le() {
    return static_cast<T>(reader_.le(sizeof(T)));
  }

 private:
  detail::ByteReader reader_;
};

void put_version(std::vector<std::uint8_t>& out, const Version& v) {
  out.insert(out.end(), {v.major, v.minor, v.maint, v.devel});
}

Version read_version(Reader& r) {
  Version v;
  v.major = r.le<std::uint8_t>();
  v.minor = r.le<std::uint8_t>();
  v.maint = r.le<std::uint8_t>();
  v.devel = r.le<std::uint8_t>();
  return v;
}

tl::unexpected<Error> bad_length(std::string_view what, std::size_t got, std::string_view want) {
  return fail(errc::invalid_argument, std::string(what) + " carries " + std::to_string(got) +
                                          " data bytes, not " + std::string(want));
}

std::string hex_type(std::uint8_t type) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[type >> 4] + kDigits[type & 0x0F];
}

}  // namespace

Result<std::vector<Item>> split(std::span<const std::uint8_t> packet) {
  if (packet.empty())
    return fail(errc::invalid_argument, "an empty remote-API packet");
  std::vector<Item> items;
  std::size_t at = 0;
  while (at < packet.size()) {
    if (packet.size() - at < 2) {
      return fail(errc::invalid_argument,
                  "a remote-API item at byte " + std::to_string(at) + " has no length byte");
    }
    const std::uint8_t type = packet[at];
    const std::size_t length = packet[at + 1];
    if (packet.size() - at - 2 < length) {
      return fail(errc::invalid_argument, "remote-API item " + hex_type(type) + " declares " +
                                              std::to_string(length) + " bytes; " +
                                              std::to_string(packet.size() - at - 2) + " follow");
    }
    const auto first = packet.begin() + static_cast<std::ptrdiff_t>(at + 2);
    items.push_back(Item{type, {first, first + static_cast<std::ptrdiff_t>(length)}});
    at += 2 + length;
  }
  return items;
}

Result<std::vector<std::uint8_t>> join(const std::vector<Item>& items) {
  std::vector<std::uint8_t> out;
  for (const auto& item : items) {
    if (item.data.size() > 255) {
      return fail(errc::invalid_argument,
                  "remote-API item " + hex_type(item.type) + " holds over 255 bytes");
    }
    out.push_back(item.type);
    out.push_back(static_cast<std::uint8_t>(item.data.size()));
    out.insert(out.end(), item.data.begin(), item.data.end());
  }
  if (out.size() >= kMaxPacketBytes) {
    return fail(errc::invalid_argument, "a remote-API packet of " + std::to_string(out.size()) +
                                            " bytes; it must stay below " +
                                            std::to_string(kMaxPacketBytes));
  }
  return out;
}

Item encode(const Request& request) {
  return std::visit(
      [](const auto& r) -> Item {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Ping>) {
          return {static_cast<std::uint8_t>(Type::ping), r.reference};
        } else if constexpr (std::is_same_v<T, Begin>) {
          return {static_cast<std::uint8_t>(Type::begin), {}};
        } else if constexpr (std::is_same_v<T, End>) {
          return {static_cast<std::uint8_t>(Type::end), {}};
        } else if constexpr (std::is_same_v<T, Cancel>) {
          return {static_cast<std::uint8_t>(Type::cancel), {}};
        } else if constexpr (std::is_same_v<T, Update>) {
          Item item{static_cast<std::uint8_t>(Type::update), {}};
          put_le(item.data, r.countdown_s, 2);
          return item;
        } else if constexpr (std::is_same_v<T, ScratchpadStatusQuery>) {
          return {static_cast<std::uint8_t>(Type::scratchpad_status), {}};
        } else if constexpr (std::is_same_v<T, ScratchpadUpdate>) {
          return {static_cast<std::uint8_t>(Type::scratchpad_update), {r.sequence}};
        } else {
          Item item{static_cast<std::uint8_t>(Type::diagnostic_control), {}};
          put_le(item.data, r.interval_s, 2);
          item.data.push_back(r.content);
          return item;
        }
      },
      request);
}

Result<Request> decode_request(const Item& item) {
  const auto n = item.data.size();
  Reader r(item.data);
  switch (item.type) {
    case static_cast<std::uint8_t>(Type::ping):
      return Ping{item.data};
    case static_cast<std::uint8_t>(Type::begin):
    case static_cast<std::uint8_t>(Type::end):
    case static_cast<std::uint8_t>(Type::cancel):
    case static_cast<std::uint8_t>(Type::scratchpad_status):
      if (n != 0)
        return bad_length("remote-API request " + hex_type(item.type), n, "0");
      if (item.type == static_cast<std::uint8_t>(Type::begin))
        return Begin{};
      if (item.type == static_cast<std::uint8_t>(Type::end))
        return End{};
      if (item.type == static_cast<std::uint8_t>(Type::cancel))
        return Cancel{};
      return ScratchpadStatusQuery{};
    case static_cast<std::uint8_t>(Type::update): {
      if (n != 2)
        return bad_length("an update request", n, "2");
      const auto countdown = r.le<std::uint16_t>();
      if (countdown < 10 || countdown > 32767) {
        return fail(errc::invalid_argument, "an update countdown of " + std::to_string(countdown) +
                                                " s is outside 10-32767");
      }
      return Update{countdown};
    }
    case static_cast<std::uint8_t>(Type::scratchpad_update): {
      if (n != 1)
        return bad_length("a scratchpad update request", n, "1");
      if (item.data[0] == 0)
        return fail(errc::invalid_argument, "a scratchpad update names sequence 0 (1-255)");
      return ScratchpadUpdate{item.data[0]};
    }
    case static_cast<std::uint8_t>(Type::diagnostic_control): {
      if (n != 3)
        return bad_length("a diagnostic control request", n, "3");
      DiagnosticControl d;
      d.interval_s = r.le<std::uint16_t>();
      d.content = r.le<std::uint8_t>();
      return d;
    }
    default:
      return fail(errc::invalid_argument,
                  "remote-API item " + hex_type(item.type) + " is not a request this side knows");
  }
}

Item encode(const Reply& reply) {
  return std::visit(
      [](const auto& r) -> Item {
        using T = std::decay_t<decltype(r)>;
        constexpr auto reply_of = [](Type t) {
          return static_cast<std::uint8_t>(static_cast<std::uint8_t>(t) | kReplyBit);
        };
        if constexpr (std::is_same_v<T, PingReply>) {
          return {reply_of(Type::ping), r.reference};
        } else if constexpr (std::is_same_v<T, Ack>) {
          return {reply_of(r.request), {}};
        } else if constexpr (std::is_same_v<T, UpdateReply>) {
          Item item{reply_of(Type::update), {}};
          put_le(item.data, r.countdown_s, 2);
          return item;
        } else if constexpr (std::is_same_v<T, ScratchpadStatusReply>) {
          Item item{reply_of(Type::scratchpad_status), {}};
          auto& d = item.data;
          put_le(d, r.stored_length, 4);
          put_le(d, r.stored_crc, 2);
          d.insert(d.end(), {r.stored_sequence, r.stored_type, r.stored_status});
          put_le(d, r.processed_length, 4);
          put_le(d, r.processed_crc, 2);
          d.push_back(r.processed_sequence);
          put_le(d, r.firmware_area_id, 4);
          put_version(d, r.firmware);
          if (r.application) {
            put_le(d, r.application->processed_length, 4);
            put_le(d, r.application->processed_crc, 2);
            d.push_back(r.application->processed_sequence);
            put_le(d, r.application->area_id, 4);
            put_version(d, r.application->version);
          }
          return item;
        } else if constexpr (std::is_same_v<T, ScratchpadUpdateReply>) {
          return {reply_of(Type::scratchpad_update), {r.sequence}};
        } else if constexpr (std::is_same_v<T, DiagnosticControlReply>) {
          return {reply_of(Type::diagnostic_control), r.data};
        } else {
          return {kErrorReplyType, r.data};
        }
      },
      reply);
}

Result<Reply> decode_reply(const Item& item) {
  const auto n = item.data.size();
  Reader r(item.data);
  if (item.type == kErrorReplyType)
    return ErrorReply{item.data};
  if ((item.type & kReplyBit) == 0) {
    return fail(errc::invalid_argument,
                "remote-API item " + hex_type(item.type) + " is a request, not a reply");
  }
  switch (static_cast<std::uint8_t>(item.type & ~kReplyBit)) {
    case static_cast<std::uint8_t>(Type::ping):
      return PingReply{item.data};
    case static_cast<std::uint8_t>(Type::begin):
    case static_cast<std::uint8_t>(Type::end):
    case static_cast<std::uint8_t>(Type::cancel):
      if (n != 0)
        return bad_length("remote-API reply " + hex_type(item.type), n, "0");
      return Ack{static_cast<Type>(item.type & ~kReplyBit)};
    case static_cast<std::uint8_t>(Type::update):
      if (n != 2)
        return bad_length("an update reply", n, "2");
      return UpdateReply{r.le<std::uint16_t>()};
    case static_cast<std::uint8_t>(Type::scratchpad_status): {
      if (n != kStatusShort && n != kStatusLong)
        return bad_length("a scratchpad status reply", n, "24 or 39");
      ScratchpadStatusReply s;
      s.stored_length = r.le<std::uint32_t>();
      s.stored_crc = r.le<std::uint16_t>();
      s.stored_sequence = r.le<std::uint8_t>();
      s.stored_type = r.le<std::uint8_t>();
      s.stored_status = r.le<std::uint8_t>();
      s.processed_length = r.le<std::uint32_t>();
      s.processed_crc = r.le<std::uint16_t>();
      s.processed_sequence = r.le<std::uint8_t>();
      s.firmware_area_id = r.le<std::uint32_t>();
      s.firmware = read_version(r);
      if (n == kStatusLong) {
        ApplicationStatus a;
        a.processed_length = r.le<std::uint32_t>();
        a.processed_crc = r.le<std::uint16_t>();
        a.processed_sequence = r.le<std::uint8_t>();
        a.area_id = r.le<std::uint32_t>();
        a.version = read_version(r);
        s.application = a;
      }
      return s;
    }
    case static_cast<std::uint8_t>(Type::scratchpad_update):
      if (n != 1)
        return bad_length("a scratchpad update reply", n, "1");
      return ScratchpadUpdateReply{item.data[0]};
    case static_cast<std::uint8_t>(Type::diagnostic_control):
      return DiagnosticControlReply{item.data};
    default:
      return fail(errc::invalid_argument,
                  "remote-API item " + hex_type(item.type) + " is not a reply this side knows");
  }
}

std::vector<std::uint8_t> ping_reference(std::uint64_t unix_seconds) {
  std::vector<std::uint8_t> out;
  put_le(out, unix_seconds, 8);
  return out;
}

}  // namespace stratus::wirepas::msap
