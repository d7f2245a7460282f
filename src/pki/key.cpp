#include "pki/key.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "core/assert.hpp"
#include "pki/detail/openssl.hpp"

namespace stratus::pki {

std::string_view to_string(KeyType type) noexcept {
  switch (type) {
    case KeyType::ecdsa_p256:
      return "ecdsa_p256";
    case KeyType::rsa_2048:
      return "rsa_2048";
  }
  return "unknown";
}

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateKey::PrivateKey(PrivateKey&& other) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept = default;
PrivateKey::~PrivateKey() = default;

const PrivateKey::Impl& PrivateKey::impl() const {
  STRATUS_ASSERT(impl_ != nullptr, "use of a moved-from PrivateKey");
  return *impl_;
}

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  ERR_clear_error();
  const bool ec = type == KeyType::ecdsa_p256;
  detail::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, ec ? "EC" : "RSA", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return detail::ossl_fail(errc::internal, "key generation setup");
  }
  const int configured = ec ? EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256")
                            : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048);
  if (configured != 1)
    return detail::ossl_fail(errc::internal, "key generation parameters");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return detail::ossl_fail(errc::internal, "key generation");
  }
  return detail::Access::make_key(detail::EvpPkeyPtr(raw), type);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  ERR_clear_error();
  auto bio = detail::pem_source(pem, "private key PEM");
  if (!bio)
    return fail(std::move(bio).error());
  detail::EvpPkeyPtr pkey(
      PEM_read_bio_PrivateKey(bio->get(), nullptr, detail::no_password, nullptr));
  if (!pkey)
    return detail::ossl_fail(errc::invalid_argument, "cannot parse private key PEM");
  auto type = detail::classify_key(pkey.get());
  if (!type)
    return fail(std::move(type).error());
  return detail::Access::make_key(std::move(pkey), *type);
}

std::string PrivateKey::to_pem() const {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  const bool ok = bio && PEM_write_bio_PKCS8PrivateKey(bio.get(), impl().pkey.get(), nullptr,
                                                       nullptr, 0, nullptr, nullptr) == 1;
  STRATUS_ASSERT(ok, "writing a private key to a memory BIO cannot fail but for lack of memory");
  return detail::bio_contents(bio.get());
}

std::string PrivateKey::public_key_pem() const {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  const bool ok = bio && PEM_write_bio_PUBKEY(bio.get(), impl().pkey.get()) == 1;
  STRATUS_ASSERT(ok, "writing a public key to a memory BIO cannot fail but for lack of memory");
  return detail::bio_contents(bio.get());
}

KeyType PrivateKey::type() const {
  return impl().type;
}

}  // namespace stratus::pki
