#include "proto/rest/groups.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

Result<std::optional<bool>> optional_flag(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::optional<bool>();
  if (!v->is_bool())
    return fail(invalid_body(std::string(key) + " must be a boolean"));
  return std::optional<bool>(v->as_bool());
}

json::object group_json(const Group& g) {
  json::object o;
  o["group_id"] = g.group_id;
  o["group_name"] = g.group_name;
  if (!g.parent_group_id.empty())
    o["parent_group_id"] = g.parent_group_id;
  o["type"] = g.type;
  o["description"] = g.description;
  o["mutually_exclusive"] = g.mutually_exclusive;
  o["is_matter"] = g.is_matter;
  json::value custom = document_value(g.custom_data_json);
  o["custom_data"] = custom.is_object() ? std::move(custom) : json::value(json::object());
  o["primary"] = g.primary;
  o["sub_role"] = g.sub_role;
  o["total"] = g.total;
  if (g.node_details) {
    json::array details;
    for (const auto& d : *g.node_details)
      details.emplace_back(to_json(d));
    o["node_details"] = std::move(details);
  } else if (g.nodes) {
    o["nodes"] = strings_json(*g.nodes);
  }
  if (g.sub_groups) {
    json::array subs;
    for (const auto& s : *g.sub_groups)
      subs.emplace_back(group_json(s));
    o["sub_groups"] = std::move(subs);
  }
  return o;
}

Group parse_group(const json::object& o, int depth) {
  Group g;
  g.group_id = string_or(o, "group_id");
  g.group_name = string_or(o, "group_name");
  g.parent_group_id = string_or(o, "parent_group_id");
  g.type = string_or(o, "type");
  g.description = string_or(o, "description");
  g.mutually_exclusive = bool_or(o, "mutually_exclusive", false);
  g.is_matter = bool_or(o, "is_matter", false);
  g.custom_data_json = document_or_empty(o, "custom_data");
  g.primary = bool_or(o, "primary", false);
  g.sub_role = static_cast<int>(std::clamp<std::int64_t>(int_or(o, "sub_role", 0), 0, 255));
  g.total = int_or(o, "total", 0);
  if (const auto* v = o.if_contains("nodes"); v != nullptr && v->is_array())
    g.nodes = strings_or_empty(o, "nodes");
  if (const auto* v = o.if_contains("node_details"); v != nullptr && v->is_array()) {
    g.node_details.emplace();
    for (const auto& d : v->as_array()) {
      if (const auto* entry = d.if_object())
        g.node_details->push_back(parse_node_details(*entry));
    }
  }
  // Nesting is bounded by the server; a hostile answer must not recurse without end.
  if (const auto* v = o.if_contains("sub_groups"); v != nullptr && v->is_array() && depth < 8) {
    g.sub_groups.emplace();
    for (const auto& s : v->as_array()) {
      if (const auto* entry = s.if_object())
        g.sub_groups->push_back(parse_group(*entry, depth + 1));
    }
  }
  return g;
}

}  // namespace

bool GroupFields::empty() const noexcept {
  return !group_name && !parent_group_id && !description && !type && !mutually_exclusive &&
         !is_matter && !custom_data_json && nodes.empty() && !operation;
}

Result<GroupFields> parse_group_fields(const json::object& body) {
  GroupFields f;
  auto text = optional_string_fields<5>(
      body, {"group_name", "parent_group_id", "description", "type", "operation"});
  if (!text)
    return fail(text.error());
  auto& [name, parent, description, type, operation] = *text;
  f.group_name = std::move(name);
  f.parent_group_id = std::move(parent);
  f.description = std::move(description);
  f.type = std::move(type);
  f.operation = std::move(operation);
  auto exclusive = optional_flag(body, "mutually_exclusive");
  if (!exclusive)
    return fail(exclusive.error());
  f.mutually_exclusive = *exclusive;
  auto matter = optional_flag(body, "is_matter");
  if (!matter)
    return fail(matter.error());
  f.is_matter = *matter;
  if (const auto* v = body.if_contains("custom_data")) {
    if (v->is_null())
      f.custom_data_json = "null";
    else if (v->is_object())
      f.custom_data_json = json::serialize(*v);
    else
      return fail(invalid_body("custom_data must be an object or null"));
  }
  auto nodes = optional_strings(body, "nodes");
  if (!nodes)
    return fail(nodes.error());
  f.nodes = std::move(*nodes);
  return f;
}

json::object to_json(const GroupFields& f) {
  json::object o;
  if (f.group_name)
    o["group_name"] = *f.group_name;
  if (f.parent_group_id)
    o["parent_group_id"] = *f.parent_group_id;
  if (f.is_matter)
    o["is_matter"] = *f.is_matter;
  if (f.description)
    o["description"] = *f.description;
  if (f.mutually_exclusive)
    o["mutually_exclusive"] = *f.mutually_exclusive;
  if (f.custom_data_json)
    o["custom_data"] = document_value(*f.custom_data_json);
  if (!f.nodes.empty())
    o["nodes"] = strings_json(f.nodes);
  if (f.type)
    o["type"] = *f.type;
  if (f.operation)
    o["operation"] = *f.operation;
  return o;
}

json::object group_created_json(std::string_view group_id) {
  json::object o = success_body("Group created successfully");
  o["group_id"] = group_id;
  return o;
}

Result<std::string> parse_group_created(const json::object& a) {
  auto id = string_or(a, "group_id");
  if (id.empty())
    return fail(errc::internal, "the answer lacks group_id");
  return id;
}

json::object to_json(const GroupPage& page) {
  json::array groups;
  groups.reserve(page.groups.size());
  for (const auto& g : page.groups)
    groups.emplace_back(group_json(g));
  json::object o;
  o["groups"] = std::move(groups);
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  o["total"] = page.total;
  return o;
}

GroupPage parse_group_page(const json::object& a) {
  GroupPage page;
  if (const auto* v = a.if_contains("groups"); v != nullptr && v->is_array()) {
    for (const auto& g : v->as_array()) {
      if (const auto* entry = g.if_object())
        page.groups.push_back(parse_group(*entry, 0));
    }
  }
  page.next_id = string_or(a, "next_id");
  page.total = int_or(a, "total", static_cast<std::int64_t>(page.groups.size()));
  return page;
}

std::string json_text(const GroupPage& page) {
  return json::serialize(to_json(page));
}

}  // namespace stratus::proto::rest
