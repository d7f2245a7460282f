#pragma once
/// @file
/// The provisioning server's list of authorized nodes, `provisioning_config` (spec
/// wirepas.md §5.3; the original's `examples/provisioning_config.yml`), read into the
/// `wirepas::provisioning::NodeConfig` the server's sessions look up.
///
/// Two layouts are read (decided in docs/wirepas.md, "Provisioning server"):
///
/// - the spec's: top-level keys are node UIDs; each maps to `method` (0 unsecured, 1
///   secured), `factory_key` (32 bytes, secured only), `authentication_key` and
///   `encryption_key` (16 bytes each, mandatory), and the optional `network_address`,
///   `network_channel`, `node_id` (integers), `node_role` (1 byte), `user_specific` (keys
///   128–255 to integers, byte strings or text). An entry may also carry `uid`, which
///   then wins over its key (the later wm-provisioning does this);
/// - wm-provisioning's `version: 1`: `networks:` (name → `address`, `channel`,
///   `authentication_key`, `encryption_key`) and `nodes:` (name → `network`, `method`,
///   `uid`, `factory_key`, `node_id`, `node_role`, `user_specific`).
///
/// Values follow the original's YAML reading: an unquoted integer (`13`, `0x1012EE`) is an
/// integer; a byte string is text starting with `0x` (space-separated `0x..` tokens) or any
/// other text as UTF-8; an integer where bytes are expected is its big-endian bytes (so
/// `node_role: 0x41` is the byte 0x41). UID keys are byte strings the same way.
///
/// Validation reports every problem at once, one `<file>:<entry>.<key>: <what>` line each,
/// and loads nothing when there is one. Pure apart from reading the file; thread-safe.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "wirepas/provisioning_server.hpp"

namespace stratus::console {

/// The authorized nodes by UID (raw bytes).
struct ProvisioningConfig {
  std::map<std::string, wirepas::provisioning::NodeConfig, std::less<>> nodes;
  /// The entry's name in the file per UID, for logs (the UID itself may be binary).
  std::map<std::string, std::string, std::less<>> names;
};

/// Reads `text` as the file `file_name` (used in error lines). Errors: invalid_argument
/// whose message holds every problem, one per line.
[[nodiscard]] Result<ProvisioningConfig> parse_provisioning_config(std::string_view text,
                                                                   std::string_view file_name);
/// Reads and parses the file at `path`. Errors: as `parse_provisioning_config`, and
/// not_found when it cannot be read.
[[nodiscard]] Result<ProvisioningConfig> load_provisioning_config(const std::string& path);

/// A UID as logs show it: the text when it is printable ASCII, else `0x` and hex.
[[nodiscard]] std::string printable_uid(std::string_view uid);

}  // namespace stratus::console
