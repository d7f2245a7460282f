#pragma once
/// @file
/// Storage port for the Wirepas broker credentials (issue 20 item 3, docs/adr/0018): the
/// gateways and operators allowed on the embedded broker's Wirepas listener. Only a salt
/// and a keyed hash of each password are stored. Times: `_ms` Unix milliseconds.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// One credential. `role` is "gateway" or "operator"; `salt` (32) and `mac` (64) are
/// lower-case hex, `mac` = HMAC-SHA-256 keyed with the salt's text over the password.
struct WirepasCredential {
  std::string name;
  std::string role;
  std::string salt;
  std::string mac;
  std::string created_by;  ///< the admin's user id
  std::int64_t created_ms = 0;
};

/// Thread-safe; every call may block and may fail with errc::unavailable.
class WirepasCredentialRepository {
 public:
  virtual ~WirepasCredentialRepository() = default;
  /// Adds `credential`. Errors: conflict when the name exists (in either role).
  virtual Result<void> insert(const WirepasCredential& credential) = 0;
  /// Every credential, by name.
  virtual Result<std::vector<WirepasCredential>> list() = 0;
  /// Removes the credential called `name`; false when there was none.
  virtual Result<bool> remove(std::string_view name) = 0;
};

}  // namespace stratus::storage
