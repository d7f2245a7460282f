// Session<ssl_stream<tcp_stream>>, in a unit of its own (see http/detail/serve.hpp).
#include <utility>

#include "http/detail/serve.hpp"
#include "http/detail/session.hpp"

namespace stratus::http::detail {

net::awaitable<void> serve_tls(beast::tcp_stream stream, net::ssl::context& tls,
                               const SessionContext& context, Connection& connection,
                               std::string remote, bool over_capacity) {
  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), tls);
  Session<beast::ssl_stream<beast::tcp_stream>> session(tls_stream, context, connection,
                                                        std::move(remote), over_capacity);
  auto running = session.run();  // a named local: see src/http/README.md, GCC 12
  co_await std::move(running);
}

}  // namespace stratus::http::detail
