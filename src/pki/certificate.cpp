#include "pki/certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstdio>
#include <ctime>

#include "core/assert.hpp"
#include "core/hex.hpp"
#include "pki/detail/names.hpp"
#include "pki/detail/openssl.hpp"

namespace stratus::pki {
namespace {

using detail::Access;

/// An ASN1_TIME as a time_point; the epoch if OpenSSL cannot read it (a malformed
/// time then looks long expired, the safe direction for not_after).
std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    ERR_clear_error();
    return {};
  }
  using namespace std::chrono;
  const sys_days date = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                        day{static_cast<unsigned>(tm.tm_mday)};
  return time_point_cast<system_clock::duration>(date + hours{tm.tm_hour} + minutes{tm.tm_min} +
                                                 seconds{tm.tm_sec});
}

/// The subjectAltName entries of type `type` (GEN_DNS, GEN_IPADD) as raw strings.
template <class Fn>
void for_each_san(const X509* x509, int type, Fn&& fn) {
  detail::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr)));
  ERR_clear_error();  // a missing extension is not an error worth keeping
  if (!names)
    return;
  const int count = sk_GENERAL_NAME_num(names.get());
  for (int i = 0; i < count; ++i) {
    int entry_type = -1;
    const void* value = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), i), &entry_type);
    if (entry_type != type || value == nullptr)
      continue;
    const auto* str = static_cast<const ASN1_STRING*>(value);
    const int len = ASN1_STRING_length(str);
    if (len < 0)
      continue;
    fn(ASN1_STRING_get0_data(str), static_cast<std::size_t>(len));
  }
}

}  // namespace

// ---- Certificate ----------------------------------------------------------------

Certificate::Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

const Certificate::Impl& Certificate::impl() const {
  STRATUS_ASSERT(impl_ != nullptr, "use of a moved-from Certificate");
  return *impl_;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  ERR_clear_error();
  auto bio = detail::pem_source(pem, "certificate PEM");
  if (!bio)
    return fail(std::move(bio).error());
  detail::X509Ptr x509(PEM_read_bio_X509(bio->get(), nullptr, detail::no_password, nullptr));
  if (!x509)
    return detail::ossl_fail(errc::invalid_argument, "cannot parse certificate PEM");
  return Access::make_certificate(std::move(x509));
}

std::string Certificate::to_pem() const {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  const bool ok = bio && PEM_write_bio_X509(bio.get(), impl().x509.get()) == 1;
  STRATUS_ASSERT(ok, "writing a certificate to a memory BIO cannot fail but for lack of memory");
  return detail::bio_contents(bio.get());
}

std::string Certificate::subject_cn() const {
  return detail::common_name_of(X509_get_subject_name(impl().x509.get()));
}

std::string Certificate::serial_hex() const {
  detail::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(impl().x509.get()), nullptr));
  if (!bn) {
    ERR_clear_error();
    return {};
  }
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::chrono::system_clock::time_point Certificate::not_before() const {
  return to_time_point(X509_get0_notBefore(impl().x509.get()));
}

std::chrono::system_clock::time_point Certificate::not_after() const {
  return to_time_point(X509_get0_notAfter(impl().x509.get()));
}

std::vector<std::string> Certificate::dns_names() const {
  std::vector<std::string> out;
  for_each_san(impl().x509.get(), GEN_DNS, [&](const unsigned char* data, std::size_t size) {
    out.emplace_back(reinterpret_cast<const char*>(data), size);
  });
  return out;
}

std::vector<std::string> Certificate::ip_addresses() const {
  std::vector<std::string> out;
  for_each_san(impl().x509.get(), GEN_IPADD, [&](const unsigned char* data, std::size_t size) {
    if (auto text = detail::format_ip(data, size))
      out.push_back(*std::move(text));
  });
  return out;
}

bool Certificate::has_client_auth_usage() const {
  const auto flags = X509_get_extension_flags(impl().x509.get());
  const auto usage = X509_get_extended_key_usage(impl().x509.get());
  ERR_clear_error();
  return (flags & EXFLAG_XKUSAGE) != 0 && (usage & XKU_SSL_CLIENT) != 0;
}

namespace {
std::string name_text(const X509_NAME* name) {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}
}  // namespace

std::string Certificate::issuer_text() const {
  return name_text(X509_get_issuer_name(impl().x509.get()));
}

std::string Certificate::subject_text() const {
  return name_text(X509_get_subject_name(impl().x509.get()));
}

bool Certificate::is_ca() const {
  // The flags come from basicConstraints; OpenSSL caches them thread-safely.
  const bool ca = (X509_get_extension_flags(impl().x509.get()) & EXFLAG_CA) != 0;
  ERR_clear_error();
  return ca;
}

bool Certificate::issued_by(const Certificate& issuer) const {
  X509* self = impl().x509.get();
  X509* other = issuer.impl().x509.get();
  const bool ok = X509_NAME_cmp(X509_get_issuer_name(self), X509_get_subject_name(other)) == 0 &&
                  X509_verify(self, X509_get0_pubkey(other)) == 1;
  ERR_clear_error();
  return ok;
}

bool Certificate::matches_key(const PrivateKey& key) const {
  const EVP_PKEY* public_key = X509_get0_pubkey(impl().x509.get());
  const bool ok = public_key != nullptr && EVP_PKEY_eq(public_key, Access::pkey(key)) == 1;
  ERR_clear_error();
  return ok;
}

std::string Certificate::subject_hash_hex() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08lx", X509_subject_name_hash(impl().x509.get()));
  return buf;
}

std::string Certificate::sha256_fingerprint_hex() const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  const bool ok = X509_digest(impl().x509.get(), EVP_sha256(), md.data(), &len) == 1;
  STRATUS_ASSERT(ok, "SHA-256 over a parsed certificate cannot fail but for lack of memory");
  return to_hex(std::span<const std::uint8_t>(md.data(), len));
}

// ---- CertificateSigningRequest --------------------------------------------------

CertificateSigningRequest::CertificateSigningRequest(std::shared_ptr<const Impl> impl)
    : impl_(std::move(impl)) {}

const CertificateSigningRequest::Impl& CertificateSigningRequest::impl() const {
  STRATUS_ASSERT(impl_ != nullptr, "use of a moved-from CertificateSigningRequest");
  return *impl_;
}

Result<CertificateSigningRequest> CertificateSigningRequest::from_pem(std::string_view pem) {
  ERR_clear_error();
  auto bio = detail::pem_source(pem, "CSR PEM");
  if (!bio)
    return fail(std::move(bio).error());
  detail::X509ReqPtr req(PEM_read_bio_X509_REQ(bio->get(), nullptr, detail::no_password, nullptr));
  if (!req)
    return detail::ossl_fail(errc::invalid_argument, "cannot parse CSR PEM");

  EVP_PKEY* public_key = X509_REQ_get0_pubkey(req.get());
  if (public_key == nullptr)
    return detail::ossl_fail(errc::invalid_argument, "CSR public key");
  auto key_type = detail::classify_key(public_key);
  if (!key_type)
    return fail(errc::invalid_argument, "CSR key: " + key_type.error().context);

  if (X509_REQ_verify(req.get(), public_key) != 1) {
    return detail::ossl_fail(errc::invalid_argument, "CSR signature does not verify");
  }

  std::string cn = detail::common_name_of(X509_REQ_get_subject_name(req.get()));
  if (auto ok = detail::check_common_name(cn); !ok) {
    return fail(errc::invalid_argument, "CSR subject: " + ok.error().context);
  }
  return CertificateSigningRequest(
      std::make_shared<const Impl>(Impl{std::move(req), *key_type, std::move(cn)}));
}

std::string CertificateSigningRequest::subject_cn() const {
  return impl().common_name;
}

KeyType CertificateSigningRequest::key_type() const {
  return impl().key_type;
}

Result<std::string> CertificateSigningRequest::make_csr_pem(const PrivateKey& key,
                                                            std::string_view common_name) {
  if (auto ok = detail::check_common_name(common_name); !ok)
    return fail(std::move(ok).error());
  ERR_clear_error();
  detail::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) {
    return detail::ossl_fail(errc::internal, "CSR allocation");
  }
  if (X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req.get()), NID_commonName,
                                 MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return detail::ossl_fail(errc::invalid_argument, "CSR common name (not valid UTF-8?)");
  }
  EVP_PKEY* pkey = Access::pkey(key);
  if (X509_REQ_set_pubkey(req.get(), pkey) != 1 ||
      X509_REQ_sign(req.get(), pkey, EVP_sha256()) <= 0) {
    return detail::ossl_fail(errc::internal, "CSR signing");
  }
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return detail::ossl_fail(errc::internal, "CSR PEM encoding");
  }
  return detail::bio_contents(bio.get());
}

}  // namespace stratus::pki
