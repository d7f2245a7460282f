// Session<tcp_stream>, in a unit of its own (see http/detail/serve.hpp).
#include <utility>

#include "http/detail/serve.hpp"
#include "http/detail/session.hpp"

namespace stratus::http::detail {

net::awaitable<void> serve_plain(beast::tcp_stream stream, const SessionContext& context,
                                 Connection& connection, std::string remote, bool over_capacity) {
  Session<beast::tcp_stream> session(stream, context, connection, std::move(remote), over_capacity);
  auto running = session.run();  // a named local: see src/http/README.md, GCC 12
  co_await std::move(running);
}

}  // namespace stratus::http::detail
