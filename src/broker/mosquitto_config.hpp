#pragma once
/// @file
/// Generates the mosquitto.conf of the embedded broker (written into the data
/// dir at every start; hand edits are overwritten).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace stratus::broker {

/// Everything the generated configuration needs. Paths are absolute.
struct MosquittoSettings {
  std::string run_as_user;            ///< mosquitto's `user`: the effective user of stratusd
  std::filesystem::path plugin_path;  ///< stratus_mosquitto_plugin.so
  std::string backend_username;
  std::filesystem::path backend_password_file;
  /// Revoked node certificates (broker/revocation_list.hpp); the plugin re-reads it.
  std::filesystem::path revoked_certificates_file;
  std::uint16_t backend_port = 0;  ///< loopback listener, no TLS
  std::string device_bind_address = "0.0.0.0";
  std::uint16_t device_port = 0;  ///< mutual-TLS listener for nodes
  /// The Stratus CA: the device listener's `cafile` when `ca_path` is empty, and the
  /// plugin's `stratus_ca_file` (its certificates need no registration).
  std::filesystem::path ca_file;
  /// When set, the device listener trusts this `capath` directory instead (the Stratus CA
  /// and the manufacturing CAs as `<subject hash>.N` files, docs/adr/0014); OpenSSL reads
  /// it at handshake time, so CAs added later count without a restart.
  std::filesystem::path ca_path;
  /// Registered manufactured node certificates (same format as the revoked list): the
  /// plugin accepts a certificate not issued by the Stratus CA only when it is listed.
  std::filesystem::path registered_certificates_file;
  std::filesystem::path server_cert_file;
  std::filesystem::path server_key_file;
  std::size_t max_payload_bytes = 256 * 1024;
  /// Wirepas gateways and operators (docs/adr/0018): a third listener when
  /// `wirepas_port` is not 0, user name + password checked by the plugin against
  /// `wirepas_credentials_file` (broker/wirepas_credentials.hpp).
  std::uint16_t wirepas_port = 0;
  std::string wirepas_bind_address = "0.0.0.0";
  bool wirepas_tls = true;  ///< the server certificate, no client certificate asked
  std::filesystem::path wirepas_credentials_file;
  /// Several stratusd share this broker (docs/adr/0021): the plugin copies node traffic
  /// on `$` topics to `stratus-mirror/…` (`plugin_opt_cluster_mirror true`), or, for
  /// instances that partition node traffic, sends each node's messages to one of them
  /// in batches (docs/adr/0027).
  bool cluster_mirror = false;
  /// When set, the plugin hands node messages to stratusd over this Unix socket
  /// (`plugin_opt_ingest_socket`, docs/adr/0025) instead of leaving them to MQTT routing.
  std::filesystem::path ingest_socket;
};

/// The mosquitto.conf text: per-listener settings off, anonymous access off,
/// persistence off (stratusd holds the state of record), log to stderr (which
/// the supervisor sends to <data_dir>/broker/mosquitto.log), the plugin with its
/// options, the backend listener on 127.0.0.1 and the device listener with
/// `require_certificate true` and TLS 1.2 as the minimum; with `wirepas_port` set, the
/// Wirepas listener (TLS 1.2+ with the server certificate unless `wirepas_tls` is off)
/// and the plugin's credentials file. Pure.
std::string render_mosquitto_conf(const MosquittoSettings& settings);

/// The OpenSSL configuration the embedded mosquitto runs with (`OPENSSL_CONF` in its
/// environment, written next to mosquitto.conf): Debian's system default
/// (`CipherString = DEFAULT:@SECLEVEL=2`) plus no session tickets (`Options =
/// -SessionTicket`, `NumTickets = 0`). mosquitto 2.0 has no setting for tickets; OpenSSL
/// issues them by default (two per TLS 1.3 handshake), and with OpenSSL 3.0 issuing one
/// re-decodes the client's certificate: ~19 % of the broker's CPU in a connect storm
/// (bench/README.md, "connections"). Firmware (esp-mqtt) and libmosquitto never present
/// them again, so the broker made them for nothing. Pure; no placeholders.
std::string render_openssl_conf();

}  // namespace stratus::broker
