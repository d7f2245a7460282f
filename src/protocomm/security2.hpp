#pragma once
/// @file
/// Security 2 (spec rainmaker-device.md §2.4; ESP-IDF `security2.c`,
/// `crypto/srp6a/esp_srp.c`; CLI `security2.py`, `srp6a.py`): SRP-6a over the 3072-bit
/// group of RFC 5054 (g = 5) with SHA-512, then AES-256-GCM.
///
/// With H = SHA-512, "pad" = left-padded with zeros to 384 bytes, other numbers minimal
/// big-endian: x = H(salt ‖ H(user ‖ ":" ‖ password)), v = g^x; k = H(N ‖ pad(g));
/// device b (256 random bits), B = k·v + g^b; client a (256 random bits, top bit set),
/// A = g^a; u = H(pad(A) ‖ pad(B)); S = (A·v^u)^b = (B − k·v)^(a + u·x); K = H(S);
/// M = H(H(N) XOR H(pad(g)) ‖ H(user) ‖ salt ‖ A ‖ B ‖ K) over the bytes as sent;
/// device proof H_AMK = H(A ‖ M ‖ K).
///
/// Cmd0 {user name, A (exactly 384 bytes)} → Resp0 {B (minimal), salt}; Cmd1 {M (64
/// bytes)} → Resp1 {H_AMK, nonce (12 bytes: 8 random ‖ u32 big-endian counter 1)}.
/// Messages are AES-256-GCM with key K[0,32), no AAD, the 16-byte tag appended. With
/// patch version 1 (the firmware's, advertised as `sec_patch_ver` 1) each side increments
/// the counter after every successful encrypt and decrypt (request 1 uses counter 1, its
/// reply 2, ...); with patch version 0 the nonce stays fixed. A failed decrypt leaves the
/// counter where it was (as the firmware does).

#include <cstdint>
#include <memory>
#include <string>

#include "protocomm/security.hpp"

namespace stratus::protocomm {

/// The user name RainMaker uses for security 2 (provisioning and local control).
inline constexpr std::string_view kSec2Username = "wifiprov";

/// What a device stores instead of the password (RainMaker: NVS `sec2_salt`,
/// `sec2_verifier`). Both are byte strings; the verifier is v = g^x mod N, minimal
/// big-endian (at most 384 bytes).
struct Sec2Verifier {
  std::string salt;
  std::string verifier;
  bool operator==(const Sec2Verifier&) const = default;
};

/// The verifier for `username`/`password` with the given salt. invalid_argument for an
/// empty salt; internal if the crypto library fails. Thread-safe.
Result<Sec2Verifier> make_sec2_verifier(std::string_view username, std::string_view password,
                                        std::string salt);

/// Same with a fresh 16-byte salt from `random`. A first byte of 0 becomes 1: the
/// RainMaker CLI passes the salt through an integer, which would drop that byte and
/// compute another x (not redrawn: a stuck source would loop). Thread-safe if `random` is.
Result<Sec2Verifier> make_sec2_verifier(std::string_view username, std::string_view password,
                                        const RandomSource& random);

/// The device side of security 2. See `DeviceSecurity`. `b` (32 bytes) comes from
/// `random` at each Cmd0, the nonce's 8 random bytes at Cmd1. Any non-empty user name is
/// accepted at Cmd0 (the proof binds it): a wrong user name fails like a wrong password.
class Sec2Device final : public DeviceSecurity {
 public:
  /// `patch_version` 1 (counter per operation) or 0 (fixed nonce).
  explicit Sec2Device(Sec2Verifier verifier, RandomSource random = system_random(),
                      int patch_version = 1);
  /// Wipes the session's secrets.
  ~Sec2Device() override;

  /// See `DeviceSecurity::version`.
  [[nodiscard]] SecurityVersion version() const noexcept override { return SecurityVersion::sec2; }
  /// See `DeviceSecurity::handle`.
  Result<std::string> handle(std::string_view request) override;
  /// See `DeviceSecurity::established`.
  [[nodiscard]] bool established() const noexcept override;
  /// AES-256-GCM; output is ciphertext ‖ 16-byte tag.
  Result<std::string> encrypt(std::string_view plaintext) override;
  /// AES-256-GCM; invalid_argument when shorter than the tag, unauthenticated when the tag
  /// does not verify.
  Result<std::string> decrypt(std::string_view ciphertext) override;
  /// See `DeviceSecurity::reset`.
  void reset() noexcept override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The client side of security 2. See `ClientSecurity`. `a` (32 bytes, top bit then set)
/// comes from `random` at each `start`. A is always sent at 384 bytes (the firmware
/// refuses any other length; the RainMaker CLI sends it minimal and fails 1 time in 256).
class Sec2Client final : public ClientSecurity {
 public:
  /// `patch_version` as the device advertises it (`proto-ver` `sec_patch_ver`, default 0).
  Sec2Client(std::string username, std::string password, RandomSource random = system_random(),
             int patch_version = 1);
  /// Wipes the session's secrets.
  ~Sec2Client() override;

  /// See `ClientSecurity::version`.
  [[nodiscard]] SecurityVersion version() const noexcept override { return SecurityVersion::sec2; }
  /// See `ClientSecurity::start`.
  Result<std::string> start() override;
  /// See `ClientSecurity::on_response`.
  Result<std::optional<std::string>> on_response(std::string_view response) override;
  /// See `ClientSecurity::established`.
  [[nodiscard]] bool established() const noexcept override;
  /// AES-256-GCM; output is ciphertext ‖ 16-byte tag.
  Result<std::string> encrypt(std::string_view plaintext) override;
  /// As `Sec2Device::decrypt`.
  Result<std::string> decrypt(std::string_view ciphertext) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::protocomm
