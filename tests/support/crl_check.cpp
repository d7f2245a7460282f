#include "support/crl_check.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <ctime>
#include <memory>

namespace stratus::test {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using IdpPtr =
    std::unique_ptr<ISSUING_DIST_POINT, Deleter<ISSUING_DIST_POINT, ISSUING_DIST_POINT_free>>;
using CdpPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<CRL_DIST_POINTS, CRL_DIST_POINTS_free>>;
using IntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;

X509Ptr certificate(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

CrlPtr crl(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return CrlPtr(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
}

std::int64_t seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string hex(const ASN1_INTEGER* n) {
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(ASN1_INTEGER_to_BN(n, nullptr));
  char* text = bn ? BN_bn2hex(bn.get()) : nullptr;
  std::string out = text != nullptr ? text : "";
  OPENSSL_free(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> uris(const GENERAL_NAMES* names) {
  std::vector<std::string> out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI) {
      const ASN1_IA5STRING* s = name->d.uniformResourceIdentifier;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }
  return out;
}

}  // namespace

std::optional<CrlSummary> read_crl(std::string_view der, std::string_view ca_pem) {
  auto list = crl(der);
  auto ca = certificate(ca_pem);
  if (!list || !ca)
    return std::nullopt;
  CrlSummary out;
  out.signature_valid = X509_CRL_verify(list.get(), X509_get0_pubkey(ca.get())) == 1;
  out.version = X509_CRL_get_version(list.get());
  BioPtr text(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(text.get(), X509_CRL_get_issuer(list.get()), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(text.get(), &data);
  out.issuer.assign(data, static_cast<std::size_t>(size));
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(list.get());
  for (int i = 0; revoked != nullptr && i < sk_X509_REVOKED_num(revoked); ++i)
    out.serials_hex.push_back(
        hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
  int critical = -1;
  IdpPtr scope(static_cast<ISSUING_DIST_POINT*>(
      X509_CRL_get_ext_d2i(list.get(), NID_issuing_distribution_point, &critical, nullptr)));
  if (scope && scope->distpoint != nullptr && scope->distpoint->type == 0) {
    const auto names = uris(scope->distpoint->name.fullname);
    if (!names.empty())
      out.scope_uri = names.front();
    out.scope_critical = critical == 1;
  }
  out.has_authority_key_id =
      X509_CRL_get_ext_by_NID(list.get(), NID_authority_key_identifier, -1) >= 0;
  IntPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(list.get(), NID_crl_number, nullptr, nullptr)));
  std::int64_t n = -1;
  if (number && ASN1_INTEGER_get_int64(&n, number.get()) == 1)
    out.number = n;
  out.this_update = seconds(X509_CRL_get0_lastUpdate(list.get()));
  out.next_update = seconds(X509_CRL_get0_nextUpdate(list.get()));
  return out;
}

int verify_with_crl(std::string_view ca_pem, std::string_view cert_pem, std::string_view crl_der,
                    std::time_t at) {
  auto ca = certificate(ca_pem);
  auto leaf = certificate(cert_pem);
  auto list = crl(crl_der);
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ca || !leaf || !list || !store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_add_crl(store.get(), list.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) {
    return -1;
  }
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_CRL_CHECK);
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  if (X509_verify_cert(ctx.get()) == 1)
    return X509_V_OK;
  return X509_STORE_CTX_get_error(ctx.get());
}

std::vector<std::string> distribution_point_uris(std::string_view cert_pem) {
  auto cert = certificate(cert_pem);
  if (!cert)
    return {};
  CdpPtr points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr)));
  std::vector<std::string> out;
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint != nullptr && point->distpoint->type == 0) {
      for (auto& uri : uris(point->distpoint->name.fullname))
        out.push_back(std::move(uri));
    }
  }
  return out;
}

}  // namespace stratus::test
