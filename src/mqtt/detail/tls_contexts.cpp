// Client TLS contexts built once per connection (tls_contexts.hpp has why).
//
// Facts this file relies on:
// - libmosquitto 2.0 (lib/options.c, net_mosq.c): MOSQ_OPT_SSL_CTX takes a reference
//   (SSL_CTX_up_ref) and `mosquitto_destroy` drops it; with MOSQ_OPT_SSL_CTX_WITH_DEFAULTS
//   = 0 the context is used as given: no files read, no verify callback of its own. SNI
//   is still set from the host passed to connect.
// - OpenSSL 3.0: SSL_new copies the context's X509_VERIFY_PARAM, so a host or IP address
//   set on the context is checked on every connection made from it. A failed PEM read
//   leaves an entry in the thread's error queue, which the next SSL_get_error would take
//   for an SSL error: every path out of `make` leaves the queue empty.
#include "mqtt/detail/tls_contexts.hpp"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "mqtt/client.hpp"

namespace stratus::mqtt::detail {
namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Clears OpenSSL's error queue when the scope ends (see the file comment).
struct ClearErrors {
  ClearErrors() = default;
  ClearErrors(const ClearErrors&) = delete;
  ClearErrors& operator=(const ClearErrors&) = delete;
  ~ClearErrors() { ERR_clear_error(); }
};

tl::unexpected<Error> bad_file(const std::string& file, std::string_view why) {
  return fail(errc::invalid_argument, "mqtt: TLS " + file + ": " + std::string(why));
}

Result<std::string> read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return bad_file(file, "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return bad_file(file, "cannot be read");
  return std::move(text).str();
}

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate of a PEM text, in order.
std::vector<X509Ptr> read_certificates(const std::string& text) {
  std::vector<X509Ptr> out;
  const BioPtr bio = memory_bio(text);
  if (!bio)
    return out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.emplace_back(x);
  return out;
}

}  // namespace

void SslCtxFree::operator()(ssl_ctx_st* ctx) const noexcept {
  SSL_CTX_free(ctx);
}

TlsContexts::TlsContexts() = default;

TlsContexts::~TlsContexts() {
  for (auto& [content, store] : stores_)
    X509_STORE_free(store);
  OSSL_DECODER_CTX_free(decoder_);
  EVP_PKEY_free(decoded_);
}

Result<x509_store_st*> TlsContexts::store_for(const std::string& ca_file) {
  auto text = read_file(ca_file);
  if (!text)
    return fail(text.error());
  if (const auto it = stores_.find(*text); it != stores_.end())
    return it->second;
  const std::vector<X509Ptr> certificates = read_certificates(*text);
  if (certificates.empty())
    return bad_file(ca_file, "holds no PEM certificate");
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr)
    return fail(errc::internal, "mqtt: X509_STORE_new failed");
  for (const X509Ptr& x : certificates) {
    if (X509_STORE_add_cert(store, x.get()) != 1) {
      X509_STORE_free(store);
      return bad_file(ca_file, "a certificate cannot be trusted");
    }
  }
  stores_.emplace(std::move(*text), store);
  return store;
}

Result<evp_pkey_st*> TlsContexts::decode_key(const std::string& key_file) {
  auto text = read_file(key_file);
  if (!text)
    return fail(text.error());
  if (decoder_ == nullptr) {
    // Building a decoder context walks every provider's decoders; one serves all keys.
    decoder_ = OSSL_DECODER_CTX_new_for_pkey(&decoded_, "PEM", nullptr, nullptr, EVP_PKEY_KEYPAIR,
                                             nullptr, nullptr);
    if (decoder_ == nullptr)
      return fail(errc::internal, "mqtt: OSSL_DECODER_CTX_new_for_pkey failed");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(text->data());
  std::size_t size = text->size();
  const int ok = OSSL_DECODER_from_data(decoder_, &data, &size);
  EVP_PKEY* key = decoded_;
  decoded_ = nullptr;
  if (ok != 1 || key == nullptr) {
    EVP_PKEY_free(key);
    return bad_file(key_file, "is not an unencrypted PEM private key");
  }
  return key;
}

Result<SslCtxPtr> TlsContexts::make(const TlsOptions& tls, const std::string& host) {
  const ClearErrors clear;
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx)
    return fail(errc::internal, "mqtt: SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);  // idle connections keep no buffers
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

  if (tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_dir(ctx.get(), "/etc/ssl/certs") != 1)
      return fail(errc::internal, "mqtt: the system CA directory /etc/ssl/certs cannot be used");
  } else {
    auto store = store_for(tls.ca_file);
    if (!store)
      return fail(store.error());
    SSL_CTX_set1_cert_store(ctx.get(), *store);
  }

  if (!tls.skip_hostname_check) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
    // An IP address is matched against iPAddress entries, a name against dNSName ones.
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1 &&
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1)
      return fail(errc::invalid_argument, "mqtt: host " + host + " cannot be verified");
  }

  if (!tls.cert_file.empty()) {
    auto text = read_file(tls.cert_file);
    if (!text)
      return fail(text.error());
    std::vector<X509Ptr> chain = read_certificates(*text);
    if (chain.empty())
      return bad_file(tls.cert_file, "holds no PEM certificate");
    if (SSL_CTX_use_certificate(ctx.get(), chain.front().get()) != 1)
      return bad_file(tls.cert_file, "the certificate cannot be used");
    for (std::size_t i = 1; i < chain.size(); ++i) {
      if (SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) != 1)
        return bad_file(tls.cert_file, "an intermediate certificate cannot be used");
    }
    auto key = decode_key(tls.key_file);
    if (!key)
      return fail(key.error());
    const PkeyPtr owned(*key);
    if (SSL_CTX_use_PrivateKey(ctx.get(), owned.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
      return bad_file(tls.key_file, "does not match the certificate in " + tls.cert_file);
  }
  return ctx;
}

}  // namespace stratus::mqtt::detail
