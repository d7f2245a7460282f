#include "api/node_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/detail/node_details.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/nodes.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

// `node_id`, or the legacy `nodeid` the CLI sends for config/status/params.
std::string node_id_param(const http::Request& r) {
  if (auto v = r.query_param("node_id"))
    return std::string(*v);
  if (auto v = r.query_param("nodeid"))
    return std::string(*v);
  return {};
}

Error missing_node_id() {
  return Error{errc::invalid_argument, "node_id is missing",
               rest::request_error::invalid_request_body};
}

rest::Connectivity connectivity(const storage::NodeRecord& n) {
  return rest::Connectivity{n.connected, n.connectivity_ms};
}

http::Response list_nodes(service::NodeService& nodes, const http::Request& r,
                          const Principal& who) {
  auto limit = rest::parse_page_size(r.query_param("num_records"));
  if (!limit)
    return error_response(limit.error());
  auto details = detail::query_flag(r, "node_details");
  if (!details)
    return error_response(details.error());
  rest::NodePage answer;
  answer.with_details = *details;
  const std::string only = node_id_param(r);
  auto page = nodes.list(who, r.query_param("start_id").value_or(""), *limit, only);
  if (!page)
    return error_response(page.error());
  for (const auto& u : page->nodes) {
    if (answer.with_details)
      answer.node_details.push_back(detail::node_details(u));
    else
      answer.node_ids.push_back(u.node.node_id);
  }
  answer.next_id = page->next_node_id;
  answer.total = page->total;
  return json_answer(200, rest::to_json(answer));
}

// config | status | params of one node.
enum class Part { config, status, params };

http::Response node_part(service::NodeService& nodes, const http::Request& r, const Principal& who,
                         Part part) {
  const std::string node_id = node_id_param(r);
  if (node_id.empty())
    return error_response(missing_node_id());
  auto node = nodes.get(who, node_id);
  if (!node)
    return error_response(node.error());
  const auto& n = node->node;
  switch (part) {
    case Part::status:
      return json_answer(200, rest::node_status_json(connectivity(n)));
    case Part::config:
      if (!n.config) {
        return error_response(Error{errc::not_found, "the node has not reported its config yet",
                                    rest::node_error::no_config});
      }
      return http::json_response(200, *n.config);  // verbatim, as the node sent it
    case Part::params:
      if (!n.params) {
        return error_response(Error{errc::not_found, "the node has not reported its params yet",
                                    rest::node_error::no_params});
      }
      return http::json_response(200, *n.params);
  }
  return error_response(Error{errc::internal, "unreachable", 0});
}

rest::SetOutcome outcome_dto(const service::SetOutcome& o) {
  if (o.error)
    return rest::SetOutcome{o.node_id, false, o.error->context, o.error->reason, false};
  return rest::SetOutcome{o.node_id, true, o.description, 0, o.queued};
}

http::Response set_params(service::NodeService& nodes, const http::Request& r,
                          const Principal& who) {
  auto body = rest::parse_body(r.body);
  if (!body)
    return error_response(body.error());
  auto sets = rest::parse_params_sets(*body, node_id_param(r));
  if (!sets)
    return error_response(sets.error());
  std::vector<std::pair<std::string, json::object>> batch;
  batch.reserve(sets->size());
  for (auto& s : *sets)
    batch.emplace_back(std::move(s.node_id), *s.payload);
  const auto outcomes = nodes.set_params(who, batch);
  if (!body->is_array()) {
    const auto& o = outcomes.front();
    if (o.error)
      return error_response(*o.error);
    return json_answer(200, rest::to_json(outcome_dto(o)));
  }
  json::array results;
  bool all_ok = true;
  for (const auto& o : outcomes) {
    all_ok = all_ok && o.success();
    results.push_back(rest::to_json(outcome_dto(o)));
  }
  return json_answer(all_ok ? 200 : 207, results);
}

http::Response put_mapping(service::NodeService& nodes, const http::Request& r,
                           const Principal& who) {
  auto request = read_body(r.body, rest::parse_mapping_request);
  if (!request)
    return error_response(request.error());
  if (request->user_id && *request->user_id != who.user_id) {
    return error_response(Error{errc::forbidden, "user_id must be the caller's",
                                rest::request_error::not_authorized});
  }
  if (request->operation == "remove") {
    auto removed = nodes.remove_mapping(who, request->node_id);
    if (!removed)
      return error_response(removed.error());
    return success_response(200, "Node removed");
  }
  if (request->operation != "add") {
    return error_response(Error{errc::invalid_argument, "operation must be add or remove",
                                rest::request_error::invalid_request_body});
  }
  auto request_id = nodes.request_mapping(who, request->node_id, request->secret_key);
  if (!request_id)
    return error_response(request_id.error());
  return json_answer(200, rest::mapping_created_json(*request_id));
}

http::Response get_mapping(service::NodeService& nodes, const http::Request& r,
                           const Principal& who) {
  const auto request_id = r.query_param("request_id");
  if (!request_id || request_id->empty()) {
    return error_response(Error{errc::invalid_argument, "request_id is missing",
                                rest::request_error::invalid_request_body});
  }
  auto status = nodes.mapping_status(who, *request_id);
  if (!status)
    return error_response(status.error());
  return json_answer(200, rest::mapping_status_json(*status));
}

http::Response update_node(service::NodeService& nodes, const http::Request& r,
                           const Principal& who, bool removing) {
  const std::string node_id = node_id_param(r);
  if (node_id.empty())
    return error_response(missing_node_id());
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  auto update = rest::parse_node_update(*body);
  if (!update)
    return error_response(update.error());
  auto done = removing ? nodes.remove_tags(who, node_id, update->tags)
                       : nodes.update_tags_metadata(who, node_id, update->tags, update->metadata);
  if (!done)
    return error_response(done.error());
  return success_response(200, "Node updated");
}

}  // namespace

void add_node_routes(http::Router& router, service::AccountService& accounts,
                     service::NodeService& nodes, boost::asio::thread_pool& pool) {
  const auto add = [&](std::string_view method, std::string path, detail::AuthedHandler h) {
    router.add(method, std::move(path), on_pool(pool, authed(accounts, std::move(h))));
  };
  auto& n = nodes;
  add("GET", "/v1/user/nodes",
      [&n](const http::Request& r, const Principal& p) { return list_nodes(n, r, p); });
  add("PUT", "/v1/user/nodes",
      [&n](const http::Request& r, const Principal& p) { return update_node(n, r, p, false); });
  add("DELETE", "/v1/user/nodes",
      [&n](const http::Request& r, const Principal& p) { return update_node(n, r, p, true); });
  add("GET", "/v1/user/nodes/config", [&n](const http::Request& r, const Principal& p) {
    return node_part(n, r, p, Part::config);
  });
  add("GET", "/v1/user/nodes/status", [&n](const http::Request& r, const Principal& p) {
    return node_part(n, r, p, Part::status);
  });
  add("GET", "/v1/user/nodes/params", [&n](const http::Request& r, const Principal& p) {
    return node_part(n, r, p, Part::params);
  });
  add("PUT", "/v1/user/nodes/params",
      [&n](const http::Request& r, const Principal& p) { return set_params(n, r, p); });
  add("PUT", "/v1/user/nodes/mapping",
      [&n](const http::Request& r, const Principal& p) { return put_mapping(n, r, p); });
  add("GET", "/v1/user/nodes/mapping",
      [&n](const http::Request& r, const Principal& p) { return get_mapping(n, r, p); });
}

rest::NodeDetails detail::node_details(const storage::UserNode& u) {
  const auto& n = u.node;
  rest::NodeDetails d;
  d.id = n.node_id;
  d.role = u.role;
  d.sub_role = u.sub_role;
  d.connectivity = rest::Connectivity{n.connected, n.connectivity_ms};
  d.mapping_timestamp_s = u.mapped_at;
  const auto tags = rest::document_value(n.tags);
  if (const auto* list = tags.if_array()) {
    for (const auto& t : *list) {
      if (t.is_string())
        d.tags.emplace_back(t.as_string());
    }
  }
  d.metadata_json = n.metadata;
  d.config_json = n.config.value_or("");
  d.params_json = n.params.value_or("");
  return d;
}

}  // namespace stratus::api
