#pragma once
/// @file
/// Host-driven claiming (spec rainmaker.md §6.3, as `esp-rainmaker-cli claim`
/// does it, without the flashing): a key pair and CSR made here, a certificate
/// from the server, and the files a host node (`stratus-node`) needs to connect.
///
/// A credentials directory holds:
/// - `node.key`  the node's private key, PKCS#8 PEM;
/// - `node.crt`  its certificate (CN = node id), PEM;
/// - `ca.crt`    the CA that signed it (and the broker's server certificate), PEM;
/// - `node.info` JSON `{"node_id":"…","mqtt_host":"…","mqtt_port":8883}`.
/// Every file is mode 0600 and written atomically; the directory is 0700.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "client/session.hpp"
#include "core/error.hpp"
#include "pki/key.hpp"

namespace stratus::cli {

/// File names inside a credentials directory.
inline constexpr std::string_view kNodeKeyFile = "node.key";
inline constexpr std::string_view kNodeCertFile = "node.crt";
inline constexpr std::string_view kCaCertFile = "ca.crt";
inline constexpr std::string_view kNodeInfoFile = "node.info";

/// What to claim and where to put it.
struct ClaimOptions {
  /// Where the files go: this directory itself, or `<outdir>/<node_id>/` with
  /// `per_node_subdir` (the node id is known only after `claim/initiate`).
  std::filesystem::path outdir;
  /// Key algorithm of the node key (the RainMaker CLI's `--key_type`).
  pki::KeyType key_type = pki::KeyType::ecdsa_p256;
  /// The node's MAC, 12 hex digits with or without ':'/'-' separators; a random
  /// locally administered MAC when empty.
  std::string mac_addr;
  /// The `platform` sent to claim/initiate (the CLI's default is "host").
  std::string platform = "host";
  /// See `outdir`.
  bool per_node_subdir = false;
};

/// A claimed node, as written to (or read from) a credentials directory.
struct NodeCredentials {
  std::string node_id;
  std::string mqtt_host;
  std::uint16_t mqtt_port = 0;
  std::filesystem::path dir;  ///< holds node.key node.crt node.info ca.crt

  /// `dir / kNodeKeyFile` and friends.
  [[nodiscard]] std::filesystem::path key_file() const { return dir / kNodeKeyFile; }
  [[nodiscard]] std::filesystem::path cert_file() const { return dir / kNodeCertFile; }
  [[nodiscard]] std::filesystem::path ca_file() const { return dir / kCaCertFile; }
  [[nodiscard]] std::filesystem::path info_file() const { return dir / kNodeInfoFile; }
};

/// Claims a new node for the user logged in on `session`: `GET /mqtt_host`,
/// key generation, `POST /claim/initiate {mac_addr, platform}` → node id, a CSR
/// with CN = node id, `POST /claim/verify {csr}` → certificate (+ Stratus's
/// `ca_certificate` and `mqtt_port`); checks that the certificate has the node id
/// as CN, matches the key and is signed by the CA; then writes the four files.
/// MQTT port: the verify answer's, else `/mqtt_host`'s, else 8883.
///
/// Errors: already_exists when the target directory already has a node.key
/// (checked before claiming when the directory is known up front, and never
/// overwritten); invalid_argument for a bad MAC; the session's errors (not
/// logged in, HTTP and network failures, with the server's code); internal when
/// the server's certificate does not fit (wrong CN, other key, not signed by the
/// CA it sent) or no CA certificate was sent (not a Stratus server);
/// unavailable for file-system errors. Blocking; uses `session` from this thread.
Result<NodeCredentials> claim_node(client::Session& session, const ClaimOptions& options);

/// Reads a credentials directory written by `claim_node` and checks it: every
/// file present (not_found "missing <dir>/<file>" naming the first missing one),
/// node.info valid JSON with a non-empty node_id and mqtt_host and a port
/// 1..65535, the key and certificates parse, the certificate's CN is the node id
/// and it matches the key (invalid_argument naming the file otherwise).
Result<NodeCredentials> load_node_credentials(const std::filesystem::path& dir);

/// A random, locally administered, unicast MAC as 12 upper-case hex digits.
[[nodiscard]] std::string random_mac();

/// `text` as 12 upper-case hex digits ("7c:df:a1:00:03:3b" → "7CDFA100033B").
/// Errors: invalid_argument for anything else. Pure.
[[nodiscard]] Result<std::string> normalize_mac(std::string_view text);

}  // namespace stratus::cli
