#include "api/node_routes.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/payloads.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
using detail::authed;
using detail::on_pool;
using service::Principal;

constexpr std::size_t kMaxSetsPerRequest = 25;

// `node_id`, or the legacy `nodeid` the CLI sends for config/status/params.
std::string node_id_param(const http::Request& r) {
  if (auto v = r.query_param("node_id"))
    return std::string(*v);
  if (auto v = r.query_param("nodeid"))
    return std::string(*v);
  return {};
}

Error missing_node_id() {
  return Error{errc::invalid_argument, "node_id is missing", 100006};
}

// A stored JSON document as a value (null when absent or unreadable).
json::value document(const std::optional<std::string>& text) {
  if (!text)
    return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  return ec ? json::value(nullptr) : v;
}

json::object connectivity(const storage::NodeRecord& n) {
  return json::object{{"connected", n.connected}, {"timestamp", n.connectivity_ms}};
}

json::object details(const storage::UserNode& u) {
  const auto& n = u.node;
  json::object o{{"id", n.node_id},
                 {"node_id", n.node_id},  // the TS SDK reads this deprecated alias
                 {"role", u.role},
                 {"primary", u.role == "primary"},
                 {"sub_role", u.sub_role},
                 {"node_type", "rainmaker"},
                 {"is_matter", false},
                 {"mapping_timestamp", u.mapped_at},
                 {"status", json::object{{"connectivity", connectivity(n)}}},
                 {"tags", document(n.tags)},
                 {"metadata", document(n.metadata)}};
  if (n.config)
    o["config"] = document(n.config);
  if (n.params)
    o["params"] = document(n.params);
  return o;
}

Result<std::size_t> num_records(const http::Request& r) {
  const auto v = r.query_param("num_records");
  if (!v)
    return std::size_t{10};
  std::size_t n = 0;
  const auto* end = v->data() + v->size();
  const auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || ptr != end || n < 1 || n > 100) {
    return fail(errc::invalid_argument, 100006, "num_records must be between 1 and 100");
  }
  return n;
}

http::Response list_nodes(service::NodeService& nodes, const http::Request& r,
                          const Principal& who) {
  auto limit = num_records(r);
  if (!limit)
    return error_response(limit.error());
  const bool with_details =
      parse_query_bool(r.query_param("node_details").value_or("false")).value_or(false);
  const std::string only = node_id_param(r);
  auto page = nodes.list(who, r.query_param("start_id").value_or(""), *limit, only);
  if (!page)
    return error_response(page.error());
  json::object body;
  json::array items;
  for (const auto& u : page->nodes) {
    if (with_details) {
      items.push_back(details(u));
    } else {
      items.push_back(json::string(u.node.node_id));
    }
  }
  body[with_details ? "node_details" : "nodes"] = std::move(items);
  if (!page->next_node_id.empty())
    body["next_id"] = page->next_node_id;
  body["total"] = page->total;
  return http::json_response(200, json::serialize(body));
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
      return http::json_response(200,
                                 json::serialize(json::object{{"connectivity", connectivity(n)}}));
    case Part::config:
      if (!n.config) {
        return error_response(Error{errc::not_found, "the node has not reported its config yet",
                                    service::node_error::no_config});
      }
      return http::json_response(200, *n.config);  // verbatim, as the node sent it
    case Part::params:
      if (!n.params) {
        return error_response(Error{errc::not_found, "the node has not reported its params yet",
                                    service::node_error::no_params});
      }
      return http::json_response(200, *n.params);
  }
  return error_response(Error{errc::internal, "unreachable", 0});
}

json::object outcome_json(const service::SetOutcome& o) {
  json::object j{{"node_id", o.node_id},
                 {"status", o.success ? "success" : "failure"},
                 {"description", o.description}};
  if (o.queued)
    j["queued"] = true;
  if (!o.success)
    j["error_code"] = o.error_code;
  return j;
}

http::Response set_params(service::NodeService& nodes, const http::Request& r,
                          const Principal& who) {
  boost::system::error_code ec;
  json::value body = json::parse(r.body, ec);
  if (ec)
    return error_response(
        Error{errc::invalid_argument, "invalid request body: malformed JSON", 100006});
  if (!proto::all_numbers_finite(body)) {
    return error_response(Error{errc::invalid_argument,
                                "invalid request body: a number is out of range (beyond a double)",
                                100006});
  }
  std::vector<std::pair<std::string, json::object>> sets;
  const std::string single = node_id_param(r);
  if (body.is_array()) {
    const auto& items = body.as_array();
    if (items.empty() || items.size() > kMaxSetsPerRequest) {
      return error_response(Error{errc::invalid_argument,
                                  "invalid request body: 1 to 25 node entries expected", 100006});
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto* item = items[i].if_object();
      const auto* id = item != nullptr ? item->if_contains("node_id") : nullptr;
      const auto* payload = item != nullptr ? item->if_contains("payload") : nullptr;
      if (id == nullptr || !id->is_string() || payload == nullptr || !payload->is_object()) {
        return error_response(Error{errc::invalid_argument,
                                    "invalid request body: entry " + std::to_string(i) +
                                        " needs a string node_id and an object payload",
                                    100006});
      }
      sets.emplace_back(std::string(id->as_string()), payload->as_object());
    }
  } else if (body.is_object() && !single.empty()) {
    sets.emplace_back(single, std::move(body.as_object()));
  } else {
    return error_response(Error{errc::invalid_argument,
                                "invalid request body: expected [{node_id, payload}] or an object "
                                "payload with ?node_id=",
                                100006});
  }
  const auto outcomes = nodes.set_params(who, sets);
  const bool all_ok =
      std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.success; });
  if (!body.is_array()) {
    const auto& o = outcomes.front();
    if (!o.success) {
      const bool missing = o.error_code == service::node_error::node_not_found;
      return error_response(
          Error{missing ? errc::not_found : errc::invalid_argument, o.description, o.error_code});
    }
    return http::json_response(200, json::serialize(outcome_json(o)));
  }
  json::array results;
  for (const auto& o : outcomes)
    results.push_back(outcome_json(o));
  return http::json_response(all_ok ? 200 : 207, json::serialize(results));
}

http::Response put_mapping(service::NodeService& nodes, const http::Request& r,
                           const Principal& who) {
  auto fields = string_fields<4>(r.body, {"node_id", "secret_key", "operation", "user_id"});
  if (!fields)
    return error_response(fields.error());
  const auto& [node_id, secret_key, operation, user_id] = *fields;
  if (!node_id)
    return error_response(missing_node_id());
  if (user_id && *user_id != who.user_id) {
    return error_response(Error{errc::forbidden, "user_id must be the caller's", 100004});
  }
  const std::string op = operation.value_or("add");
  if (op == "remove") {
    auto removed = nodes.remove_mapping(who, *node_id);
    if (!removed)
      return error_response(removed.error());
    return success_response(200, "Node removed");
  }
  if (op != "add") {
    return error_response(Error{errc::invalid_argument, "operation must be add or remove", 100006});
  }
  auto request_id = nodes.request_mapping(who, *node_id, secret_key.value_or(""));
  if (!request_id)
    return error_response(request_id.error());
  json::object body{{"status", "success"},
                    {"description", "Mapping request created"},
                    {"request_id", *request_id}};
  return http::json_response(200, json::serialize(body));
}

http::Response get_mapping(service::NodeService& nodes, const http::Request& r,
                           const Principal& who) {
  const auto request_id = r.query_param("request_id");
  if (!request_id || request_id->empty()) {
    return error_response(Error{errc::invalid_argument, "request_id is missing", 100006});
  }
  auto status = nodes.mapping_status(who, *request_id);
  if (!status)
    return error_response(status.error());
  return http::json_response(200, json::serialize(json::object{{"request_status", *status}}));
}

// Reads `"tags": [strings]` if present.
Result<std::vector<std::string>> tags_field(const json::object& body) {
  std::vector<std::string> tags;
  const auto* v = body.if_contains("tags");
  if (v == nullptr)
    return tags;
  if (!v->is_array())
    return fail(errc::invalid_argument, 100006,
                "invalid request body: tags must be an array of strings");
  for (const auto& t : v->as_array()) {
    if (!t.is_string())
      return fail(errc::invalid_argument, 100006,
                  "invalid request body: tags must be an array of strings");
    tags.emplace_back(t.as_string());
  }
  return tags;
}

http::Response update_node(service::NodeService& nodes, const http::Request& r,
                           const Principal& who, bool removing) {
  const std::string node_id = node_id_param(r);
  if (node_id.empty())
    return error_response(missing_node_id());
  auto body = parse_object(r.body);
  if (!body)
    return error_response(body.error());
  auto tags = tags_field(*body);
  if (!tags)
    return error_response(tags.error());
  const json::value* metadata = body->if_contains("metadata");
  if (tags->empty() && metadata == nullptr) {
    return error_response(
        Error{errc::invalid_argument, "invalid request body: tags or metadata expected", 100006});
  }
  auto done = removing ? nodes.remove_tags(who, node_id, *tags)
                       : nodes.update_tags_metadata(who, node_id, *tags, metadata);
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

}  // namespace stratus::api
