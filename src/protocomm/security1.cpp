#include "protocomm/security1.hpp"

#include <array>

#include "protocomm/detail/crypto.hpp"
#include "protocomm/detail/pb.hpp"
#include "session.pb.h"

namespace stratus::protocomm {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kRandomBytes = 16;

std::string draw(const RandomSource& random, std::size_t n) {
  std::string out(n, '\0');
  random(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data()), n));
  return out;
}

// The AES key: the X25519 secret, XOR SHA-256(PoP) when a PoP is set (security1.c).
Result<std::string> session_key(std::string_view private_key, std::string_view peer,
                                std::string_view pop) {
  auto key = detail::x25519_shared(private_key, peer);
  if (!key) {
    return key;
  }
  if (!pop.empty()) {
    const auto h = detail::sha256(pop);
    for (std::size_t i = 0; i < kKeyBytes; ++i) {
      (*key)[i] = static_cast<char>(static_cast<unsigned char>((*key)[i]) ^
                                    static_cast<unsigned char>(h[i]));
    }
  }
  return key;
}

Result<Sec1Payload> sec1_payload(std::string_view bytes) {
  auto data = detail::parse_pb<SessionData>(bytes, "SessionData");
  if (!data) {
    return fail(std::move(data).error());
  }
  if (data->sec_ver() != SecScheme1 || data->proto_case() != SessionData::kSec1) {
    return fail(errc::invalid_argument, "not a security 1 session message");
  }
  return std::move(*data->mutable_sec1());
}

std::string session_data(Sec1Payload payload) {
  SessionData data;
  data.set_sec_ver(SecScheme1);
  *data.mutable_sec1() = std::move(payload);
  return detail::write_pb(data);
}

}  // namespace

// --- device -----------------------------------------------------------------------------

struct Sec1Device::Impl {
  enum class State { cmd0, cmd1, done };
  std::string pop;
  RandomSource random;
  State state = State::cmd0;
  std::string device_public;
  std::string client_public;
  std::string key;
  std::string counter_block;
  detail::AesCtr stream;

  void reset() noexcept {
    state = State::cmd0;
    device_public.clear();
    client_public.clear();
    key.assign(key.size(), '\0');
    key.clear();
    counter_block.clear();
    stream.clear();
  }

  Result<std::string> command0(const Sec1Payload& in) {
    if (in.payload_case() != Sec1Payload::kSc0) {  // checked before the session is touched
      return fail(errc::invalid_argument, "security 1: command 0 without its payload");
    }
    reset();  // Cmd0 in any state starts again (the firmware's "restarting session")
    if (in.sc0().client_pubkey().size() != kKeyBytes) {
      return fail(errc::invalid_argument, "security 1: the client public key is not 32 bytes");
    }
    const auto private_key = draw(random, kKeyBytes);
    auto device_key = detail::x25519_public(private_key);
    if (!device_key) {
      return fail(std::move(device_key).error());
    }
    auto shared = session_key(private_key, in.sc0().client_pubkey(), pop);
    if (!shared) {
      return fail(std::move(shared).error());
    }
    device_public = std::move(*device_key);
    client_public = in.sc0().client_pubkey();
    key = std::move(*shared);
    counter_block = draw(random, kRandomBytes);

    Sec1Payload out;
    out.set_msg(Session_Response0);
    auto* resp = out.mutable_sr0();
    resp->set_status(::Success);
    resp->set_device_pubkey(device_public);
    resp->set_device_random(counter_block);
    state = State::cmd1;
    return session_data(std::move(out));
  }

  Result<std::string> command1(const Sec1Payload& in) {
    if (state != State::cmd1) {
      return fail(errc::conflict, "security 1: command 1 before command 0");
    }
    if (in.payload_case() != Sec1Payload::kSc1 ||
        in.sc1().client_verify_data().size() != kKeyBytes) {
      reset();
      return fail(errc::invalid_argument,
                  "security 1: command 1 without 32 bytes of client verify data");
    }
    if (auto started = stream.init(key, counter_block); !started) {
      reset();
      return fail(std::move(started).error());
    }
    auto check = stream.apply(in.sc1().client_verify_data());
    if (!check) {
      reset();
      return fail(std::move(check).error());
    }
    if (!detail::equal_ct(*check, device_public)) {
      reset();
      return fail(errc::unauthenticated,
                  "security 1: the client's verify data does not match (wrong proof of "
                  "possession)");
    }
    auto verify = stream.apply(client_public);
    if (!verify) {
      reset();
      return fail(std::move(verify).error());
    }
    Sec1Payload out;
    out.set_msg(Session_Response1);
    auto* resp = out.mutable_sr1();
    resp->set_status(::Success);
    resp->set_device_verify_data(*verify);
    state = State::done;
    return session_data(std::move(out));
  }
};

Sec1Device::Sec1Device(std::string pop, RandomSource random) : impl_(std::make_unique<Impl>()) {
  impl_->pop = std::move(pop);
  impl_->random = std::move(random);
}

Sec1Device::~Sec1Device() = default;

Result<std::string> Sec1Device::handle(std::string_view request) {
  auto in = sec1_payload(request);
  if (!in) {
    return fail(std::move(in).error());
  }
  switch (in->msg()) {
    case Session_Command0:
      return impl_->command0(*in);
    case Session_Command1:
      return impl_->command1(*in);
    default:
      return fail(errc::invalid_argument,
                  "security 1: message type " + std::to_string(in->msg()) + " is not a command");
  }
}

bool Sec1Device::established() const noexcept {
  return impl_->state == Impl::State::done;
}

Result<std::string> Sec1Device::encrypt(std::string_view plaintext) {
  if (!established()) {
    return fail(errc::conflict, "security 1: no session yet");
  }
  return impl_->stream.apply(plaintext);
}

Result<std::string> Sec1Device::decrypt(std::string_view ciphertext) {
  return encrypt(ciphertext);
}

void Sec1Device::reset() noexcept {
  impl_->reset();
}

// --- client -----------------------------------------------------------------------------

struct Sec1Client::Impl {
  enum class State { idle, resp0, resp1, done };
  std::string pop;
  RandomSource random;
  State state = State::idle;
  std::string private_key;
  std::string client_public;
  detail::AesCtr stream;
};

Sec1Client::Sec1Client(std::string pop, RandomSource random) : impl_(std::make_unique<Impl>()) {
  impl_->pop = std::move(pop);
  impl_->random = std::move(random);
}

Sec1Client::~Sec1Client() = default;

Result<std::string> Sec1Client::start() {
  auto& s = *impl_;
  s.stream.clear();
  s.state = Impl::State::idle;
  s.private_key = draw(s.random, kKeyBytes);
  auto pub = detail::x25519_public(s.private_key);
  if (!pub) {
    return fail(std::move(pub).error());
  }
  s.client_public = std::move(*pub);
  Sec1Payload out;
  out.set_msg(Session_Command0);
  out.mutable_sc0()->set_client_pubkey(s.client_public);
  s.state = Impl::State::resp0;
  return session_data(std::move(out));
}

Result<std::optional<std::string>> Sec1Client::on_response(std::string_view response) {
  auto& s = *impl_;
  if (s.state != Impl::State::resp0 && s.state != Impl::State::resp1) {
    return fail(errc::conflict, "security 1: no handshake in progress");
  }
  auto in = sec1_payload(response);
  if (!in) {
    s.state = Impl::State::idle;
    return fail(std::move(in).error());
  }
  if (s.state == Impl::State::resp0) {
    if (in->msg() != Session_Response0 || in->payload_case() != Sec1Payload::kSr0) {
      s.state = Impl::State::idle;
      return fail(errc::invalid_argument, "security 1: expected response 0");
    }
    const auto& r = in->sr0();
    if (r.status() != ::Success) {
      s.state = Impl::State::idle;
      return fail(errc::invalid_argument,
                  "security 1: the device answered status " + std::to_string(r.status()));
    }
    if (r.device_pubkey().size() != kKeyBytes || r.device_random().size() != kRandomBytes) {
      s.state = Impl::State::idle;
      return fail(errc::invalid_argument,
                  "security 1: response 0 needs a 32-byte key and a 16-byte random");
    }
    auto key = session_key(s.private_key, r.device_pubkey(), s.pop);
    if (!key) {
      s.state = Impl::State::idle;
      return fail(std::move(key).error());
    }
    auto started = s.stream.init(*key, r.device_random());
    key->assign(key->size(), '\0');
    if (!started) {
      s.state = Impl::State::idle;
      return fail(std::move(started).error());
    }
    auto verify = s.stream.apply(r.device_pubkey());
    if (!verify) {
      s.state = Impl::State::idle;
      return fail(std::move(verify).error());
    }
    Sec1Payload out;
    out.set_msg(Session_Command1);
    out.mutable_sc1()->set_client_verify_data(*verify);
    s.state = Impl::State::resp1;
    return std::optional<std::string>(session_data(std::move(out)));
  }
  if (in->msg() != Session_Response1 || in->payload_case() != Sec1Payload::kSr1) {
    s.state = Impl::State::idle;
    return fail(errc::invalid_argument, "security 1: expected response 1");
  }
  const auto& r = in->sr1();
  if (r.status() != ::Success || r.device_verify_data().size() != kKeyBytes) {
    s.state = Impl::State::idle;
    return fail(errc::invalid_argument,
                "security 1: response 1 needs status success and 32 bytes of verify data");
  }
  auto check = s.stream.apply(r.device_verify_data());
  if (!check || !detail::equal_ct(*check, s.client_public)) {
    s.state = Impl::State::idle;
    return fail(errc::unauthenticated,
                "security 1: the device's verify data does not match (wrong proof of "
                "possession?)");
  }
  s.state = Impl::State::done;
  return std::optional<std::string>{};
}

bool Sec1Client::established() const noexcept {
  return impl_->state == Impl::State::done;
}

Result<std::string> Sec1Client::encrypt(std::string_view plaintext) {
  if (!established()) {
    return fail(errc::conflict, "security 1: no session yet");
  }
  return impl_->stream.apply(plaintext);
}

Result<std::string> Sec1Client::decrypt(std::string_view ciphertext) {
  return encrypt(ciphertext);
}

}  // namespace stratus::protocomm
