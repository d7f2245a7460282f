#include "pki/authority.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>

#include "core/random.hpp"
#include "pki/detail/names.hpp"
#include "pki/detail/openssl.hpp"

namespace stratus::pki {
namespace {

using detail::Access;

/// The certificate being signed by `issuer_key`, with `issuer` as issuer, or
/// self-signed when `issuer` is null.
struct Signer {
  const X509* issuer = nullptr;
  EVP_PKEY* issuer_key = nullptr;
};

/// What differs between the kinds of certificate we issue.
struct Profile {
  std::string_view common_name;
  EVP_PKEY* public_key = nullptr;
  std::chrono::days lifetime{0};
  /// (NID, OpenSSL config value) pairs, added in order.
  std::vector<std::pair<int, const char*>> extensions;
  /// subjectAltName; null for none.
  const GENERAL_NAMES* alt_names = nullptr;
  /// cRLDistributionPoints; null for none.
  const CRL_DIST_POINTS* crl_distribution_points = nullptr;
};

using CrlDistPointsPtr =
    std::unique_ptr<CRL_DIST_POINTS, detail::OsslDeleter<CRL_DIST_POINTS, CRL_DIST_POINTS_free>>;
using DistPointPtr = std::unique_ptr<DIST_POINT, detail::OsslDeleter<DIST_POINT, DIST_POINT_free>>;
using DistPointNamePtr =
    std::unique_ptr<DIST_POINT_NAME, detail::OsslDeleter<DIST_POINT_NAME, DIST_POINT_NAME_free>>;
using IssuingDistPointPtr =
    std::unique_ptr<ISSUING_DIST_POINT,
                    detail::OsslDeleter<ISSUING_DIST_POINT, ISSUING_DIST_POINT_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, detail::OsslDeleter<X509_CRL, X509_CRL_free>>;
using X509RevokedPtr =
    std::unique_ptr<X509_REVOKED, detail::OsslDeleter<X509_REVOKED, X509_REVOKED_free>>;
using Asn1IntegerPtr =
    std::unique_ptr<ASN1_INTEGER, detail::OsslDeleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, detail::OsslDeleter<ASN1_TIME, ASN1_TIME_free>>;

/// Explicit validity (notBefore, notAfter); when set, the profile's lifetime and the
/// clock are not used.
using Validity = std::optional<
    std::pair<std::chrono::system_clock::time_point, std::chrono::system_clock::time_point>>;

/// keyUsage for an end-entity key: keyEncipherment only means something for RSA.
const char* leaf_key_usage(KeyType type) {
  return type == KeyType::rsa_2048 ? "critical,digitalSignature,keyEncipherment"
                                   : "critical,digitalSignature";
}

/// Sets a random 16-byte positive serial (RFC 5280 §4.1.2.2: at most 20 octets,
/// positive; CA/B Forum: at least 64 bits of randomness).
Result<void> set_random_serial(X509* x509) {
  std::array<std::byte, 16> bytes{};
  random_bytes(bytes);
  bytes[0] &= std::byte{0x7f};  // positive
  if (bytes[0] == std::byte{0})
    bytes[0] = std::byte{1};  // and exactly 16 bytes long
  detail::BignumPtr bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x509)) == nullptr) {
    return detail::ossl_fail(errc::internal, "certificate serial");
  }
  return {};
}

Result<detail::X509NamePtr> make_name(std::string_view common_name) {
  if (auto ok = detail::check_common_name(common_name); !ok)
    return fail(std::move(ok).error());
  detail::X509NamePtr name(X509_NAME_new());
  if (!name ||
      X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return detail::ossl_fail(errc::invalid_argument, "common name (not valid UTF-8?)");
  }
  return name;
}

Result<Certificate> sign_certificate(const Profile& profile, const Signer& signer,
                                     const Clock& clock, const Validity& validity = std::nullopt) {
  if (!validity && profile.lifetime.count() <= 0) {
    return fail(errc::invalid_argument, "certificate lifetime must be at least one day");
  }
  ERR_clear_error();
  auto subject = make_name(profile.common_name);
  if (!subject)
    return fail(std::move(subject).error());

  detail::X509Ptr x509(X509_new());
  if (!x509 || X509_set_version(x509.get(), X509_VERSION_3) != 1) {
    return detail::ossl_fail(errc::internal, "certificate allocation");
  }
  if (auto ok = set_random_serial(x509.get()); !ok)
    return fail(std::move(ok).error());

  const X509_NAME* issuer_name =
      signer.issuer != nullptr ? X509_get_subject_name(signer.issuer) : subject->get();
  const auto now = validity ? std::chrono::system_clock::time_point{} : clock.now();
  const auto not_before = std::chrono::system_clock::to_time_t(
      validity ? validity->first : now - std::chrono::hours(1));
  const auto not_after =
      std::chrono::system_clock::to_time_t(validity ? validity->second : now + profile.lifetime);
  if (X509_set_subject_name(x509.get(), subject->get()) != 1 ||
      X509_set_issuer_name(x509.get(), issuer_name) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x509.get()), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x509.get()), not_after) == nullptr ||
      X509_set_pubkey(x509.get(), profile.public_key) != 1) {
    return detail::ossl_fail(errc::internal, "certificate fields");
  }

  // The issuer certificate is only read (authorityKeyIdentifier); X509V3_set_ctx
  // is not const-correct.
  X509V3_CTX ctx{};
  X509* issuer = signer.issuer != nullptr ? const_cast<X509*>(signer.issuer) : x509.get();
  X509V3_set_ctx(&ctx, issuer, x509.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : profile.extensions) {
    detail::X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(x509.get(), ext.get(), -1) != 1) {
      return detail::ossl_fail(errc::internal,
                               std::string("certificate extension ") + OBJ_nid2sn(nid));
    }
  }
  if (profile.alt_names != nullptr &&
      X509_add1_ext_i2d(x509.get(), NID_subject_alt_name,
                        const_cast<GENERAL_NAMES*>(profile.alt_names), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return detail::ossl_fail(errc::internal, "certificate subjectAltName");
  }
  if (profile.crl_distribution_points != nullptr &&
      X509_add1_ext_i2d(x509.get(), NID_crl_distribution_points,
                        const_cast<CRL_DIST_POINTS*>(profile.crl_distribution_points), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return detail::ossl_fail(errc::internal, "certificate cRLDistributionPoints");
  }

  if (X509_sign(x509.get(), signer.issuer_key, EVP_sha256()) <= 0) {
    return detail::ossl_fail(errc::internal, "certificate signing");
  }
  return Access::make_certificate(std::move(x509));
}

/// One GENERAL_NAME holding a copy of `data` as an ASN1 string of `kind`.
Result<detail::GeneralNamePtr> make_general_name(int kind, const unsigned char* data,
                                                 std::size_t size) {
  detail::Asn1StringPtr value(kind == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new());
  detail::GeneralNamePtr name(GENERAL_NAME_new());
  if (!value || !name || ASN1_STRING_set(value.get(), data, static_cast<int>(size)) != 1) {
    return detail::ossl_fail(errc::internal, "subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name.get(), kind, value.release());
  return name;
}

/// subjectAltName from `names`: IPs (by inet_pton) as iPAddress, the rest as
/// dNSName; duplicates (IPs by value, DNS names case-insensitively) dropped.
Result<detail::GeneralNamesPtr> make_alt_names(const std::vector<std::string>& names) {
  detail::GeneralNamesPtr out(GENERAL_NAMES_new());
  if (!out)
    return detail::ossl_fail(errc::internal, "subjectAltName allocation");
  std::vector<std::string> seen;
  for (const std::string& entry : names) {
    std::string key = detail::comparable_name(entry);
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      continue;
    seen.push_back(std::move(key));

    const auto ip = detail::parse_ip(entry);
    if (!ip && !detail::is_dns_name(entry)) {
      return fail(
          errc::invalid_argument,
          "server name '" + entry +
              "' is neither an IP address nor a DNS name (letters, digits, '-', '_', '.', '*')");
    }
    auto name =
        ip ? make_general_name(GEN_IPADD, ip->data(), ip->size())
           : make_general_name(GEN_DNS, reinterpret_cast<const unsigned char*>(entry.data()),
                               entry.size());
    if (!name)
      return fail(std::move(name).error());
    if (sk_GENERAL_NAME_push(out.get(), name->get()) <= 0) {
      return detail::ossl_fail(errc::internal, "subjectAltName entry");
    }
    (void)name->release();  // now owned by `out`
  }
  return out;
}

/// A distribution point name whose fullName is the one URI `uri` (RFC 5280 §4.2.1.13).
Result<DistPointNamePtr> uri_point_name(std::string_view uri) {
  auto name =
      make_general_name(GEN_URI, reinterpret_cast<const unsigned char*>(uri.data()), uri.size());
  if (!name)
    return fail(std::move(name).error());
  detail::GeneralNamesPtr names(GENERAL_NAMES_new());
  DistPointNamePtr point(DIST_POINT_NAME_new());
  if (!names || !point || sk_GENERAL_NAME_push(names.get(), name->get()) <= 0)
    return detail::ossl_fail(errc::internal, "distribution point");
  (void)name->release();  // now owned by `names`
  point->type = 0;        // fullName
  point->name.fullname = names.release();
  return point;
}

/// cRLDistributionPoints naming `uri`; null when `uri` is empty.
Result<CrlDistPointsPtr> distribution_points(std::string_view uri) {
  if (uri.empty())
    return CrlDistPointsPtr{};
  auto name = uri_point_name(uri);
  if (!name)
    return fail(std::move(name).error());
  CrlDistPointsPtr points(sk_DIST_POINT_new_null());
  DistPointPtr point(DIST_POINT_new());
  if (!points || !point)
    return detail::ossl_fail(errc::internal, "cRLDistributionPoints");
  point->distpoint = name->release();
  if (sk_DIST_POINT_push(points.get(), point.get()) <= 0)
    return detail::ossl_fail(errc::internal, "cRLDistributionPoints");
  (void)point.release();  // now owned by `points`
  return points;
}

/// A revoked entry for `serial_hex` at `at`.
Result<X509RevokedPtr> revoked_entry(const RevokedSerial& entry) {
  const auto& hex = entry.serial_hex;
  if (!is_serial_hex(hex))
    return fail(errc::invalid_argument, "serial \"" + hex + "\" is not 1 to 40 hex digits");
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0)
    return detail::ossl_fail(errc::internal, "CRL entry serial");
  detail::BignumPtr bn(raw);
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  Asn1TimePtr date(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(entry.revoked_at)));
  X509RevokedPtr revoked(X509_REVOKED_new());
  if (!serial || !date || !revoked ||
      X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), date.get()) != 1) {
    return detail::ossl_fail(errc::internal, "CRL entry");
  }
  return revoked;
}

}  // namespace

bool is_serial_hex(std::string_view serial_hex) {
  return !serial_hex.empty() && serial_hex.size() <= 40 &&
         serial_hex.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

Result<CertificateAuthority> CertificateAuthority::create(std::string_view common_name,
                                                          std::chrono::days lifetime,
                                                          const Clock& clock) {
  if (auto ok = detail::check_common_name(common_name); !ok) {
    return fail(errc::invalid_argument, "CA " + ok.error().context);
  }
  auto key = PrivateKey::generate(KeyType::ecdsa_p256);
  if (!key)
    return fail(std::move(key).error());
  const Profile profile{
      .common_name = common_name,
      .public_key = Access::pkey(*key),
      .lifetime = lifetime,
      .extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                     {NID_key_usage, "critical,keyCertSign,cRLSign"},
                     {NID_subject_key_identifier, "hash"}},
  };
  auto certificate = sign_certificate(profile, Signer{nullptr, Access::pkey(*key)}, clock);
  if (!certificate)
    return fail(std::move(certificate).error());
  return CertificateAuthority(*std::move(certificate), *std::move(key));
}

Result<CertificateAuthority> CertificateAuthority::load(std::string_view cert_pem,
                                                        std::string_view key_pem) {
  auto certificate = Certificate::from_pem(cert_pem);
  if (!certificate)
    return fail(errc::invalid_argument, "CA certificate: " + certificate.error().context);
  auto key = PrivateKey::from_pem(key_pem);
  if (!key)
    return fail(errc::invalid_argument, "CA key: " + key.error().context);
  return from_parts(*std::move(certificate), *std::move(key));
}

Result<CertificateAuthority> CertificateAuthority::from_parts(Certificate certificate,
                                                              PrivateKey key) {
  if (!certificate.is_ca()) {
    return fail(errc::invalid_argument, "certificate CN='" + certificate.subject_cn() +
                                            "' is not a CA (basicConstraints CA:TRUE missing)");
  }
  if (!certificate.matches_key(key)) {
    return fail(errc::invalid_argument,
                "CA key does not belong to CA certificate CN='" + certificate.subject_cn() + "'");
  }
  return CertificateAuthority(std::move(certificate), std::move(key));
}

Result<Certificate> CertificateAuthority::issue_server_certificate(
    const PrivateKey& subject_key, std::string_view common_name,
    const std::vector<std::string>& names, std::chrono::days lifetime, const Clock& clock) const {
  ERR_clear_error();
  auto alt_names = make_alt_names(names);
  if (!alt_names)
    return fail(std::move(alt_names).error());
  const Profile profile{
      .common_name = common_name,
      .public_key = Access::pkey(subject_key),
      .lifetime = lifetime,
      .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, leaf_key_usage(subject_key.type())},
                     {NID_ext_key_usage, "serverAuth,clientAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}},
      .alt_names = names.empty() ? nullptr : alt_names->get(),
  };
  return sign_certificate(profile, Signer{Access::x509(certificate_), Access::pkey(key_)}, clock);
}

Result<Certificate> CertificateAuthority::issue_client_certificate(
    const CertificateSigningRequest& csr, std::chrono::days lifetime, const Clock& clock,
    std::string_view crl_distribution_point) const {
  ERR_clear_error();
  const std::string common_name = csr.subject_cn();
  auto points = distribution_points(crl_distribution_point);
  if (!points)
    return fail(std::move(points).error());
  const Profile profile{
      .common_name = common_name,
      .public_key = X509_REQ_get0_pubkey(Access::req(csr)),
      .lifetime = lifetime,
      .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, leaf_key_usage(csr.key_type())},
                     {NID_ext_key_usage, "clientAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}},
      .crl_distribution_points = points->get(),
  };
  return sign_certificate(profile, Signer{Access::x509(certificate_), Access::pkey(key_)}, clock);
}

Result<std::string> CertificateAuthority::issue_crl(
    std::span<const RevokedSerial> revoked, std::string_view distribution_point,
    std::chrono::system_clock::time_point this_update,
    std::chrono::system_clock::time_point next_update, std::uint64_t number) const {
  using std::chrono::system_clock;
  if (next_update <= this_update)
    return fail(errc::invalid_argument, "CRL nextUpdate must be after thisUpdate");
  ERR_clear_error();
  X509CrlPtr crl(X509_CRL_new());
  Asn1TimePtr last(ASN1_TIME_set(nullptr, system_clock::to_time_t(this_update)));
  Asn1TimePtr next(ASN1_TIME_set(nullptr, system_clock::to_time_t(next_update)));
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(Access::x509(certificate_))) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return detail::ossl_fail(errc::internal, "CRL fields");
  }
  for (const auto& entry : revoked) {
    auto r = revoked_entry(entry);
    if (!r)
      return fail(std::move(r).error());
    if (X509_CRL_add0_revoked(crl.get(), r->get()) != 1)
      return detail::ossl_fail(errc::internal, "CRL entry");
    (void)r->release();  // now owned by `crl`
  }
  if (X509_CRL_sort(crl.get()) != 1)
    return detail::ossl_fail(errc::internal, "CRL entries");

  X509V3_CTX ctx{};  // the CA certificate is only read (authorityKeyIdentifier)
  X509V3_set_ctx(&ctx, Access::x509(certificate_), nullptr, nullptr, crl.get(), 0);
  detail::X509ExtPtr authority_key(
      X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!authority_key || X509_CRL_add_ext(crl.get(), authority_key.get(), -1) != 1 || !crl_number ||
      ASN1_INTEGER_set_uint64(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, X509V3_ADD_DEFAULT) !=
          1) {
    return detail::ossl_fail(errc::internal, "CRL extensions");
  }
  if (!distribution_point.empty()) {
    auto name = uri_point_name(distribution_point);
    if (!name)
      return fail(std::move(name).error());
    IssuingDistPointPtr scope(ISSUING_DIST_POINT_new());
    if (!scope)
      return detail::ossl_fail(errc::internal, "CRL issuingDistributionPoint");
    scope->distpoint = name->release();
    if (X509_CRL_add1_ext_i2d(crl.get(), NID_issuing_distribution_point, scope.get(), 1,
                              X509V3_ADD_DEFAULT) != 1) {
      return detail::ossl_fail(errc::internal, "CRL issuingDistributionPoint");
    }
  }
  if (X509_CRL_sign(crl.get(), Access::pkey(key_), EVP_sha256()) <= 0)
    return detail::ossl_fail(errc::internal, "CRL signing");
  const int size = i2d_X509_CRL(crl.get(), nullptr);
  if (size <= 0)
    return detail::ossl_fail(errc::internal, "CRL encoding");
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509_CRL(crl.get(), &out) != size)
    return detail::ossl_fail(errc::internal, "CRL encoding");
  return der;
}

Result<Certificate> CertificateAuthority::issue_device_certificate(
    const PrivateKey& subject_key, std::string_view common_name,
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after) const {
  if (not_after <= not_before)
    return fail(errc::invalid_argument, "certificate notAfter must be after notBefore");
  ERR_clear_error();
  const Profile profile{
      .common_name = common_name,
      .public_key = Access::pkey(subject_key),
      .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, leaf_key_usage(subject_key.type())},
                     {NID_ext_key_usage, "clientAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}},
  };
  // The clock is not read: the validity is explicit.
  const SystemClock unused_clock;
  return sign_certificate(profile, Signer{Access::x509(certificate_), Access::pkey(key_)},
                          unused_clock, std::make_pair(not_before, not_after));
}

}  // namespace stratus::pki
