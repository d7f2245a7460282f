#include "api/group_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/detail/node_details.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/groups.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {
namespace {

namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

Error group_id_missing() {
  return Error{errc::invalid_argument, "group_id is missing", rest::group_error::group_id_missing};
}

rest::Group group_dto(const service::GroupView& v, service::GroupNodes nodes) {
  rest::Group g;
  g.group_id = v.group.group_id;
  g.group_name = v.group.group_name;
  g.parent_group_id = v.group.parent_group_id;
  g.type = v.group.type;
  g.description = v.group.description;
  g.mutually_exclusive = v.group.mutually_exclusive;
  g.is_matter = v.group.is_matter;
  g.custom_data_json = v.group.custom_data;
  g.primary = v.role == "primary";
  g.sub_role = v.sub_role;
  g.total = v.node_count;
  if (nodes == service::GroupNodes::ids) {
    g.nodes = v.node_ids;
  } else if (nodes == service::GroupNodes::details) {
    g.node_details.emplace();
    for (const auto& n : v.node_details)
      g.node_details->push_back(detail::node_details(n));
  }
  if (v.sub_groups) {
    g.sub_groups.emplace();
    for (const auto& s : *v.sub_groups)
      g.sub_groups->push_back(group_dto(s, nodes));
  }
  return g;
}

http::Response create(service::GroupService& groups, const http::Request& r, const Principal& who) {
  auto fields = read_body(r.body, rest::parse_group_fields);
  if (!fields)
    return error_response(fields.error());
  if (fields->operation) {
    return error_response(Error{errc::invalid_argument, "operation belongs to an update",
                                rest::group_error::operation_invalid});
  }
  auto id = groups.create(who, *fields);
  if (!id)
    return error_response(id.error());
  return json_answer(200, rest::group_created_json(*id));
}

http::Response get(service::GroupService& groups, const http::Request& r, const Principal& who) {
  const auto sub_groups = detail::query_flag(r, "sub_groups");
  const auto details = detail::query_flag(r, "node_details");
  const auto list = detail::query_flag(r, "node_list");
  for (const auto* f : {&sub_groups, &details, &list}) {
    if (!*f)
      return error_response(f->error());
  }
  const auto nodes = *details ? service::GroupNodes::details
                     : *list  ? service::GroupNodes::ids
                              : service::GroupNodes::none;
  rest::GroupPage page;
  if (const auto id = r.query_param("group_id")) {
    if (id->empty())
      return error_response(group_id_missing());
    auto v = groups.get(who, *id, *sub_groups, nodes);
    if (!v)
      return error_response(v.error());
    page.groups.push_back(group_dto(*v, nodes));
    page.total = 1;
    return json_answer(200, rest::to_json(page));
  }
  // The CLI's `group list` sends `limit`; the published API names it `num_records`.
  auto limit = rest::parse_page_size(r.query_param("num_records") ? r.query_param("num_records")
                                                                  : r.query_param("limit"));
  if (!limit)
    return error_response(limit.error());
  auto listed =
      groups.list(who, r.query_param("start_id").value_or(""), *limit, *sub_groups, nodes);
  if (!listed)
    return error_response(listed.error());
  for (const auto& v : listed->groups)
    page.groups.push_back(group_dto(v, nodes));
  page.next_id = listed->next_id;
  page.total = listed->total;
  return json_answer(200, rest::to_json(page));
}

http::Response update(service::GroupService& groups, const http::Request& r, const Principal& who) {
  const auto id = r.query_param("group_id");
  if (!id || id->empty())
    return error_response(group_id_missing());
  auto fields = read_body(r.body, rest::parse_group_fields);
  if (!fields)
    return error_response(fields.error());
  auto done = groups.update(who, *id, *fields);
  if (!done)
    return error_response(done.error());
  return success_response(200, "Group updated successfully");
}

// The TS SDK's leave and removeSharingFor (spec rainmaker-cloud.md §2.4) use this route
// with a flag: without reading it, either deleted the whole group.
http::Response remove(service::GroupService& groups, service::SharingService& sharing,
                      const http::Request& r, const Principal& who) {
  const auto id = r.query_param("group_id");
  if (!id || id->empty())
    return error_response(group_id_missing());
  const auto leave = detail::query_flag(r, "leave");
  const auto remove_sharing = detail::query_flag(r, "remove_sharing");
  for (const auto* f : {&leave, &remove_sharing}) {
    if (!*f)
      return error_response(f->error());
  }
  if (*leave && *remove_sharing)
    return error_response(rest::invalid_body("leave and remove_sharing exclude each other"));
  if (*remove_sharing) {
    const auto user_name = r.query_param("user_name").value_or("");
    if (user_name.empty()) {
      return error_response(Error{errc::invalid_argument, "user_name is missing",
                                  rest::group_error::user_name_missing});
    }
    auto done = sharing.unshare(who, rest::SharingKind::group, {std::string(*id)}, user_name);
    if (!done)
      return error_response(done.error());
    return success_response(200, "Group sharing removed successfully");
  }
  if (*leave) {
    auto done = groups.leave(who, *id);
    if (!done)
      return error_response(done.error());
    return success_response(200, "Left the group successfully");
  }
  auto done = groups.remove(who, *id);
  if (!done)
    return error_response(done.error());
  return success_response(200, "Group removed successfully");
}

}  // namespace

void add_group_routes(http::Router& router, service::AccountService& accounts,
                      service::GroupService& groups, service::SharingService& sharing,
                      boost::asio::thread_pool& pool) {
  const auto add = [&](std::string_view method, detail::AuthedHandler h) {
    router.add(method, "/v1/user/node_group", on_pool(pool, authed(accounts, std::move(h))));
  };
  auto& g = groups;
  add("POST", [&g](const http::Request& r, const Principal& p) { return create(g, r, p); });
  add("GET", [&g](const http::Request& r, const Principal& p) { return get(g, r, p); });
  add("PUT", [&g](const http::Request& r, const Principal& p) { return update(g, r, p); });
  add("DELETE", [&g, &sharing](const http::Request& r, const Principal& p) {
    return remove(g, sharing, r, p);
  });
}

}  // namespace stratus::api
