#include "service/ota_download_token.hpp"

#include <charconv>

#include "auth/secrets.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::service {
namespace {

Error forbidden(std::string_view why) {
  return Error{errc::forbidden, "OTA download refused: " + std::string(why),
               proto::rest::ota_job_error::download_forbidden};
}

// Query values are already percent-decoded; ids never need escaping beyond this.
std::string escape(std::string_view value) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

}  // namespace

OtaDownloadSigner::OtaDownloadSigner(std::string key, std::string base_url)
    : key_(std::move(key)), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
}

std::string OtaDownloadSigner::signature(const OtaDownloadGrant& grant) const {
  std::string message = "stratus-ota\n";
  message += grant.image_id;
  message += grant.kind == OtaDownloadGrant::Kind::node ? "\nnode\n" : "\nuser\n";
  message += grant.subject;
  message += '\n';
  message += std::to_string(grant.expires_s);
  return auth::hmac_sha256_hex(key_, message);
}

std::string OtaDownloadSigner::url(const OtaDownloadGrant& grant) const {
  return base_url_ + "/v1/ota/download?image=" + escape(grant.image_id) +
         (grant.kind == OtaDownloadGrant::Kind::node ? "&node=" : "&user=") +
         escape(grant.subject) + "&expires=" + std::to_string(grant.expires_s) +
         "&sig=" + signature(grant);
}

Result<OtaDownloadGrant> OtaDownloadSigner::verify(std::optional<std::string_view> image,
                                                   std::optional<std::string_view> node,
                                                   std::optional<std::string_view> user,
                                                   std::optional<std::string_view> expires,
                                                   std::optional<std::string_view> sig,
                                                   std::int64_t now_s) const {
  if (!image || image->empty() || !expires || !sig || node.has_value() == user.has_value())
    return fail(forbidden("malformed URL"));
  OtaDownloadGrant grant;
  grant.image_id = std::string(*image);
  grant.kind = node ? OtaDownloadGrant::Kind::node : OtaDownloadGrant::Kind::user;
  grant.subject = std::string(node ? *node : *user);
  if (grant.subject.empty())
    return fail(forbidden("malformed URL"));
  const auto* end = expires->data() + expires->size();
  const auto [ptr, ec] = std::from_chars(expires->data(), end, grant.expires_s);
  if (ec != std::errc{} || ptr != end)
    return fail(forbidden("malformed URL"));
  if (!auth::constant_time_equal(signature(grant), *sig))
    return fail(forbidden("bad signature"));
  if (grant.expires_s < now_s)
    return fail(forbidden("the URL expired"));
  return grant;
}

}  // namespace stratus::service
