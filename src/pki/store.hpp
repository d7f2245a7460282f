#pragma once
/// @file
/// The PKI in stratusd's data directory: created once on first start, then only
/// ever loaded and checked; the server certificate (never the CA) is re-issued when
/// it nears expiry or lacks a configured name.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"

namespace stratus::pki {

/// What the PKI section of the config decides.
struct PkiOptions {
  /// Extra subjectAltNames for the server certificate, each an IPv4/IPv6 address or
  /// a DNS name; "localhost", "127.0.0.1", "::1" and the machine's hostname are
  /// always included.
  std::vector<std::string> server_names;
  /// Lifetime of a newly created CA.
  std::chrono::days ca_lifetime{3650};
  /// Lifetime of each (re-)issued server certificate.
  std::chrono::days server_cert_lifetime{825};
};

/// Where the PKI files live inside its directory.
struct PkiFiles {
  std::filesystem::path dir;             ///< the PKI directory itself (mode 0700 when we create it)
  std::filesystem::path ca_cert;         ///< ca.crt: CA certificate, PEM, 0644
  std::filesystem::path ca_key;          ///< ca.key: CA private key, PKCS#8 PEM, 0600
  std::filesystem::path server_cert;     ///< server.crt: server certificate, PEM, 0644
  std::filesystem::path server_key;      ///< server.key: server private key, PKCS#8 PEM, 0600
  std::filesystem::path backend_secret;  ///< backend.secret: shared secret, hex + '\n', 0600

  /// The file paths for PKI directory `dir` (no I/O). Thread-safe.
  [[nodiscard]] static PkiFiles in(const std::filesystem::path& dir);
};

/// The loaded (or just created) PKI.
struct PkiMaterial {
  /// The CA (ca.crt + ca.key); issues node certificates.
  CertificateAuthority ca;
  /// The server certificate as now on disk (after any re-issue); pairs with server.key.
  Certificate server_certificate;
  /// Where the files are.
  PkiFiles files;
  /// Contents of backend.secret without surrounding whitespace (64 hex chars when we
  /// generated it). A secret: never log it.
  std::string backend_secret;
  /// True if this call created the directory and everything in it.
  bool created = false;
  /// True if this call replaced server.crt (near expiry, or a required name missing).
  bool server_certificate_reissued = false;
};

/// Makes sure the PKI in `dir` exists and is sound, and returns it.
///
/// - `dir` absent or an empty directory: creates a CA (P-256, CN "Stratus CA
///   <hostname>", `options.ca_lifetime`), a P-256 server key and a server certificate
///   (CN <hostname>; SANs "localhost", "127.0.0.1", "::1", the hostname and
///   `options.server_names`, deduplicated) and backend.secret (32 random bytes as
///   hex). Everything is written and fsynced in a sibling `<dir>.tmp-<random>` first
///   and then renamed onto `dir`, so a crash never leaves a half-filled `dir`
///   (at worst a stale `<dir>.tmp-*`, which is never reused). Missing parent
///   directories are created.
/// - all five files present: loads them and checks that each parses, that ca.crt is
///   a CA, that ca.key and server.key match their certificates, that server.crt was
///   issued by ca.crt, that backend.secret has at least 32 characters and that
///   ca.key, server.key and backend.secret have no group/other permission bits.
///   Then, if server.crt expires within 30 days of `clock.now()` or lacks one of the
///   names above, issues a new one with the same key and CA and replaces server.crt
///   atomically (temp file + rename).
///
/// Errors (nothing is created, changed or regenerated in any of these cases):
/// invalid_argument if `dir` is not a directory, is non-empty but holds none of the
/// PKI files, holds only some of them (the missing ones are listed), or any check
/// above fails (the message names each file and what is wrong); invalid_argument for
/// a bad `options.server_names` entry or a non-positive lifetime; internal for
/// file-system or OpenSSL failures (with the system's / OpenSSL's text).
///
/// Not safe to call concurrently for the same `dir` (from threads or processes).
[[nodiscard]] Result<PkiMaterial> ensure_pki(const std::filesystem::path& dir,
                                             const PkiOptions& options, const Clock& clock);

}  // namespace stratus::pki
