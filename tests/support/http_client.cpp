#include "support/http_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace stratus::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

std::string to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

[[noreturn]] void throw_error(std::string_view what, const beast::error_code& ec) {
  throw std::runtime_error(std::string(what) + ": " + ec.message());
}

}  // namespace

std::optional<std::string> HttpReply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name))
      return value;
  }
  return std::nullopt;
}

// Beast's synchronous calls have no deadlines, so each call starts the
// asynchronous version on a private io_context and runs it to completion; the
// tcp_stream's expiry bounds every operation.
struct HttpConnection::Impl {
  net::io_context io;
  std::string host;
  std::chrono::milliseconds timeout;
  std::optional<net::ssl::context> tls_context;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Starts `start(handler)` and runs it to completion; returns its error.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = net::error::operation_aborted;
    std::forward<Start>(start)([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  // Calls `f` with whichever stream is in use.
  template <class F>
  decltype(auto) with_stream(F&& f) {
    if (tls)
      return std::forward<F>(f)(*tls);
    return std::forward<F>(f)(*plain);
  }

  // A reply to HEAD has Content-Length but no body: `head` tells the parser.
  HttpReply read_reply(bool head) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.skip(head);
    tcp().expires_after(timeout);
    const auto ec = with_stream([&](auto& stream) {
      return run(
          [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
    });
    if (ec)
      throw_error("read reply", ec);
    auto& message = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(message.result_int());
    reply.body = std::move(message.body());
    for (const auto& field : message)
      reply.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
    return reply;
  }
};

HttpConnection::HttpConnection(std::string_view host, std::uint16_t port,
                               std::chrono::milliseconds timeout,
                               std::optional<std::filesystem::path> ca_file)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::string(host);
  impl_->timeout = timeout;

  net::ip::tcp::resolver resolver(impl_->io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(impl_->host, std::to_string(port), ec);
  if (ec)
    throw_error("resolve " + impl_->host, ec);

  beast::tcp_stream tcp(impl_->io);
  tcp.expires_after(timeout);
  ec = impl_->run([&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); });
  if (ec)
    throw_error("connect " + impl_->host + ":" + std::to_string(port), ec);

  if (!ca_file) {
    impl_->plain.emplace(std::move(tcp));
    return;
  }
  auto& context = impl_->tls_context.emplace(net::ssl::context::tls_client);
  context.load_verify_file(ca_file->string(), ec);
  if (ec)
    throw_error("load CA " + ca_file->string(), ec);
  context.set_verify_mode(net::ssl::verify_peer);
  auto& stream = impl_->tls.emplace(std::move(tcp), context);
  stream.set_verify_callback(net::ssl::host_name_verification(impl_->host));
  net::ip::make_address(impl_->host, ec);
  if (ec) {  // a DNS name: send SNI (what the SSL_set_tlsext_host_name macro does, without its C
             // cast)
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(impl_->host.c_str()));
  }
  impl_->tcp().expires_after(timeout);
  ec = impl_->run([&](auto handler) {
    stream.async_handshake(net::ssl::stream_base::client, std::move(handler));
  });
  if (ec)
    throw_error("tls handshake", ec);
}

HttpConnection::~HttpConnection() = default;

HttpReply HttpConnection::request(std::string_view method, std::string_view target,
                                  std::string_view body, const HeaderList& headers) {
  bhttp::request<bhttp::string_body> message;
  message.method_string(method);
  message.target(target);
  message.version(11);
  message.set(bhttp::field::host, impl_->host);
  for (const auto& [name, value] : headers)
    message.insert(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    message.body() = std::string(body);
    message.prepare_payload();
  }
  impl_->tcp().expires_after(impl_->timeout);
  const auto ec = impl_->with_stream([&](auto& stream) {
    return impl_->run(
        [&](auto handler) { bhttp::async_write(stream, message, std::move(handler)); });
  });
  if (ec)
    throw_error("write request", ec);
  return impl_->read_reply(method == "HEAD");
}

void HttpConnection::send_raw(std::string_view bytes) {
  impl_->tcp().expires_after(impl_->timeout);
  const auto ec = impl_->with_stream([&](auto& stream) {
    return impl_->run(
        [&](auto handler) { net::async_write(stream, net::buffer(bytes), std::move(handler)); });
  });
  if (ec)
    throw_error("write", ec);
}

HttpReply HttpConnection::read_reply() {
  return impl_->read_reply(false);
}

bool HttpConnection::closed_by_peer_within(std::chrono::milliseconds deadline) {
  impl_->buffer.clear();
  impl_->tcp().expires_after(deadline);  // one deadline for the whole loop
  for (;;) {
    std::array<char, 4096> sink{};
    const auto ec = impl_->with_stream([&](auto& stream) {
      return impl_->run(
          [&](auto handler) { stream.async_read_some(net::buffer(sink), std::move(handler)); });
    });
    if (ec == beast::error::timeout)
      return false;
    if (ec)
      return true;  // EOF, reset, TLS short read: closed
  }
}

HttpReply http_request(std::string_view host, std::uint16_t port, std::string_view method,
                       std::string_view target, std::string_view body, const HeaderList& headers,
                       std::chrono::milliseconds timeout) {
  HttpConnection connection(host, port, timeout);
  return connection.request(method, target, body, headers);
}

HttpReply https_request(std::string_view host, std::uint16_t port,
                        const std::filesystem::path& ca_file, std::string_view method,
                        std::string_view target, std::string_view body, const HeaderList& headers,
                        std::chrono::milliseconds timeout) {
  HttpConnection connection(host, port, timeout, ca_file);
  return connection.request(method, target, body, headers);
}

}  // namespace stratus::test
