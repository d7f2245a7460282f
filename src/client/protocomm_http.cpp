#include "client/protocomm_http.hpp"

#include <charconv>

#include "client/detail/transport.hpp"

namespace stratus::client {

Result<std::pair<std::string, int>> parse_device_address(std::string_view address) {
  std::string_view host;
  std::string_view port_text;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find("]:");
    if (close == std::string_view::npos) {
      return fail(errc::invalid_argument,
                  "the device address \"" + std::string(address) + "\" is not [IPv6]:PORT");
    }
    host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(errc::invalid_argument,
                  "the device address \"" + std::string(address) + "\" has no port (HOST:PORT)");
    }
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  int port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc{} || ptr != end || port < 1 || port > 65535) {
    return fail(errc::invalid_argument,
                "the device address \"" + std::string(address) + "\" has no valid port (1..65535)");
  }
  if (host.empty() || host.find_first_of("[]/ ") != std::string_view::npos) {
    return fail(errc::invalid_argument,
                "the device address \"" + std::string(address) + "\" has no valid host");
  }
  return std::pair{std::string(host), port};
}

struct ProtocommHttp::Impl {
  std::string address;
  std::string url_root;  // http://host:port
  ProtocommHttpOptions options;
  detail::Transport transport;
  std::string cookie;

  Impl(ProtocommHttpOptions o, std::string root)
      : address(o.address),
        url_root(std::move(root)),
        options(o),
        transport(detail::TransportOptions{"the device at " + o.address, "", o.connect_timeout,
                                           o.max_reply_bytes}) {}
};

Result<ProtocommHttp> ProtocommHttp::open(ProtocommHttpOptions options) {
  auto hp = parse_device_address(options.address);
  if (!hp)
    return fail(hp.error());
  const bool v6 = hp->first.find(':') != std::string::npos;
  std::string root =
      "http://" + (v6 ? "[" + hp->first + "]" : hp->first) + ":" + std::to_string(hp->second);
  return ProtocommHttp(std::make_unique<Impl>(std::move(options), std::move(root)));
}

ProtocommHttp::ProtocommHttp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProtocommHttp::~ProtocommHttp() = default;
ProtocommHttp::ProtocommHttp(ProtocommHttp&&) noexcept = default;
ProtocommHttp& ProtocommHttp::operator=(ProtocommHttp&&) noexcept = default;

const std::string& ProtocommHttp::cookie() const {
  return impl_->cookie;
}
const std::string& ProtocommHttp::address() const {
  return impl_->address;
}

Result<std::string> ProtocommHttp::send(std::string_view endpoint, std::string_view body) {
  auto& m = *impl_;
  const bool valid_name =
      !endpoint.empty() && endpoint.find_first_not_of(
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                               "qrstuvwxyz0123456789_./-") == std::string_view::npos;
  if (!valid_name)
    return fail(errc::invalid_argument,
                "bad protocomm endpoint name \"" + std::string(endpoint) + "\"");
  detail::HttpRequest request;
  request.method = "POST";
  request.url = m.url_root + "/" + std::string(endpoint);
  request.body.assign(body);
  request.has_body = true;
  request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: text/plain"};
  if (!m.cookie.empty())
    request.headers.push_back("Cookie: " + m.cookie);
  request.timeout = m.options.request_timeout;
  request.capture_cookies = true;
  auto reply = m.transport.perform(request);
  if (!reply)
    return fail(reply.error());
  // The device's cookie names the session from now on (the CLI keeps the header's
  // value; only the name=value part matters).
  for (const auto& c : reply->set_cookies) {
    const auto semicolon = c.find(';');
    m.cookie = c.substr(0, semicolon);
  }
  if (reply->status == 404) {
    return fail(errc::not_found,
                "the device at " + m.address + " does not serve /" + std::string(endpoint));
  }
  if (reply->status != 200) {
    return fail(errc::unavailable, "the device at " + m.address + " answered HTTP " +
                                       std::to_string(reply->status) + " for /" +
                                       std::string(endpoint));
  }
  return std::move(reply->body);
}

}  // namespace stratus::client
