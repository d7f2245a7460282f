#pragma once
/// @file
/// A manufacturing batch (spec rainmaker.md §7; Espressif's `esp-rainmaker-admin-cli`
/// `certs devicecert generate`): per node a private key, a certificate signed by the
/// manufacturing CA, 64 random bytes (the proof of possession seed), a QR payload and an
/// NVS image of the factory partition, laid out on disk as the admin CLI does:
///
///     <outdir>/<YYYY-MM-DD>/Mfg-<nnnnnn>/
///       .gitignore                      "*": the batch holds private keys
///       bin/node-<idx>-<id>.bin         NVS image (0x3000 bytes by default)
///       csv/                            (empty; the admin CLI's place for extra CSVs)
///       node_details/node-<idx>-<id>/   node.crt, node.key, qrcode.txt, random.txt,
///                                       node_info.csv (the rows the NVS image holds)
///       common/                         ca.crt, ca.key, endpoint.txt, node_ids.csv,
///                                       node_certs.csv, config.csv, values.csv
///
/// `<idx>` is the node's 1-based index, zero-padded to 6 digits. The admin CLI also draws
/// QR codes as PNG files under `qrcode/`; this generator does not (the payload is in
/// `qrcode.txt` and `node_certs.csv`). Keys are PKCS#8 PEM (the admin CLI writes the
/// traditional "EC/RSA PRIVATE KEY" form; the firmware's mbedTLS reads both).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "pki/authority.hpp"
#include "pki/key.hpp"

namespace stratus::mfg {

/// NVS partition size the admin CLI uses for its images (`config/binary_config.ini`).
inline constexpr std::size_t kDefaultNvsPartitionBytes = 0x3000;
/// Certificate validity: from one day before generation, for 100 years (as the admin CLI).
inline constexpr int kCertificateValidityYears = 100;
/// Random bytes per node (`random.txt`, NVS `random`): 64, hex-encoded in files.
inline constexpr std::size_t kRandomBytes = 64;

/// How the node is provisioned; goes into the QR payload's `transport`.
enum class ProvTransport { ble, softap };

/// What a batch is made of.
struct BatchOptions {
  /// Base directory; the batch goes to a new `<outdir>/<date>/Mfg-<n>` below it.
  std::filesystem::path outdir = ".";
  /// Node ids, in order (see `check_node_ids`); 1..`kMaxBatchNodes` of them.
  std::vector<std::string> node_ids;
  pki::KeyType key_type = pki::KeyType::ecdsa_p256;
  ProvTransport transport = ProvTransport::ble;
  /// QR payload name prefix: the device advertises `<prefix>_<last 6 hex of random>`.
  std::string prov_prefix = "PROV";
  /// The broker's host name the nodes connect to (NVS `mqtt_host`, `endpoint.txt`).
  std::string mqtt_host;
  /// NVS `mqtt_cred_host`; empty when the deployment has none (an empty blob, as the
  /// admin CLI writes it).
  std::string mqtt_cred_host;
  /// Size of each NVS image, a multiple of 4096, at least 0x3000.
  std::size_t nvs_partition_bytes = kDefaultNvsPartitionBytes;
  /// Worker threads; 0 means one per hardware thread.
  std::size_t threads = 0;
  /// Called as nodes are written, from one thread at a time: (nodes done, total).
  std::function<void(std::size_t, std::size_t)> on_progress;
};

/// What a finished batch produced.
struct BatchSummary {
  std::filesystem::path directory;  ///< `<outdir>/<date>/Mfg-<n>`
  std::size_t nodes = 0;
  std::chrono::duration<double> elapsed{0};  ///< wall time of key/certificate/file work
};

/// The QR payload the admin CLI prints for a node, Python `json.dumps` spacing:
/// `{"ver": "v1", "name": "<prefix>_<last 6 of random_hex>", "pop": "<first 8 of
/// random_hex>", "transport": "ble|softap"}`. `random_hex` has at least 8 characters.
[[nodiscard]] std::string qr_payload(std::string_view random_hex, ProvTransport transport,
                                     std::string_view prov_prefix);

/// The factory NVS image for one node (what `nvs_partition_gen.py` writes for the
/// admin CLI's `config.csv` and that node's `values.csv` row): namespace `rmaker_creds`;
/// blobs `node_id`, `mqtt_host`, `mqtt_cred_host`, `client_cert`, `client_key`; `random`
/// from hex. Errors: `invalid_argument` (bad hex, bad size), `resource_exhausted` (the
/// credentials do not fit in `partition_bytes`). Thread-safe.
Result<std::string> rmaker_creds_image(std::string_view node_id, std::string_view mqtt_host,
                                       std::string_view mqtt_cred_host,
                                       std::string_view certificate_pem, std::string_view key_pem,
                                       std::string_view random_hex, std::size_t partition_bytes);

/// Generates a batch: checks the options (ids, host, prefix, size) before touching the
/// disk, creates the batch directory, writes the CA (`common/ca.crt`, `common/ca.key`) and
/// the common files, then the nodes on `threads` workers in chunks, streaming each node's
/// files as it is made and appending `node_certs.csv`/`values.csv` rows in node order
/// (only the out-of-order chunks wait in memory). Certificates: CN = node id, issuer = the
/// CA's subject, CA:FALSE, clientAuth, random serial, SHA-256, valid from one day before
/// `clock.now()` for 100 years. The date directory uses local time, as the admin CLI.
/// Private keys are written with mode 0600.
/// Errors: `invalid_argument` for bad options (nothing is written); `internal` or
/// `unavailable` for a key, certificate or file failure (the batch directory is removed).
Result<BatchSummary> generate_batch(const pki::CertificateAuthority& ca,
                                    const BatchOptions& options, const Clock& clock);

}  // namespace stratus::mfg
