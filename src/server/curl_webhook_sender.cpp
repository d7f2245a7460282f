#include "server/curl_webhook_sender.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <boost/url/parse.hpp>
#include <cstring>
#include <memory>

#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::server {
namespace {

namespace code = proto::rest::event_error;

struct Destination {
  std::string host, port, address;  // the address the request is pinned to
};

Error invalid(std::string text) {
  return Error{errc::invalid_argument, std::move(text), code::webhook_url_invalid};
}

bool is_private_v4(std::uint32_t v4) {  // host order
  const auto in = [v4](std::uint32_t net, int bits) {
    return (v4 >> (32 - bits)) == (net >> (32 - bits));
  };
  return in(0x00000000, 8) ||   // "this network"
         in(0x0a000000, 8) ||   // 10/8
         in(0x64400000, 10) ||  // 100.64/10, CGNAT
         in(0x7f000000, 8) ||   // loopback
         in(0xa9fe0000, 16) ||  // link-local
         in(0xac100000, 12) ||  // 172.16/12
         in(0xc0000000, 24) ||  // 192.0.0/24, IETF protocol assignments
         in(0xc0a80000, 16) ||  // 192.168/16
         in(0xc6120000, 15) ||  // 198.18/15, benchmarking
         in(0xe0000000, 4) ||   // multicast
         in(0xf0000000, 4);     // reserved, broadcast
}

std::uint32_t v4_at(const std::array<unsigned char, 16>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

// Loopback, link-local, private, CGNAT, unspecified, reserved, multicast, for v4 and v6.
// An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64's well-known
// prefix, 6to4) is judged by that IPv4 address: through a NAT64 gateway or a 6to4 relay
// it reaches that host. Prefixes that only route inside a site (NAT64's local-use, site-
// local) and Teredo, whose IPv4 host is not checkable, are refused outright.
bool is_private(const sockaddr* a) {
  if (a->sa_family == AF_INET) {
    std::uint32_t v4 = 0;
    std::memcpy(&v4, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, 4);
    return is_private_v4(ntohl(v4));
  }
  if (a->sa_family != AF_INET6)
    return true;
  std::array<unsigned char, 16> b{};
  std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, 16);
  const auto zero = [&](std::size_t from, std::size_t to) {
    return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(from),
                       b.begin() + static_cast<std::ptrdiff_t>(to),
                       [](unsigned char c) { return c == 0; });
  };
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff)  // ::ffff:a.b.c.d
    return is_private_v4(v4_at(b, 12));
  if (zero(0, 12))  // ::a.b.c.d (IPv4-compatible); :: and ::1 fall in 0.0.0.0/8
    return is_private_v4(v4_at(b, 12));
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zero(4, 12))  // 64:ff9b::/96, NAT64
      return is_private_v4(v4_at(b, 12));
    return b[4] == 0x00 && b[5] == 0x01;  // 64:ff9b:1::/48, NAT64 local use
  }
  if (b[0] == 0x20 && b[1] == 0x02)  // 2002::/16, 6to4
    return is_private_v4(v4_at(b, 2));
  return (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) ||  // Teredo
         (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||                         // fe80::/10
         (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||                         // fec0::/10
         (b[0] & 0xfe) == 0xfc ||                                           // fc00::/7
         b[0] == 0xff;                                                      // multicast
}

std::string address_text(const sockaddr* a) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* raw =
      a->sa_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr);
  if (inet_ntop(a->sa_family, raw, text.data(), text.size()) == nullptr)
    return {};
  return a->sa_family == AF_INET6 ? "[" + std::string(text.data()) + "]" : std::string(text.data());
}

Result<Destination> resolve(std::string_view url, bool allow_private) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    return fail(invalid("url is not an absolute URL"));
  const auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https")
    return fail(invalid("url must be http or https"));
  if (parsed->has_userinfo())
    return fail(invalid("url must not carry a user name or password"));
  Destination d;
  d.host = parsed->host_address();
  if (d.host.empty())
    return fail(invalid("url has no host"));
  if (!d.host.empty() && d.host.front() == '[')
    d.host = d.host.substr(1, d.host.size() - 2);
  d.port = parsed->has_port() ? std::string(parsed->port()) : (scheme == "https" ? "443" : "80");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(d.host.c_str(), d.port.c_str(), &hints, &found); rc != 0) {
    return fail(invalid("url host " + d.host + " does not resolve: " + gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (!allow_private && is_private(a->ai_addr)) {
      // The address itself goes to the log only: any user may register a URL, and the
      // answer would tell them where the operator's internal names point.
      log::info(log::Channel::service, "webhook url host {} refused: it resolves to {}", d.host,
                address_text(a->ai_addr));
      return fail(Error{errc::invalid_argument,
                        "url host " + d.host +
                            " resolves to a loopback, link-local, private or reserved address "
                            "(not allowed)",
                        code::webhook_url_forbidden});
    }
    if (d.address.empty())
      d.address = address_text(a->ai_addr);
  }
  if (d.address.empty())
    return fail(invalid("url host " + d.host + " has no address"));
  return d;
}

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

CurlWebhookSender::CurlWebhookSender(CurlWebhookOptions options) : options_(std::move(options)) {}

Result<void> CurlWebhookSender::check_url(std::string_view url) {
  auto d = resolve(url, options_.allow_private_addresses);
  if (!d)
    return fail(d.error());
  return {};
}

Result<int> CurlWebhookSender::post(
    std::string_view url, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  // Checked again at each send and pinned: the name may resolve elsewhere by now.
  auto d = resolve(url, options_.allow_private_addresses);
  if (!d)
    return fail(d.error());
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle)
    return fail(errc::unavailable, "curl_easy_init failed");
  std::unique_ptr<curl_slist, CurlDeleter> header_list;
  for (const auto& [name, value] : headers) {
    const std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(header_list.get(), line.c_str());
    if (next == nullptr)
      return fail(errc::unavailable, "out of memory");
    (void)header_list.release();
    header_list.reset(next);
  }
  const std::string pin = d->host + ":" + d->port + ":" + d->address;
  std::unique_ptr<curl_slist, CurlDeleter> resolve_list(curl_slist_append(nullptr, pin.c_str()));
  const std::string target(url);
  std::array<char, CURL_ERROR_SIZE> error_text{};
  CURL* h = handle.get();
  CURLcode rc = CURLE_OK;
  // curl_easy_setopt is variadic: each value must already have the option's type.
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK)
      rc = curl_easy_setopt(h, option, value);
  };
  set(CURLOPT_ERRORBUFFER, error_text.data());
  set(CURLOPT_URL, target.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  // No proxy from the environment (http_proxy, ALL_PROXY…): a proxy would resolve the
  // name itself and reach what the check above refused.
  set(CURLOPT_PROXY, "");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_RESOLVE, resolve_list.get());
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  if (!options_.ca_file.empty())
    set(CURLOPT_CAINFO, options_.ca_file.c_str());
  set(CURLOPT_HTTPHEADER, header_list.get());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, body.data());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  set(CURLOPT_WRITEFUNCTION, &discard_body);
  if (rc != CURLE_OK)
    return fail(errc::internal, std::string("curl setup: ") + curl_easy_strerror(rc));
  rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return fail(errc::unavailable,
                error_text[0] != '\0' ? error_text.data() : curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  return static_cast<int>(status);
}

}  // namespace stratus::server
