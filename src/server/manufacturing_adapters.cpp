#include "server/manufacturing_adapters.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "broker/revocation_list.hpp"
#include "core/hex.hpp"

namespace stratus::server {
namespace {

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Result<void> write_atomically(const std::filesystem::path& file, std::string_view bytes) {
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out)
      return fail(errc::unavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    return fail(errc::unavailable,
                "cannot rename " + tmp + " to " + file.string() + ": " + std::strerror(errno));
  }
  return {};
}

Result<std::string> read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(errc::not_found, "cannot read " + file.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

// --- certificates ----------------------------------------------------------------

Result<service::CaCertificateInfo> PkiCertificateInspector::inspect_ca(std::string_view pem) const {
  auto cert = pki::Certificate::from_pem(pem);
  if (!cert)
    return fail(cert.error());
  if (!cert->is_ca())
    return fail(errc::invalid_argument, "basicConstraints does not say CA:TRUE");
  return service::CaCertificateInfo{cert->sha256_fingerprint_hex(), cert->subject_text(),
                                    cert->to_pem(), unix_seconds(cert->not_after())};
}

Result<pki::Certificate> PkiCertificateInspector::parsed_ca(const std::string& pem) const {
  std::lock_guard lock(mutex_);
  if (const auto it = cas_.find(pem); it != cas_.end())
    return it->second;
  auto cert = pki::Certificate::from_pem(pem);
  if (!cert)
    return fail(cert.error());
  cas_.emplace(pem, *cert);
  return *cert;
}

Result<service::DeviceCertificateInfo> PkiCertificateInspector::inspect_device(
    std::string_view pem, const std::vector<std::string>& ca_pems) const {
  auto cert = pki::Certificate::from_pem(pem);
  if (!cert)
    return fail(cert.error());
  if (cert->is_ca())
    return fail(errc::invalid_argument, "a CA certificate is not a node certificate");
  bool issued = cert->issued_by(stratus_ca_);
  for (std::size_t i = 0; !issued && i < ca_pems.size(); ++i) {
    auto ca = parsed_ca(ca_pems[i]);
    issued = ca && cert->issued_by(*ca);
  }
  if (!issued)
    return fail(errc::forbidden, "not issued by a registered CA");
  return service::DeviceCertificateInfo{cert->subject_cn(), cert->serial_hex(),
                                        cert->sha256_fingerprint_hex(), cert->to_pem(),
                                        unix_seconds(cert->not_after())};
}

// --- the broker's trust ----------------------------------------------------------

Result<void> BrokerTrustStore::reset(const pki::Certificate& stratus_ca) {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return fail(errc::unavailable, "cannot create " + dir_.string() + ": " + ec.message());
  return write_ca(stratus_ca);
}

Result<void> BrokerTrustStore::write_ca(const pki::Certificate& ca) {
  const auto hash = ca.subject_hash_hex();
  const auto pem = ca.to_pem();
  // OpenSSL reads <hash>.0, <hash>.1, … until one is missing: CAs with equal subject
  // hashes take the next free suffix.
  for (int n = 0; n < 100; ++n) {
    const auto file = dir_ / (hash + "." + std::to_string(n));
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      if (auto r = write_atomically(file, pem); !r)
        return r;
      ::chmod(file.c_str(), 0644);
      return {};
    }
    auto existing = read_all(file);
    if (existing && *existing == pem)
      return {};
  }
  return fail(errc::unavailable, "more than 100 CAs with subject hash " + hash);
}

Result<void> BrokerTrustStore::add_ca(const service::CaCertificateInfo& ca) {
  auto cert = pki::Certificate::from_pem(ca.certificate_pem);
  if (!cert)
    return fail(cert.error());
  std::lock_guard lock(mutex_);
  return write_ca(*cert);
}

Result<void> BrokerTrustStore::publish_registered(const std::vector<std::string>& fingerprints) {
  std::lock_guard lock(mutex_);
  return broker::write_fingerprint_list(
      registered_file_, fingerprints,
      "Registered manufactured node certificates (SHA-256 of the DER), written by stratusd.");
}

// --- uploads ---------------------------------------------------------------------

Result<void> FileRegistrationStore::open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return fail(errc::unavailable, "cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  return {};
}

Result<std::filesystem::path> FileRegistrationStore::path_of(std::string_view request_id) const {
  const bool ok =
      !request_id.empty() && request_id.size() <= 64 &&
      std::all_of(request_id.begin(), request_id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      });
  if (!ok)
    return fail(errc::invalid_argument, "not a request id");
  return dir_ / (std::string(request_id) + ".csv");
}

Result<void> FileRegistrationStore::put(std::string_view request_id, const std::string& temp_path) {
  auto file = path_of(request_id);
  if (!file)
    return fail(file.error());
  std::error_code ec;
  if (std::filesystem::exists(*file, ec))
    return fail(errc::already_exists, "an upload is stored for this request");
  if (temp_path.empty()) {  // an empty body
    return write_atomically(*file, "");
  }
  if (std::rename(temp_path.c_str(), file->c_str()) == 0)
    return {};
  if (errno != EXDEV)
    return fail(errc::unavailable, "cannot store the upload: " + std::string(std::strerror(errno)));
  std::filesystem::copy_file(temp_path, *file, ec);
  if (ec)
    return fail(errc::unavailable, "cannot store the upload: " + ec.message());
  return {};
}

Result<std::string> FileRegistrationStore::md5_hex(std::string_view request_id) {
  auto file = path_of(request_id);
  if (!file)
    return fail(file.error());
  std::ifstream in(*file, std::ios::binary);
  if (!in)
    return fail(errc::not_found, "no upload for this request");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return fail(errc::internal, "MD5 unavailable");
  }
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0)
      EVP_DigestUpdate(ctx, buf, static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return to_hex(std::span<const std::uint8_t>(digest, len));
}

Result<std::string> FileRegistrationStore::read(std::string_view request_id) {
  auto file = path_of(request_id);
  if (!file)
    return fail(file.error());
  return read_all(*file);
}

void FileRegistrationStore::remove(std::string_view request_id) {
  if (auto file = path_of(request_id)) {
    std::error_code ec;
    std::filesystem::remove(*file, ec);
  }
}

}  // namespace stratus::server
