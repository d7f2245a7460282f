#pragma once
/// @file
/// The Wirepas credentials file that the Stratus mosquitto plugin reads
/// (`plugin_opt_wirepas_credentials_file`, docs/adr/0018, broker/plugin/README.md): after
/// one `#` comment line, one credential per line, `<role> <name> <salt> <mac>` separated
/// by single spaces, where role is `gateway` or `operator`, name a valid broker identity
/// (`wirepas::valid_broker_identity`), salt 32 and mac 64 lower-case hex characters
/// (mac = HMAC-SHA-256 keyed with the salt's text over the password). The plugin re-reads
/// it when it changes.

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::broker {

/// One line of the file.
struct WirepasBrokerCredential {
  std::string role;  ///< "gateway" | "operator"
  std::string name;
  std::string salt;
  std::string mac;
};

/// Writes `credentials` to `file` atomically with mode 0600 (it holds password MACs).
/// A malformed entry refuses the whole write (invalid_argument naming it, nothing
/// written): the plugin would skip it and lock that gateway out without a word. Errors:
/// unavailable with the OS error. Thread-safe for distinct files.
Result<void> write_wirepas_credentials(const std::filesystem::path& file,
                                       const std::vector<WirepasBrokerCredential>& credentials);

}  // namespace stratus::broker
