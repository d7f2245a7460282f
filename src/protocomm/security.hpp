#pragma once
/// @file
/// Protocomm security, sans-I/O (spec rainmaker-device.md §2; ESP-IDF
/// `components/protocomm/src/security/`). A session engine is fed the bytes of one
/// `prov-session` (or `esp_local_ctrl/session`) request or response at a time and returns
/// the bytes to send back; once established it encrypts and decrypts the application
/// messages of the other endpoints. No sockets, no threads, no clock: the transport (the
/// SoftAP HTTP server, the local-control server, the CLI's client) carries the bytes and
/// closes the connection when an engine returns an error, as esp_http_server does.
///
/// Thread-safety: an engine is a state machine with no locking; drive each from one
/// thread (or under one strand). Different engines are independent.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::protocomm {

/// The security scheme (`SessionData.sec_ver`, `proto-ver` `prov.sec_ver`).
enum class SecurityVersion : std::uint8_t {
  sec0 = 0,  ///< plaintext
  sec1 = 1,  ///< X25519 + proof of possession + AES-256-CTR
  sec2 = 2,  ///< SRP-6a (3072-bit, SHA-512) + AES-256-GCM
};

/// Fills its argument with random bytes. Engines draw every secret through one of these
/// (key pairs, the sec1 counter block, SRP `a`/`b`, the sec2 nonce prefix, salts) so tests
/// can fix them; production code passes `system_random()`.
using RandomSource = std::function<void(std::span<std::uint8_t>)>;

/// The kernel's CSPRNG (`stratus::random_bytes`). Thread-safe.
[[nodiscard]] RandomSource system_random();

/// The device's side of a session: answers the handshake and then protects the other
/// endpoints' messages.
///
/// Errors of `handle` (the transport then closes the connection and the client must start
/// again with its first message): invalid_argument for bytes that are not a `SessionData`
/// of this scheme or carry fields of the wrong size; `conflict` for a message out of order
/// (step 2 before step 1); unauthenticated when the client's proof fails (sec1: wrong
/// proof of possession; sec2: wrong password); internal when the crypto library fails. A
/// first-step message always starts a new handshake, also over an established one (the
/// firmware's "restarting session").
class DeviceSecurity {
 public:
  virtual ~DeviceSecurity() = default;
  DeviceSecurity() = default;
  DeviceSecurity(const DeviceSecurity&) = delete;
  DeviceSecurity& operator=(const DeviceSecurity&) = delete;

  /// The scheme this engine speaks.
  [[nodiscard]] virtual SecurityVersion version() const noexcept = 0;
  /// One handshake request in, its response out (protobuf `SessionData` both ways).
  virtual Result<std::string> handle(std::string_view request) = 0;
  /// True once the handshake has completed (sec0: after its one exchange).
  [[nodiscard]] virtual bool established() const noexcept = 0;
  /// Protects a response of another endpoint. `conflict` before `established`.
  virtual Result<std::string> encrypt(std::string_view plaintext) = 0;
  /// Opens a request of another endpoint. `conflict` before `established`;
  /// unauthenticated when the message was tampered with (sec2's GCM tag; sec1's CTR
  /// cannot tell, the garbage fails to decode one layer up).
  virtual Result<std::string> decrypt(std::string_view ciphertext) = 0;
  /// Forgets the session (a new transport session, the firmware's `close_transport_session`).
  virtual void reset() noexcept = 0;
};

/// The client's side (what the RainMaker CLI's `security*.py` do): produces the handshake
/// requests, checks the device's answers, then protects requests and opens responses.
/// Errors of `on_response`: invalid_argument for a malformed or unexpected answer (wrong
/// scheme, message type, sizes, a non-success status); unauthenticated when the device's
/// proof does not verify; `conflict` when called in the wrong state.
class ClientSecurity {
 public:
  virtual ~ClientSecurity() = default;
  ClientSecurity() = default;
  ClientSecurity(const ClientSecurity&) = delete;
  ClientSecurity& operator=(const ClientSecurity&) = delete;

  /// The scheme this engine speaks.
  [[nodiscard]] virtual SecurityVersion version() const noexcept = 0;
  /// Starts (or restarts) the handshake: the first request to send.
  virtual Result<std::string> start() = 0;
  /// The device's answer to the last request: the next request to send, or nullopt when
  /// the session is established.
  virtual Result<std::optional<std::string>> on_response(std::string_view response) = 0;
  /// True once the handshake has completed.
  [[nodiscard]] virtual bool established() const noexcept = 0;
  /// Protects a request. `conflict` before `established`.
  virtual Result<std::string> encrypt(std::string_view plaintext) = 0;
  /// Opens a response. As `DeviceSecurity::decrypt`.
  virtual Result<std::string> decrypt(std::string_view ciphertext) = 0;
};

}  // namespace stratus::protocomm
