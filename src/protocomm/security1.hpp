#pragma once
/// @file
/// Security 1 (spec rainmaker-device.md §2.3; ESP-IDF `security1.c` `handle_session_command0/1`,
/// `sec1_decrypt`; CLI `security1.py`):
///
/// 1. Cmd0: the client's X25519 public key (32 bytes, RFC 7748 encoding).
/// 2. The device makes a key pair and computes the X25519 shared secret; when a proof of
///    possession (PoP) is set, the secret XOR SHA-256(PoP) is the AES-256 key. It draws a
///    16-byte `device_random`. Resp0: its public key and `device_random`.
/// 3. One AES-256-CTR stream per session, initial counter block `device_random` (128-bit
///    big-endian increment), shared by both directions in message order (the firmware has
///    one `mbedtls_aes_context` and one stream offset per session, and `encrypt` is
///    `decrypt`): Cmd1 carries keystream[0,32) XOR the device's public key, which the
///    device checks (constant time; a mismatch is a wrong PoP); Resp1 carries
///    keystream[32,64) XOR the client's public key, which the client checks.
/// 4. Every later request and response continues the same stream (first byte at 64), so a
///    lost or repeated message desynchronises the session.

#include <memory>

#include "protocomm/security.hpp"

namespace stratus::protocomm {

/// The device side of security 1. See `DeviceSecurity`. Key pair and `device_random` come
/// from `random` (32 bytes of private key, then 16 bytes) at each Cmd0.
class Sec1Device final : public DeviceSecurity {
 public:
  /// `pop` empty = no proof of possession (`proto-ver` then advertises `no_pop`).
  explicit Sec1Device(std::string pop, RandomSource random = system_random());
  /// Wipes the session's secrets.
  ~Sec1Device() override;

  /// See `DeviceSecurity::version`.
  [[nodiscard]] SecurityVersion version() const noexcept override { return SecurityVersion::sec1; }
  /// See `DeviceSecurity::handle`.
  Result<std::string> handle(std::string_view request) override;
  /// See `DeviceSecurity::established`.
  [[nodiscard]] bool established() const noexcept override;
  /// Continues the session's CTR stream (same as `decrypt`).
  Result<std::string> encrypt(std::string_view plaintext) override;
  /// Continues the session's CTR stream (same as `encrypt`).
  Result<std::string> decrypt(std::string_view ciphertext) override;
  /// See `DeviceSecurity::reset`.
  void reset() noexcept override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The client side of security 1. See `ClientSecurity`. The key pair comes from `random`
/// (32 bytes of private key) at each `start`.
class Sec1Client final : public ClientSecurity {
 public:
  /// `pop` empty = the device has none.
  explicit Sec1Client(std::string pop, RandomSource random = system_random());
  /// Wipes the session's secrets.
  ~Sec1Client() override;

  /// See `ClientSecurity::version`.
  [[nodiscard]] SecurityVersion version() const noexcept override { return SecurityVersion::sec1; }
  /// See `ClientSecurity::start`.
  Result<std::string> start() override;
  /// See `ClientSecurity::on_response`.
  Result<std::optional<std::string>> on_response(std::string_view response) override;
  /// See `ClientSecurity::established`.
  [[nodiscard]] bool established() const noexcept override;
  /// Continues the session's CTR stream (same as `decrypt`).
  Result<std::string> encrypt(std::string_view plaintext) override;
  /// Continues the session's CTR stream (same as `encrypt`).
  Result<std::string> decrypt(std::string_view ciphertext) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::protocomm
