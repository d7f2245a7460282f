#pragma once
/// @file
/// The revoked node certificates file that the Stratus mosquitto plugin reads
/// (`plugin_opt_revoked_certificates_file`, see broker/plugin/README.md): one
/// SHA-256 fingerprint per line (64 lower-case hex characters, over the
/// certificate's DER), `#` comment lines allowed. The plugin re-reads it when it
/// changes, refuses those certificates at connect and drops live sessions that use
/// one (issue 13: one valid certificate per node id).

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::broker {

/// Writes `fingerprints` to `file` atomically (a temporary file renamed over it), so
/// the plugin never reads half a list. Entries that are not 64 lower-case hex
/// characters are refused (invalid_argument, nothing written): a malformed line
/// would revoke nothing. Errors: unavailable with the OS error. Thread-safe for
/// distinct files; concurrent writers of one file must be serialized by the caller.
Result<void> write_revocation_list(const std::filesystem::path& file,
                                   const std::vector<std::string>& fingerprints);

/// `write_revocation_list` with another first comment line: the registered node
/// certificates file (`plugin_opt_registered_certificates_file`, docs/adr/0014) has the
/// same format. `comment` is one line without '\n'.
Result<void> write_fingerprint_list(const std::filesystem::path& file,
                                    const std::vector<std::string>& fingerprints,
                                    std::string_view comment);

/// True for 64 lower-case hex characters (a SHA-256 fingerprint as pki writes it).
/// Pure.
bool valid_fingerprint(std::string_view text) noexcept;

}  // namespace stratus::broker
