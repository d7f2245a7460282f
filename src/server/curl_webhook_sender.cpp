#include "server/curl_webhook_sender.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <boost/url/parse.hpp>
#include <cstring>
#include <memory>

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

// Loopback, link-local, private, CGNAT, unspecified, multicast (v4 and v6, mapped v4 too).
bool is_private(const sockaddr* a) {
  if (a->sa_family == AF_INET) {
    std::uint32_t v4 = 0;
    std::memcpy(&v4, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, 4);
    v4 = ntohl(v4);
    const auto in = [v4](std::uint32_t net, int bits) {
      return (v4 >> (32 - bits)) == (net >> (32 - bits));
    };
    return in(0x00000000, 8) || in(0x7f000000, 8) || in(0x0a000000, 8) || in(0xac100000, 12) ||
           in(0xc0a80000, 16) || in(0xa9fe0000, 16) || in(0x64400000, 10) || in(0xe0000000, 4) ||
           v4 == 0xffffffff;
  }
  if (a->sa_family == AF_INET6) {
    std::array<unsigned char, 16> b{};
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, 16);
    const bool zero10 =
        std::all_of(b.begin(), b.begin() + 10, [](unsigned char c) { return c == 0; });
    if (zero10 && b[10] == 0xff && b[11] == 0xff) {  // ::ffff:a.b.c.d
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, b.data() + 12, 4);
      return is_private(reinterpret_cast<const sockaddr*>(&v4));
    }
    const bool all_zero_but_last =
        std::all_of(b.begin(), b.begin() + 15, [](unsigned char c) { return c == 0; });
    return (all_zero_but_last && (b[15] == 0 || b[15] == 1)) ||  // :: and ::1
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||            // fe80::/10
           (b[0] & 0xfe) == 0xfc ||                              // fc00::/7
           b[0] == 0xff;                                         // multicast
  }
  return true;
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
      return fail(Error{errc::invalid_argument,
                        "url host " + d.host + " resolves to " + address_text(a->ai_addr) +
                            ", a loopback, link-local or private address (not allowed)",
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
