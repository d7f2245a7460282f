#include "api/command_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

Error bad(std::string text) {
  return Error{errc::invalid_argument, std::move(text), rest::request_error::invalid_request_body};
}

http::Response create(service::CommandService& commands, const http::Request& r,
                      const Principal& who) {
  auto command = parse_new_command(r.body);
  if (!command)
    return error_response(command.error());
  auto created = commands.create(who, *command);
  if (!created)
    return error_response(created.error());
  std::vector<rest::CommandNodeResult> results;
  results.reserve(created->outcomes.size());
  for (const auto& o : created->outcomes) {
    results.push_back(
        rest::CommandNodeResult{o.node_id, o.sent, o.error ? o.error->reason : 0, o.description});
  }
  const auto answer = rest::group_command_outcomes(created->request_id, results);
  return json_answer(answer.all_sent() ? 200 : 207, rest::to_json(answer));
}

http::Response list(service::CommandService& commands, const http::Request& r,
                    const Principal& who) {
  service::CommandQuery q;
  q.request_id = std::string(r.query_param("request_id").value_or(""));
  q.node_id = std::string(r.query_param("node_id").value_or(r.query_param("nodeid").value_or("")));
  q.status = std::string(r.query_param("status").value_or(""));
  auto start_time = rest::parse_query_int(r.query_param("start_time"), "start_time");
  auto end_time = rest::parse_query_int(r.query_param("end_time"), "end_time");
  auto start_id = rest::parse_query_int(r.query_param("start_id"), "start_id");
  auto num_records = rest::parse_query_int(r.query_param("num_records"), "num_records");
  for (const auto* v : {&start_time, &end_time, &start_id, &num_records}) {
    if (!*v)
      return error_response(v->error());
  }
  q.start_time_s = *start_time;
  q.end_time_s = *end_time;
  q.start_id = start_id->value_or(0);
  const auto limit = num_records->value_or(rest::limits::kDefaultPageSize);
  if (limit < 1 || limit > static_cast<std::int64_t>(rest::limits::kMaxPageSize))
    return error_response(bad("num_records must be between 1 and 100"));
  q.limit = static_cast<std::size_t>(limit);
  auto page = commands.list(who, q);
  if (!page)
    return error_response(page.error());
  rest::CommandPage answer;
  for (const auto& record : page->requests)
    answer.requests.push_back(command_record(record));
  if (page->next_id > 0)
    answer.next_id = std::to_string(page->next_id);
  return json_answer(200, rest::to_json(answer));
}

http::Response cancel(service::CommandService& commands, const http::Request& r,
                      const Principal& who) {
  const auto request_id = r.query_param("request_id");
  if (!request_id || request_id->empty())
    return error_response(bad("request_id is missing"));
  auto n = commands.cancel(who, *request_id, r.query_param("node_id").value_or(""));
  if (!n)
    return error_response(n.error());
  return json_answer(200, rest::commands_cancelled_json(static_cast<std::int64_t>(*n)));
}

}  // namespace

Result<service::NewCommand> parse_new_command(std::string_view text) {
  return read_body(text, rest::parse_command_request);
}

rest::CommandRecord command_record(const storage::CommandRecord& r) {
  rest::CommandRecord o;
  o.request_id = r.request_id;
  o.node_id = r.node_id;
  o.status = r.status;
  o.cmd = r.cmd;
  o.user_name = r.user_name;
  o.request_data_json = rest::command_data_json(r.request_data, r.is_base64);
  o.request_timestamp_s = r.request_ms / 1000;
  o.device_status = r.device_status;
  o.status_description = r.status_description;
  if (r.response_data)
    o.response_data_json = rest::command_data_json(*r.response_data, r.is_base64);
  o.is_base64 = r.is_base64;
  if (r.response_ms)
    o.response_timestamp_s = *r.response_ms / 1000;
  if (r.expiration_ms)
    o.expiration_timestamp_s = *r.expiration_ms / 1000;
  return o;
}

json::object command_record_json(const storage::CommandRecord& r) {
  return rest::to_json(command_record(r));
}

void add_command_routes(http::Router& router, service::AccountService& accounts,
                        service::CommandService& commands, boost::asio::thread_pool& pool) {
  const auto add = [&](std::string_view method, detail::AuthedHandler h) {
    router.add(method, "/v1/user/nodes/cmd", on_pool(pool, authed(accounts, std::move(h))));
  };
  auto& c = commands;
  add("POST", [&c](const http::Request& r, const Principal& p) { return create(c, r, p); });
  add("GET", [&c](const http::Request& r, const Principal& p) { return list(c, r, p); });
  add("DELETE", [&c](const http::Request& r, const Principal& p) { return cancel(c, r, p); });
}

}  // namespace stratus::api
