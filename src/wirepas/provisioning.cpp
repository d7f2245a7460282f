#include "wirepas/provisioning.hpp"

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

namespace stratus::wirepas::provisioning {
namespace {

Error wrong(std::string what) {
  return Error{errc::invalid_argument, "provisioning: " + std::move(what)};
}

std::uint8_t byte_at(std::string_view p, std::size_t i) {
  return static_cast<std::uint8_t>(p[i]);
}

std::uint32_t le32(std::string_view p, std::size_t at) {
  return static_cast<std::uint32_t>(byte_at(p, at)) |
         static_cast<std::uint32_t>(byte_at(p, at + 1)) << 8 |
         static_cast<std::uint32_t>(byte_at(p, at + 2)) << 16 |
         static_cast<std::uint32_t>(byte_at(p, at + 3)) << 24;
}

void put_header(std::string& out, FrameType type, const FrameHeader& h) {
  out.push_back(static_cast<char>(type));
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((h.node_address >> (8 * i)) & 0xFF));
  out.push_back(static_cast<char>(h.session_id));
}

// --- AES (OpenSSL 3) ---

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// `blocks` AES-128-ECB encryptions of consecutive little-endian counter blocks starting
// at `icb`, XORed into `data`.
void ctr_le(const Key& key, const Iv& icb, std::string& data) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key.data(), nullptr) != 1)
    return;  // only allocation can fail here; the data is then left as it is
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Iv counter = icb;
  for (std::size_t at = 0; at < data.size(); at += 16) {
    unsigned char stream[32];
    int len = 0;
    if (EVP_EncryptUpdate(ctx.get(), stream, &len, counter.data(), 16) != 1 || len != 16)
      return;
    const std::size_t n = std::min<std::size_t>(16, data.size() - at);
    for (std::size_t i = 0; i < n; ++i)
      data[at + i] = static_cast<char>(static_cast<std::uint8_t>(data[at + i]) ^ stream[i]);
    for (auto& b : counter) {  // + 1 as a little-endian 128-bit integer
      if (++b != 0)
        break;
    }
  }
}

// AES-CMAC (RFC 4493) of `message` under `key`: 16 bytes.
std::array<std::uint8_t, 16> cmac(const Key& key, std::string_view message) {
  std::array<std::uint8_t, 16> tag{};
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  char cipher[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
                               OSSL_PARAM_END};
  std::size_t len = 0;
  if (ctx != nullptr && EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) ==
          1) {
    (void)EVP_MAC_final(ctx, tag.data(), &len, tag.size());
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return tag;
}

// The DATA frame's bytes up to its data: what the MIC covers before the plain CBOR.
std::string data_prefix(const FrameHeader& header, std::uint8_t key_index, std::uint16_t counter) {
  std::string out;
  put_header(out, FrameType::data, header);
  out.push_back(static_cast<char>(key_index));
  out.push_back(static_cast<char>(counter & 0xFF));
  out.push_back(static_cast<char>(counter >> 8));
  return out;
}

// --- CBOR content, read with libcbor's streaming decoder ---

// One flat map, item by item: anything but the expected item sets `error`.
struct ContentReader {
  enum class Expect : std::uint8_t { map, key, value, done } expect = Expect::map;
  std::size_t pairs_left = 0;
  std::uint64_t key = 0;
  std::string error;
  Content content;
  bool seen[256] = {};

  void fail(std::string what) {
    if (error.empty())
      error = std::move(what);
    expect = Expect::done;
  }
  std::string key_name() const { return "key " + std::to_string(key); }

  void next_pair() {
    expect = pairs_left == 0 ? Expect::done : Expect::key;
    if (pairs_left > 0)
      --pairs_left;
  }

  void on_map(std::size_t size) {
    if (expect != Expect::map)
      return fail("a nested map (" + key_name() + ")");
    if (size > 256)
      return fail("a map of " + std::to_string(size) + " entries");
    pairs_left = size;
    next_pair();
  }

  void on_uint(std::uint64_t v) {
    if (expect == Expect::key) {
      if (v > 255 || (v > 5 && v < 128))
        return fail("unknown key " + std::to_string(v));
      if (seen[v])
        return fail("key " + std::to_string(v) + " twice");
      seen[v] = true;
      key = v;
      expect = Expect::value;
      return;
    }
    if (expect != Expect::value)
      return fail("an integer where a map was expected");
    if (key >= 2 && key <= 4) {
      if (v > 0xFFFFFFFFu)
        return fail(key_name() + " is larger than 32 bits");
      const auto value = static_cast<std::uint32_t>(v);
      (key == 2   ? content.network_address
       : key == 3 ? content.network_channel
                  : content.node_address) = value;
    } else if (key >= 128) {
      if (v > static_cast<std::uint64_t>(INT64_MAX))
        return fail(key_name() + " is larger than 63 bits");
      content.user_specific[static_cast<std::uint8_t>(key)] =
          UserValue{UserValue::Kind::integer, static_cast<std::int64_t>(v), {}};
    } else {
      return fail(key_name() + " must be a byte string");
    }
    next_pair();
  }

  void on_negint(std::uint64_t v) {  // the value is -1 - v
    if (expect != Expect::value || key < 128)
      return fail(expect == Expect::key ? "a negative key" : key_name() + " must not be negative");
    if (v > static_cast<std::uint64_t>(INT64_MAX))
      return fail(key_name() + " is smaller than -2^63");
    content.user_specific[static_cast<std::uint8_t>(key)] =
        UserValue{UserValue::Kind::integer, -1 - static_cast<std::int64_t>(v), {}};
    next_pair();
  }

  void on_bytes(const unsigned char* data, std::size_t size, bool text) {
    if (expect != Expect::value)
      return fail(expect == Expect::key ? "a key that is not an unsigned integer"
                                        : "a string where a map was expected");
    const std::string value(reinterpret_cast<const char*>(data), size);
    if (key == 0 || key == 1) {
      if (text || size != 16)
        return fail(key_name() + " must be a 16-byte byte string");
      std::copy(value.begin(), value.end(),
                (key == 0 ? content.encryption_key : content.authentication_key).begin());
    } else if (key == 5) {
      if (text || size != 1)
        return fail("key 5 (node role) must be a 1-byte byte string");
      content.node_role = static_cast<std::uint8_t>(value[0]);
    } else if (key >= 128) {
      content.user_specific[static_cast<std::uint8_t>(key)] =
          UserValue{text ? UserValue::Kind::text : UserValue::Kind::bytes, 0, value};
    } else {
      return fail(key_name() + " must be an unsigned integer");
    }
    next_pair();
  }
};

ContentReader& reader(void* context) {
  return *static_cast<ContentReader*>(context);
}

cbor_callbacks content_callbacks() {
  cbor_callbacks c = cbor_empty_callbacks;
  c.uint8 = [](void* r, std::uint8_t v) { reader(r).on_uint(v); };
  c.uint16 = [](void* r, std::uint16_t v) { reader(r).on_uint(v); };
  c.uint32 = [](void* r, std::uint32_t v) { reader(r).on_uint(v); };
  c.uint64 = [](void* r, std::uint64_t v) { reader(r).on_uint(v); };
  c.negint8 = [](void* r, std::uint8_t v) { reader(r).on_negint(v); };
  c.negint16 = [](void* r, std::uint16_t v) { reader(r).on_negint(v); };
  c.negint32 = [](void* r, std::uint32_t v) { reader(r).on_negint(v); };
  c.negint64 = [](void* r, std::uint64_t v) { reader(r).on_negint(v); };
  c.byte_string = [](void* r, cbor_data d, std::size_t n) { reader(r).on_bytes(d, n, false); };
  c.string = [](void* r, cbor_data d, std::size_t n) { reader(r).on_bytes(d, n, true); };
  c.map_start = [](void* r, std::size_t n) { reader(r).on_map(n); };
  // Everything else a joining node refuses.
  c.byte_string_start = [](void* r) { reader(r).fail("an indefinite byte string"); };
  c.string_start = [](void* r) { reader(r).fail("an indefinite text string"); };
  c.indef_array_start = [](void* r) { reader(r).fail("an array"); };
  c.array_start = [](void* r, std::size_t) { reader(r).fail("an array"); };
  c.indef_map_start = [](void* r) { reader(r).fail("an indefinite map"); };
  c.tag = [](void* r, std::uint64_t) { reader(r).fail("a tag"); };
  c.float2 = [](void* r, float) { reader(r).fail("a float"); };
  c.float4 = [](void* r, float) { reader(r).fail("a float"); };
  c.float8 = [](void* r, double) { reader(r).fail("a float"); };
  c.undefined = [](void* r) { reader(r).fail("undefined"); };
  c.null = [](void* r) { reader(r).fail("null"); };
  c.boolean = [](void* r, bool) { reader(r).fail("a boolean"); };
  c.indef_break = [](void* r) { reader(r).fail("a break"); };
  return c;
}

void append(std::string& out, std::size_t (*encode)(std::uint64_t, unsigned char*, std::size_t),
            std::uint64_t value) {
  unsigned char buffer[9];
  const std::size_t n = encode(value, buffer, sizeof buffer);
  out.append(reinterpret_cast<const char*>(buffer), n);
}

void append_head(std::string& out, std::size_t (*encode)(std::size_t, unsigned char*, std::size_t),
                 std::size_t value) {
  unsigned char buffer[9];
  const std::size_t n = encode(value, buffer, sizeof buffer);
  out.append(reinterpret_cast<const char*>(buffer), n);
}

void append_bytes(std::string& out, std::string_view bytes, bool text = false) {
  append_head(out, text ? cbor_encode_string_start : cbor_encode_bytestring_start, bytes.size());
  out.append(bytes);
}

std::string_view as_view(const Key& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

}  // namespace

Result<Frame> decode_frame(std::string_view p) {
  if (p.empty())
    return fail(wrong("an empty frame"));
  const auto type = byte_at(p, 0);
  if (type < 1 || type > 4)
    return fail(wrong("unknown frame type " + std::to_string(type)));
  if (p.size() < 6)
    return fail(wrong("a frame of " + std::to_string(p.size()) + " bytes (at least 6)"));
  const FrameHeader header{le32(p, 1), byte_at(p, 5)};
  switch (static_cast<FrameType>(type)) {
    case FrameType::start: {
      if (p.size() < 24)
        return fail(wrong("a START of " + std::to_string(p.size()) + " bytes (at least 24)"));
      if (p.size() - 23 > kMaxUidBytes)
        return fail(wrong("a START whose UID has " + std::to_string(p.size() - 23) +
                          " bytes (at most 79)"));
      Start s{header, byte_at(p, 6), {}, std::string(p.substr(23))};
      std::copy(p.begin() + 7, p.begin() + 23, s.iv.begin());
      return Frame{std::move(s)};
    }
    case FrameType::data: {
      if (p.size() <= kDataOffset)
        return fail(wrong("a DATA of " + std::to_string(p.size()) + " bytes (no data)"));
      const auto counter = static_cast<std::uint16_t>(byte_at(p, 7) | byte_at(p, 8) << 8);
      return Frame{Data{header, byte_at(p, 6), counter, std::string(p.substr(kDataOffset))}};
    }
    case FrameType::data_ack:
      if (p.size() != 6)
        return fail(wrong("a DATA_ACK of " + std::to_string(p.size()) + " bytes (6)"));
      return Frame{DataAck{header}};
    case FrameType::nack:
      if (p.size() != 7)
        return fail(wrong("a NACK of " + std::to_string(p.size()) + " bytes (7)"));
      return Frame{Nack{header, byte_at(p, 6)}};
  }
  return fail(wrong("unknown frame type"));
}

std::string encode(const Frame& frame) {
  std::string out;
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, Start>) {
          put_header(out, FrameType::start, f.header);
          out.push_back(static_cast<char>(f.method));
          out.append(reinterpret_cast<const char*>(f.iv.data()), f.iv.size());
          out.append(f.uid.substr(0, kMaxUidBytes));
        } else if constexpr (std::is_same_v<T, Data>) {
          out = data_prefix(f.header, f.key_index, f.counter);
          out.append(f.body);
        } else if constexpr (std::is_same_v<T, DataAck>) {
          put_header(out, FrameType::data_ack, f.header);
        } else {
          put_header(out, FrameType::nack, f.header);
          out.push_back(static_cast<char>(f.reason));
        }
      },
      frame);
  return out;
}

std::string encode_content(const Content& c) {
  std::size_t entries = 2 + c.user_specific.size();
  for (const bool present : {c.network_address.has_value(), c.network_channel.has_value(),
                             c.node_address.has_value(), c.node_role.has_value()})
    entries += present ? 1 : 0;
  std::string out;
  append_head(out, cbor_encode_map_start, entries);
  append(out, cbor_encode_uint, 0);
  append_bytes(out, as_view(c.encryption_key));
  append(out, cbor_encode_uint, 1);
  append_bytes(out, as_view(c.authentication_key));
  const std::pair<int, const std::optional<std::uint32_t>*> numbers[] = {
      {2, &c.network_address}, {3, &c.network_channel}, {4, &c.node_address}};
  for (const auto& [key, value] : numbers) {
    if (value->has_value()) {
      append(out, cbor_encode_uint, static_cast<std::uint64_t>(key));
      append(out, cbor_encode_uint, **value);
    }
  }
  if (c.node_role) {
    append(out, cbor_encode_uint, 5);
    append_bytes(out, std::string(1, static_cast<char>(*c.node_role)));
  }
  for (const auto& [key, value] : c.user_specific) {
    append(out, cbor_encode_uint, key);
    switch (value.kind) {
      case UserValue::Kind::integer:
        if (value.integer >= 0)
          append(out, cbor_encode_uint, static_cast<std::uint64_t>(value.integer));
        else
          append(out, cbor_encode_negint, static_cast<std::uint64_t>(-(value.integer + 1)));
        break;
      case UserValue::Kind::bytes:
        append_bytes(out, value.bytes);
        break;
      case UserValue::Kind::text:
        append_bytes(out, value.bytes, true);
        break;
    }
  }
  return out;
}

Result<Content> decode_content(std::string_view cbor) {
  if (cbor.empty())
    return fail(wrong("empty content"));
  ContentReader r;
  const cbor_callbacks callbacks = content_callbacks();
  const auto* bytes = reinterpret_cast<const unsigned char*>(cbor.data());
  std::size_t at = 0;
  while (at < cbor.size() && r.error.empty()) {
    if (r.expect == ContentReader::Expect::done)
      return fail(wrong(std::to_string(cbor.size() - at) + " bytes after the map"));
    const auto result = cbor_stream_decode(bytes + at, cbor.size() - at, &callbacks, &r);
    if (result.status != CBOR_DECODER_FINISHED || result.read == 0)
      return fail(wrong("content is not CBOR (at byte " + std::to_string(at) + ")"));
    at += result.read;
  }
  if (!r.error.empty())
    return fail(wrong("content: " + r.error));
  if (r.expect != ContentReader::Expect::done)
    return fail(wrong("content: the map ends early"));
  for (int key = 0; key <= 3; ++key) {
    if (!r.seen[key])
      return fail(wrong("content: key " + std::to_string(key) + " is missing"));
  }
  return std::move(r.content);
}

Result<FactoryKey> FactoryKey::split(std::string_view bytes) {
  if (bytes.size() != 32)
    return fail(wrong("a factory key of " + std::to_string(bytes.size()) + " bytes (32)"));
  FactoryKey key;
  std::copy(bytes.begin(), bytes.begin() + 16, key.authentication.begin());
  std::copy(bytes.begin() + 16, bytes.end(), key.encryption.begin());
  return key;
}

Iv initial_counter_block(const Iv& iv, std::uint16_t counter) noexcept {
  Iv out = iv;
  unsigned carry = counter;
  for (auto& b : out) {
    if (carry == 0)
      break;
    const unsigned sum = b + (carry & 0xFF);
    b = static_cast<std::uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return out;
}

Data seal(const FactoryKey& key, const Iv& iv, FrameHeader header, std::uint16_t counter,
          std::string_view content_cbor) {
  std::string plain = data_prefix(header, 1, counter);
  plain.append(content_cbor);
  const auto tag = cmac(key.authentication, plain);
  std::string body(content_cbor);
  body.append(reinterpret_cast<const char*>(tag.data()), kMicBytes);
  ctr_le(key.encryption, initial_counter_block(iv, counter), body);
  return Data{header, 1, counter, std::move(body)};
}

Result<std::string> open(const FactoryKey& key, const Iv& iv, const Data& data) {
  if (data.key_index != 1)
    return fail(wrong("key index " + std::to_string(data.key_index) + " (the factory key is 1)"));
  if (data.body.size() <= kMicBytes)
    return fail(wrong("secured data of " + std::to_string(data.body.size()) +
                      " bytes (more than the 5-byte MIC)"));
  std::string body = data.body;
  ctr_le(key.encryption, initial_counter_block(iv, data.counter), body);
  const std::string_view cbor(body.data(), body.size() - kMicBytes);
  std::string plain = data_prefix(data.header, 1, data.counter);
  plain.append(cbor);
  const auto tag = cmac(key.authentication, plain);
  if (CRYPTO_memcmp(tag.data(), body.data() + cbor.size(), kMicBytes) != 0)
    return fail(wrong("the MIC does not match (wrong key or IV, or a changed frame)"));
  return std::string(cbor);
}

Result<std::string> parse_byte_string(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return std::string(text);
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    digits.push_back(c);
  }
  if (digits.size() % 2 != 0)
    return fail(errc::invalid_argument,
                "\"" + std::string(text) + "\" has an odd number of hex digits");
  const auto nibble = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  std::string out;
  out.reserve(digits.size() / 2);
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const int hi = nibble(digits[i]);
    const int lo = nibble(digits[i + 1]);
    if (hi < 0 || lo < 0)
      return fail(errc::invalid_argument, "\"" + std::string(text) + "\" is not hex");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace stratus::wirepas::provisioning
