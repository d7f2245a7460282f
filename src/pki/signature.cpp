#include "pki/signature.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>

#include "pki/detail/openssl.hpp"

namespace stratus::pki {
namespace {

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, detail::OsslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Sets PSS padding, MGF1 = the digest (SHA-256) and salt = digest length on
// `pctx` when `type` is RSA; nothing for ECDSA.
bool configure_padding(EVP_PKEY_CTX* pctx, KeyType type) {
  if (type != KeyType::rsa_2048)
    return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

}  // namespace

Result<std::string> sign_message(const PrivateKey& key, std::string_view data) {
  ERR_clear_error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, detail::Access::pkey(key),
                            nullptr) != 1 ||
      !configure_padding(pctx, key.type())) {
    return detail::ossl_fail(errc::internal, "signature setup");
  }
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, bytes(data), data.size()) != 1)
    return detail::ossl_fail(errc::internal, "signature size");
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     bytes(data), data.size()) != 1) {
    return detail::ossl_fail(errc::internal, "signing");
  }
  signature.resize(size);  // DER ECDSA signatures vary in length
  return signature;
}

Result<void> verify_signature(const Certificate& certificate, std::string_view data,
                              std::string_view signature) {
  ERR_clear_error();
  EVP_PKEY* public_key = X509_get0_pubkey(detail::Access::x509(certificate));
  if (public_key == nullptr)
    return detail::ossl_fail(errc::invalid_argument, "certificate without a usable public key");
  auto type = detail::classify_key(public_key);
  if (!type)
    return fail(std::move(type).error());
  if (signature.empty())
    return fail(errc::invalid_argument, "empty signature");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, public_key, nullptr) !=
          1 ||
      !configure_padding(pctx, *type)) {
    return detail::ossl_fail(errc::internal, "signature check setup");
  }
  // 1: valid; 0: does not verify; < 0: malformed (e.g. not DER). Both of the
  // latter are the caller's bad signature, not our failure.
  const int verified =
      EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data), data.size());
  if (verified != 1) {
    const std::string why = detail::drain_errors();
    return fail(errc::invalid_argument,
                "signature does not verify with the certificate's key (" + why + ")");
  }
  return {};
}

}  // namespace stratus::pki
