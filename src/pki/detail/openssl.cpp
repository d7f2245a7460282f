#include "pki/detail/openssl.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <array>

namespace stratus::pki::detail {

std::string drain_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    if (!out.empty())
      out += "; ";
    out += buf.data();
  }
  return out.empty() ? std::string("no OpenSSL error detail") : out;
}

tl::unexpected<Error> ossl_fail(errc code, std::string_view what) {
  std::string context(what);
  context += ": ";
  context += drain_errors();
  return fail(code, std::move(context));
}

Result<BioPtr> pem_source(std::string_view pem, std::string_view what) {
  if (pem.empty())
    return fail(errc::invalid_argument, std::string(what) + ": empty input");
  if (pem.size() > max_pem_bytes) {
    return fail(errc::invalid_argument, std::string(what) + ": input larger than " +
                                            std::to_string(max_pem_bytes) + " bytes");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio)
    return ossl_fail(errc::internal, "BIO_new_mem_buf");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  // BIO_get_mem_data() is a macro with a C cast; this is what it expands to.
  const long size = BIO_ctrl(bio, BIO_CTRL_INFO, 0, static_cast<void*>(&data));
  if (size <= 0 || data == nullptr)
    return {};
  return std::string(data, static_cast<std::size_t>(size));
}

int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

Result<KeyType> classify_key(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") == 1) {
    std::array<char, 80> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1) {
      return ossl_fail(errc::invalid_argument, "EC key without a named curve");
    }
    const std::string name(group.data(), len);
    int nid = OBJ_sn2nid(name.c_str());
    if (nid == NID_undef)
      nid = EC_curve_nist2nid(name.c_str());
    if (nid != NID_X9_62_prime256v1) {
      return fail(errc::invalid_argument,
                  "unsupported EC curve " + name + " (only P-256 / prime256v1 is accepted)");
    }
    return KeyType::ecdsa_p256;
  }
  if (EVP_PKEY_is_a(key, "RSA") == 1) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048 || bits > 4096) {
      return fail(errc::invalid_argument, "unsupported RSA key size " + std::to_string(bits) +
                                              " bits (2048..4096 are accepted)");
    }
    return KeyType::rsa_2048;
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return fail(errc::invalid_argument, std::string("unsupported key type ") +
                                          (type != nullptr ? type : "(unknown)") +
                                          " (only EC P-256 and RSA 2048..4096 are accepted)");
}

Result<void> check_common_name(std::string_view cn) {
  if (cn.empty())
    return fail(errc::invalid_argument, "common name is empty");
  if (cn.size() > 64) {
    return fail(errc::invalid_argument,
                "common name is " + std::to_string(cn.size()) + " bytes (at most 64 allowed)");
  }
  for (const char c : cn) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return fail(errc::invalid_argument, "common name contains a control character");
    }
  }
  return {};
}

std::string common_name_of(const X509_NAME* name) {
  if (name == nullptr)
    return {};
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0)
    return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0 || utf8 == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

PrivateKey Access::make_key(EvpPkeyPtr pkey, KeyType type) {
  return PrivateKey(std::make_unique<PrivateKey::Impl>(PrivateKey::Impl{std::move(pkey), type}));
}

Certificate Access::make_certificate(X509Ptr x509) {
  return Certificate(std::make_shared<const Certificate::Impl>(Certificate::Impl{std::move(x509)}));
}

}  // namespace stratus::pki::detail
