#pragma once
/// @file
/// Internals of the pki module: RAII owners for OpenSSL objects, the error-queue
/// adapter, PEM/BIO helpers and the bridge into the public classes' pimpls.
/// Nobody outside src/pki/ includes this.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace stratus::pki {
namespace detail {

/// Deleter for any OpenSSL object with a `T_free(T*)` function.
template <class T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509, X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OsslDeleter<X509_REQ, X509_REQ_free>>;
using X509ExtPtr =
    std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME, X509_NAME_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslDeleter<GENERAL_NAME, GENERAL_NAME_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OsslDeleter<ASN1_STRING, ASN1_STRING_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BIGNUM, BN_free>>;

/// BIO_free returns int, so it needs its own deleter.
struct BioDeleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

/// PEM inputs larger than this are rejected before OpenSSL sees them (and it keeps
/// the length within BIO_new_mem_buf's `int`).
inline constexpr std::size_t max_pem_bytes = 1024 * 1024;

/// Drains this thread's OpenSSL error queue into one line
/// ("error:...:reason; error:..."), or "no OpenSSL error detail" if it was empty.
std::string drain_errors();

/// `fail(code, what + ": " + drained OpenSSL errors)`.
tl::unexpected<Error> ossl_fail(errc code, std::string_view what);

/// A read-only memory BIO over `pem`. Fails with invalid_argument if `pem` is empty
/// or larger than `max_pem_bytes`; `what` names the input in the message.
Result<BioPtr> pem_source(std::string_view pem, std::string_view what);

/// Everything written to a memory BIO, as a string.
std::string bio_contents(BIO* bio);

/// A `pem_password_cb` that refuses: keeps OpenSSL from prompting on the terminal
/// when an encrypted key is given.
int no_password(char* buf, int size, int rwflag, void* u);

/// Which supported KeyType `key` is: EC on P-256, or RSA with 2048..4096 bits.
/// Anything else is invalid_argument naming what it was.
Result<KeyType> classify_key(const EVP_PKEY* key);

/// Checks a subject common name: 1..64 bytes (RFC 5280 ub-common-name), no control
/// characters. invalid_argument otherwise.
Result<void> check_common_name(std::string_view cn);

/// The subject CN of `name` as UTF-8; empty if there is none.
std::string common_name_of(const X509_NAME* name);

/// Bridge to the private pimpls of the public classes.
struct Access {
  static EVP_PKEY* pkey(const PrivateKey& key);
  static PrivateKey make_key(EvpPkeyPtr pkey, KeyType type);
  static X509* x509(const Certificate& cert);
  static Certificate make_certificate(X509Ptr x509);
  static X509_REQ* req(const CertificateSigningRequest& csr);
};

}  // namespace detail

// The pimpls, here so that every pki source sees the same complete types.

struct PrivateKey::Impl {
  detail::EvpPkeyPtr pkey;
  KeyType type;
};

struct Certificate::Impl {
  detail::X509Ptr x509;
};

struct CertificateSigningRequest::Impl {
  detail::X509ReqPtr req;
  KeyType key_type;
  std::string common_name;
};

namespace detail {

inline EVP_PKEY* Access::pkey(const PrivateKey& key) {
  return key.impl().pkey.get();
}
inline X509* Access::x509(const Certificate& cert) {
  return cert.impl().x509.get();
}
inline X509_REQ* Access::req(const CertificateSigningRequest& csr) {
  return csr.impl().req.get();
}

}  // namespace detail
}  // namespace stratus::pki
