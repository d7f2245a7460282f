#pragma once
/// @file
/// Client TLS contexts built once per connection and reused by every attempt. Internal to
/// src/mqtt (the connection pool).
///
/// libmosquitto 2.0 builds a fresh `SSL_CTX` for each connection attempt and reads the CA,
/// certificate and key files into it again. With OpenSSL 3.0 that is ~1.7 ms of CPU per
/// connect before the handshake starts (`SSL_CTX_new` 0.2 ms, the CA 0.3 ms, the
/// certificate 0.3 ms, the key 0.9 ms: the PEM decoder set up anew for each file). A swarm
/// of thousands of nodes spent most of its CPU there (bench/README.md, "connections").
/// Here a connection's context is built once (`make`), the key is decoded by one reused
/// decoder, and connections trusting the same CA certificates share one `X509_STORE`.

#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"

struct ssl_ctx_st;           // OpenSSL's SSL_CTX
struct x509_store_st;        // OpenSSL's X509_STORE
struct ossl_decoder_ctx_st;  // OpenSSL's OSSL_DECODER_CTX
struct evp_pkey_st;          // OpenSSL's EVP_PKEY

namespace stratus::mqtt {
struct TlsOptions;
}

namespace stratus::mqtt::detail {

/// Frees an `SSL_CTX` (`SSL_CTX_free`, reference counted).
struct SslCtxFree {
  void operator()(ssl_ctx_st* ctx) const noexcept;
};
/// One reference to an `SSL_CTX`.
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

/// Builds client `SSL_CTX`s the way libmosquitto's defaults would (TLS 1.2 or later, peer
/// verification, the broker's name or IP address checked against the certificate's
/// subjectAltName unless `skip_hostname_check`, `SSL_MODE_RELEASE_BUFFERS`, no compression)
/// from files read once. Not thread-safe: one owner (the pool's thread).
class TlsContexts {
 public:
  TlsContexts();
  ~TlsContexts();
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  /// A context for connections to `host` with `tls`: `ca_file` (PEM, one or more
  /// certificates; empty = the system's /etc/ssl/certs), `cert_file` (PEM chain, leaf first)
  /// and `key_file` (PEM private key, unencrypted), both or neither.
  /// Errors: invalid_argument "mqtt: TLS <file>: <why>" for an unreadable or malformed file
  /// or a key that does not match the certificate; internal when OpenSSL fails otherwise.
  Result<SslCtxPtr> make(const TlsOptions& tls, const std::string& host);

  /// Distinct CA files (by content) seen so far; for tests.
  [[nodiscard]] std::size_t trust_stores() const { return stores_.size(); }

 private:
  Result<x509_store_st*> store_for(const std::string& ca_file);
  Result<evp_pkey_st*> decode_key(const std::string& key_file);

  std::map<std::string, x509_store_st*, std::less<>> stores_;  // CA file content → store
  ossl_decoder_ctx_st* decoder_ = nullptr;                     // PEM private keys, reused
  evp_pkey_st* decoded_ = nullptr;                             // where `decoder_` writes
};

}  // namespace stratus::mqtt::detail
