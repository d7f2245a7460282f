#pragma once
/// @file
/// Private keys: generation, PEM import and export. OpenSSL stays behind a pimpl.

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::pki {

namespace detail {
struct Access;
}  // namespace detail

/// The key algorithms Stratus accepts, for its own keys and in node CSRs.
enum class KeyType {
  /// ECDSA on NIST P-256 (prime256v1); what Stratus generates by default.
  ecdsa_p256,
  /// RSA. Generated with 2048 bits; imported keys and CSRs may have 2048..4096 bits.
  rsa_2048,
};

/// Stable lower-case name of a key type ("ecdsa_p256", "rsa_2048"). Thread-safe.
[[nodiscard]] std::string_view to_string(KeyType type) noexcept;

/// An asymmetric private key of a supported `KeyType`. Move-only; a moved-from key
/// may only be assigned to or destroyed. Const methods are safe to call concurrently
/// on one key.
class PrivateKey {
 public:
  /// A fresh key from the OpenSSL CSPRNG. Errors: internal (with the OpenSSL error
  /// text) if OpenSSL cannot generate one.
  [[nodiscard]] static Result<PrivateKey> generate(KeyType type);

  /// Parses an unencrypted PEM private key: PKCS#8 ("PRIVATE KEY") or the
  /// traditional "EC PRIVATE KEY" / "RSA PRIVATE KEY" forms. Errors:
  /// invalid_argument for malformed or encrypted input, input over 1 MiB, or a key
  /// that is not EC P-256 or RSA 2048..4096 bits; the context carries OpenSSL's text.
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem);

  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();

  /// The key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). A secret:
  /// write it only to files with mode 0600, never log it.
  [[nodiscard]] std::string to_pem() const;

  /// The public half as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  [[nodiscard]] std::string public_key_pem() const;

  /// The algorithm of this key.
  [[nodiscard]] KeyType type() const;

 private:
  struct Impl;
  explicit PrivateKey(std::unique_ptr<Impl> impl);
  [[nodiscard]] const Impl& impl() const;

  std::unique_ptr<Impl> impl_;
  friend struct detail::Access;
};

}  // namespace stratus::pki
