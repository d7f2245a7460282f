#pragma once
/// @file
/// Security 0 (spec rainmaker-device.md §2.2; ESP-IDF `security0.c`, CLI `security0.py`):
/// one plaintext exchange, `SessionData{sec0{sc{}}}` → `SessionData{sec0{msg=1, sr{}}}`
/// (bytes `5203a20100` → `52050801aa0100`), after which messages travel as they are.

#include "protocomm/security.hpp"

namespace stratus::protocomm {

/// The device side of security 0. See `DeviceSecurity`; `handle` refuses a `SessionData`
/// whose `sec_ver` is not 0 or that carries no `sec0` command.
class Sec0Device final : public DeviceSecurity {
 public:
  /// See `DeviceSecurity::version`.
  [[nodiscard]] SecurityVersion version() const noexcept override { return SecurityVersion::sec0; }
  /// See `DeviceSecurity::handle`.
  Result<std::string> handle(std::string_view request) override;
  /// See `DeviceSecurity::established`.
  [[nodiscard]] bool established() const noexcept override { return established_; }
  /// Returns `plaintext` unchanged once established.
  Result<std::string> encrypt(std::string_view plaintext) override;
  /// Returns `ciphertext` unchanged once established.
  Result<std::string> decrypt(std::string_view ciphertext) override;
  /// See `DeviceSecurity::reset`.
  void reset() noexcept override { established_ = false; }

 private:
  bool established_ = false;
};

/// The client side of security 0. See `ClientSecurity`.
class Sec0Client final : public ClientSecurity {
 public:
  /// See `ClientSecurity::version`.
  [[nodiscard]] SecurityVersion version() const noexcept override { return SecurityVersion::sec0; }
  /// See `ClientSecurity::start`.
  Result<std::string> start() override;
  /// See `ClientSecurity::on_response`.
  Result<std::optional<std::string>> on_response(std::string_view response) override;
  /// See `ClientSecurity::established`.
  [[nodiscard]] bool established() const noexcept override { return established_; }
  /// Returns `plaintext` unchanged once established.
  Result<std::string> encrypt(std::string_view plaintext) override;
  /// Returns `ciphertext` unchanged once established.
  Result<std::string> decrypt(std::string_view ciphertext) override;

 private:
  bool started_ = false;
  bool established_ = false;
};

}  // namespace stratus::protocomm
