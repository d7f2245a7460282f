#include "protocomm/security2.hpp"

#include "protocomm/detail/crypto.hpp"
#include "protocomm/detail/pb.hpp"
#include "session.pb.h"

namespace stratus::protocomm {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kSecretBytes = 32;  // a and b: 256 bits
constexpr std::size_t kProofBytes = 64;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kSessionIdBytes = 8;
constexpr std::size_t kAesKeyBytes = 32;

std::string draw(const RandomSource& random, std::size_t n) {
  std::string out(n, '\0');
  random(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data()), n));
  return out;
}

void wipe(std::string& s) noexcept {
  s.assign(s.size(), '\0');
  s.clear();
}

Result<Sec2Payload> sec2_payload(std::string_view bytes) {
  auto data = detail::parse_pb<SessionData>(bytes, "SessionData");
  if (!data) {
    return fail(std::move(data).error());
  }
  if (data->sec_ver() != SecScheme2 || data->proto_case() != SessionData::kSec2) {
    return fail(errc::invalid_argument, "not a security 2 session message");
  }
  return std::move(*data->mutable_sec2());
}

std::string session_data(Sec2Payload payload) {
  SessionData data;
  data.set_sec_ver(SecScheme2);
  *data.mutable_sec2() = std::move(payload);
  return detail::write_pb(data);
}

std::uint32_t counter_of(const std::string& nonce) noexcept {
  std::uint32_t c = 0;
  for (std::size_t i = kSessionIdBytes; i < kNonceBytes; ++i) {
    c = (c << 8U) | static_cast<unsigned char>(nonce[i]);
  }
  return c;
}

void set_counter(std::string& nonce, std::uint32_t c) noexcept {
  for (std::size_t i = kNonceBytes; i-- > kSessionIdBytes;) {
    nonce[i] = static_cast<char>(c & 0xFFU);
    c >>= 8U;
  }
}

// The AES-GCM half shared by both sides: key K[0,32), the 12-byte nonce, and with patch
// version 1 its counter advanced after every successful operation (security2.c).
struct GcmChannel {
  std::string key;
  std::string nonce;
  int patch_version = 1;

  void clear() noexcept {
    wipe(key);
    nonce.clear();
  }

  Result<std::string> seal(std::string_view plaintext) {
    if (patch_version >= 1 && counter_of(nonce) == 0) {
      return fail(errc::conflict, "security 2: the nonce counter is 0 (restart the session)");
    }
    auto out = detail::aes_gcm_seal(key, nonce, plaintext);
    if (out && patch_version >= 1) {
      set_counter(nonce, counter_of(nonce) + 1);
    }
    return out;
  }

  Result<std::string> open(std::string_view sealed) {
    if (patch_version >= 1 && counter_of(nonce) == 0) {
      return fail(errc::conflict, "security 2: the nonce counter is 0 (restart the session)");
    }
    auto out = detail::aes_gcm_open(key, nonce, sealed);
    if (out && patch_version >= 1) {
      set_counter(nonce, counter_of(nonce) + 1);
    }
    return out;
  }
};

}  // namespace

Result<Sec2Verifier> make_sec2_verifier(std::string_view username, std::string_view password,
                                        std::string salt) {
  if (salt.empty()) {
    return fail(errc::invalid_argument, "security 2: the salt is empty");
  }
  auto v = detail::srp_verifier(salt, username, password);
  if (!v) {
    return fail(std::move(v).error());
  }
  return Sec2Verifier{std::move(salt), std::move(*v)};
}

Result<Sec2Verifier> make_sec2_verifier(std::string_view username, std::string_view password,
                                        const RandomSource& random) {
  std::string salt = draw(random, kSaltBytes);
  if (salt[0] == '\0')
    salt[0] = '\x01';  // the CLI would drop a leading zero byte (see the header)
  return make_sec2_verifier(username, password, std::move(salt));
}

// --- device -----------------------------------------------------------------------------

struct Sec2Device::Impl {
  enum class State { cmd0, cmd1, done };
  Sec2Verifier verifier;
  RandomSource random;
  State state = State::cmd0;
  std::string username;
  std::string A;
  std::string B;
  std::string K;
  GcmChannel channel;

  void reset() noexcept {
    state = State::cmd0;
    username.clear();
    A.clear();
    B.clear();
    wipe(K);
    channel.clear();
  }

  Result<std::string> command0(const Sec2Payload& in) {
    if (in.payload_case() != Sec2Payload::kSc0) {  // checked before the session is touched
      return fail(errc::invalid_argument, "security 2: command 0 without its payload");
    }
    reset();  // Cmd0 in any state starts again (the firmware's "restarting session")
    const auto& cmd = in.sc0();
    if (cmd.client_pubkey().size() != detail::kSrpModulusBytes) {
      return fail(errc::invalid_argument, "security 2: the client public key is not 384 bytes (" +
                                              std::to_string(cmd.client_pubkey().size()) + ")");
    }
    if (cmd.client_username().empty() || cmd.client_username().size() > 0xFFFF) {
      return fail(errc::invalid_argument, "security 2: the user name is empty or too long");
    }
    auto b = draw(random, kSecretBytes);
    auto public_b = detail::srp_server_public(verifier.verifier, b);
    if (!public_b) {
      wipe(b);
      return fail(std::move(public_b).error());
    }
    auto key = detail::srp_server_key(cmd.client_pubkey(), *public_b, verifier.verifier, b);
    wipe(b);
    if (!key) {
      return fail(std::move(key).error());
    }
    username = cmd.client_username();
    A = cmd.client_pubkey();
    B = std::move(*public_b);
    K = std::move(*key);

    Sec2Payload out;
    out.set_msg(S2Session_Response0);
    auto* resp = out.mutable_sr0();
    resp->set_status(::Success);
    resp->set_device_pubkey(B);
    resp->set_device_salt(verifier.salt);
    state = State::cmd1;
    return session_data(std::move(out));
  }

  Result<std::string> command1(const Sec2Payload& in) {
    if (state != State::cmd1) {
      return fail(errc::conflict, "security 2: command 1 before command 0");
    }
    if (in.payload_case() != Sec2Payload::kSc1 || in.sc1().client_proof().size() != kProofBytes) {
      reset();
      return fail(errc::invalid_argument, "security 2: command 1 without a 64-byte proof");
    }
    const auto M = detail::srp_client_proof(username, verifier.salt, A, B, K);
    if (!detail::equal_ct(M, in.sc1().client_proof())) {
      reset();
      return fail(errc::unauthenticated,
                  "security 2: the client proof does not match (wrong user name or password)");
    }
    const auto device_proof = detail::srp_server_proof(A, M, K);
    channel.key = K.substr(0, kAesKeyBytes);
    channel.nonce = draw(random, kSessionIdBytes);
    channel.nonce.resize(kNonceBytes, '\0');
    set_counter(channel.nonce, 1);

    Sec2Payload out;
    out.set_msg(S2Session_Response1);
    auto* resp = out.mutable_sr1();
    resp->set_status(::Success);
    resp->set_device_proof(device_proof);
    resp->set_device_nonce(channel.nonce);
    state = State::done;
    return session_data(std::move(out));
  }
};

Sec2Device::Sec2Device(Sec2Verifier verifier, RandomSource random, int patch_version)
    : impl_(std::make_unique<Impl>()) {
  impl_->verifier = std::move(verifier);
  impl_->random = std::move(random);
  impl_->channel.patch_version = patch_version;
}

Sec2Device::~Sec2Device() = default;

Result<std::string> Sec2Device::handle(std::string_view request) {
  auto in = sec2_payload(request);
  if (!in) {
    return fail(std::move(in).error());
  }
  switch (in->msg()) {
    case S2Session_Command0:
      return impl_->command0(*in);
    case S2Session_Command1:
      return impl_->command1(*in);
    default:
      return fail(errc::invalid_argument,
                  "security 2: message type " + std::to_string(in->msg()) + " is not a command");
  }
}

bool Sec2Device::established() const noexcept {
  return impl_->state == Impl::State::done;
}

Result<std::string> Sec2Device::encrypt(std::string_view plaintext) {
  if (!established()) {
    return fail(errc::conflict, "security 2: no session yet");
  }
  return impl_->channel.seal(plaintext);
}

Result<std::string> Sec2Device::decrypt(std::string_view ciphertext) {
  if (!established()) {
    return fail(errc::conflict, "security 2: no session yet");
  }
  return impl_->channel.open(ciphertext);
}

void Sec2Device::reset() noexcept {
  impl_->reset();
}

// --- client -----------------------------------------------------------------------------

struct Sec2Client::Impl {
  enum class State { idle, resp0, resp1, done };
  std::string username;
  std::string password;
  RandomSource random;
  State state = State::idle;
  std::string a;
  std::string A;
  std::string expected_device_proof;
  std::string K;
  GcmChannel channel;

  void clear() noexcept {
    state = State::idle;
    wipe(a);
    A.clear();
    expected_device_proof.clear();
    wipe(K);
    channel.clear();
  }
};

Sec2Client::Sec2Client(std::string username, std::string password, RandomSource random,
                       int patch_version)
    : impl_(std::make_unique<Impl>()) {
  impl_->username = std::move(username);
  impl_->password = std::move(password);
  impl_->random = std::move(random);
  impl_->channel.patch_version = patch_version;
}

Sec2Client::~Sec2Client() {
  wipe(impl_->password);
}

Result<std::string> Sec2Client::start() {
  auto& s = *impl_;
  s.clear();
  s.a = draw(s.random, kSecretBytes);
  s.a[0] = static_cast<char>(static_cast<unsigned char>(s.a[0]) | 0x80U);  // as srp6a.py
  auto A = detail::srp_client_public(s.a);
  if (!A) {
    s.clear();
    return fail(std::move(A).error());
  }
  s.A = std::move(*A);
  Sec2Payload out;
  out.set_msg(S2Session_Command0);
  auto* cmd = out.mutable_sc0();
  cmd->set_client_username(s.username);
  cmd->set_client_pubkey(s.A);
  s.state = Impl::State::resp0;
  return session_data(std::move(out));
}

Result<std::optional<std::string>> Sec2Client::on_response(std::string_view response) {
  auto& s = *impl_;
  if (s.state != Impl::State::resp0 && s.state != Impl::State::resp1) {
    return fail(errc::conflict, "security 2: no handshake in progress");
  }
  auto in = sec2_payload(response);
  if (!in) {
    s.clear();
    return fail(std::move(in).error());
  }
  if (s.state == Impl::State::resp0) {
    if (in->msg() != S2Session_Response0 || in->payload_case() != Sec2Payload::kSr0) {
      s.clear();
      return fail(errc::invalid_argument, "security 2: expected response 0");
    }
    const auto& r = in->sr0();
    if (r.status() != ::Success || r.device_pubkey().empty() ||
        r.device_pubkey().size() > detail::kSrpModulusBytes || r.device_salt().empty()) {
      s.clear();
      return fail(errc::invalid_argument,
                  "security 2: response 0 needs status success, B of 1..384 bytes and a salt");
    }
    auto key = detail::srp_client_key(s.A, r.device_pubkey(), s.a, r.device_salt(), s.username,
                                      s.password);
    if (!key) {
      s.clear();
      return fail(std::move(key).error());
    }
    s.K = std::move(*key);
    const auto M =
        detail::srp_client_proof(s.username, r.device_salt(), s.A, r.device_pubkey(), s.K);
    s.expected_device_proof = detail::srp_server_proof(s.A, M, s.K);
    Sec2Payload out;
    out.set_msg(S2Session_Command1);
    out.mutable_sc1()->set_client_proof(M);
    s.state = Impl::State::resp1;
    return std::optional<std::string>(session_data(std::move(out)));
  }
  if (in->msg() != S2Session_Response1 || in->payload_case() != Sec2Payload::kSr1) {
    s.clear();
    return fail(errc::invalid_argument, "security 2: expected response 1");
  }
  const auto& r = in->sr1();
  if (r.status() != ::Success || r.device_nonce().size() != kNonceBytes) {
    s.clear();
    return fail(errc::invalid_argument,
                "security 2: response 1 needs status success and a 12-byte nonce");
  }
  if (!detail::equal_ct(r.device_proof(), s.expected_device_proof)) {
    s.clear();
    return fail(errc::unauthenticated, "security 2: the device proof does not match");
  }
  s.channel.key = s.K.substr(0, kAesKeyBytes);
  s.channel.nonce = r.device_nonce();
  wipe(s.a);
  s.state = Impl::State::done;
  return std::optional<std::string>{};
}

bool Sec2Client::established() const noexcept {
  return impl_->state == Impl::State::done;
}

Result<std::string> Sec2Client::encrypt(std::string_view plaintext) {
  if (!established()) {
    return fail(errc::conflict, "security 2: no session yet");
  }
  return impl_->channel.seal(plaintext);
}

Result<std::string> Sec2Client::decrypt(std::string_view ciphertext) {
  if (!established()) {
    return fail(errc::conflict, "security 2: no session yet");
  }
  return impl_->channel.open(ciphertext);
}

}  // namespace stratus::protocomm
