// Fuzz target `http_request`: an HTTP/1.1 request as stratusd reads it — Beast's
// request_parser with the server's default limits (8 KiB of headers, 1 MiB of body), fed
// the input in two pieces as a socket might deliver it, then Stratus's own part: the
// target split by http::parse_target and the header lookups handlers use.
// Invariants: a complete request has a non-empty target; a target Stratus accepts gives a
// path starting with '/'; the first header Beast reports for a name is the one
// Request::header finds.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/message.hpp"

namespace {

namespace bhttp = boost::beast::http;

std::string_view to_std(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

// Feeds `bytes` to `parser` the way http::read does: put() what is buffered, drop what it
// used (also when it asks for more: it must not see those bytes again), and stop at the
// end of the message, when it needs more, or on an error. False on an error.
bool feed(bhttp::request_parser<bhttp::string_body>& parser, std::string& buffered,
          std::string_view bytes) {
  buffered.append(bytes);
  while (!parser.is_done() && !buffered.empty()) {
    boost::beast::error_code ec;
    const auto used = parser.put(boost::asio::buffer(buffered.data(), buffered.size()), ec);
    buffered.erase(0, used);
    if (ec == bhttp::error::need_more)
      return true;
    if (ec)
      return false;
    if (used == 0)
      return true;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = stratus::fuzz::as_text(data, size);
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(8192);
  parser.body_limit(1U << 20);
  parser.eager(true);

  // Two reads, split at a point taken from the input itself (deterministic).
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  std::string buffered;
  if (!feed(parser, buffered, text.substr(0, cut)) || !feed(parser, buffered, text.substr(cut)))
    return 0;
  if (!parser.is_done()) {
    if (!parser.got_some())
      return 0;  // nothing to close: put_eof() asserts that some input came
    boost::beast::error_code ec;
    parser.put_eof(ec);  // the peer closed: completes a body that runs to the end
    if (ec || !parser.is_done())
      return 0;
  }

  const auto& message = parser.get();
  const auto raw_target = to_std(message.target());
  FUZZ_CHECK(!raw_target.empty());
  const auto target = stratus::http::parse_target(raw_target);
  if (!target)
    return 0;
  FUZZ_CHECK(!target->path.empty() && target->path.front() == '/');

  stratus::http::Request request;
  request.method = std::string(to_std(message.method_string()));
  request.target = std::string(raw_target);
  request.path = target->path;
  request.query = target->query;
  for (const auto& field : message)
    request.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
  request.body = message.body();
  for (const auto& field : message) {
    const auto found = request.header(to_std(field.name_string()));
    FUZZ_CHECK(found.has_value());
    const auto first = message.find(field.name_string());
    FUZZ_CHECK(first != message.end() && *found == to_std(first->value()));
    break;  // the first field is enough: find() is linear
  }
  return 0;
}
