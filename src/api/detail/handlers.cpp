#include "api/detail/handlers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/account_routes.hpp"
#include "api/errors.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api::detail {

Result<bool> query_flag(const http::Request& r, std::string_view name) {
  const auto value = r.query_param(name);
  if (!value || value->empty())
    return false;
  const auto parsed = proto::rest::parse_query_bool(*value);
  if (!parsed)
    return fail(proto::rest::invalid_body(std::string(name) + " must be true or false"));
  return *parsed;
}

namespace asio = boost::asio;

// Values live in named locals across the co_await: GCC 12 miscompiles
// temporaries with destructors there (see src/http/README.md).
http::Handler on_pool(asio::thread_pool& pool, SyncHandler handler) {
  return [&pool,
          handler = std::move(handler)](http::Request& request) -> asio::awaitable<http::Response> {
    const http::Request* req = &request;
    const SyncHandler* h = &handler;
    asio::awaitable<http::Response> work = asio::co_spawn(
        pool.get_executor(),
        [req, h]() -> asio::awaitable<http::Response> { co_return (*h)(*req); },
        asio::use_awaitable);
    http::Response response = co_await std::move(work);
    co_return response;
  };
}

SyncHandler authed(service::AccountService& accounts, AuthedHandler handler) {
  return [&accounts, handler = std::move(handler)](const http::Request& request) {
    auto who = authenticate(accounts, request);
    if (!who)
      return error_response(who.error());
    who->remote_address = request.remote_address;
    return handler(request, *who);
  };
}

}  // namespace stratus::api::detail
