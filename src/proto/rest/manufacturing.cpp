#include "proto/rest/manufacturing.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {

namespace json = boost::json;

Result<CertificateRegistration> parse_certificate_registration(const json::object& body) {
  CertificateRegistration r;
  auto fields = optional_string_fields<9>(
      body, {"request_id", "file_name", "file_md5", "group_name", "parent_group_name", "type",
             "model", "subtype", "node_policies"});
  if (!fields)
    return fail(fields.error());
  auto& f = *fields;
  r.request_id = f[0].value_or("");
  r.file_name = f[1].value_or("");
  r.file_md5 = f[2].value_or("");
  r.group_name = f[3].value_or("");
  r.parent_group_name = f[4].value_or("");
  r.type = f[5].value_or("");
  r.model = f[6].value_or("");
  r.subtype = f[7].value_or("");
  if (const auto* tags = body.if_contains("tags"); tags != nullptr && !tags->is_null()) {
    if (tags->is_string()) {
      r.tags = std::string(tags->as_string());
    } else if (tags->is_array()) {
      auto list = optional_strings(body, "tags");
      if (!list)
        return fail(invalid_body("tags must be a string or an array of strings"));
      for (const auto& t : *list)
        r.tags += (r.tags.empty() ? "" : ",") + t;
    } else {
      return fail(invalid_body("tags must be a string or an array of strings"));
    }
  }
  auto force = optional_bool(body, "force");
  if (!force)
    return fail(force.error());
  auto update = optional_bool(body, "update_nodes");
  if (!update)
    return fail(update.error());
  r.force = *force;
  r.update_nodes = *update;
  return r;
}

json::object to_json(const CertificateRegistration& r) {
  return json::object{{"request_id", r.request_id},
                      {"file_name", r.file_name},
                      {"file_md5", r.file_md5},
                      {"group_name", r.group_name},
                      {"parent_group_name", r.parent_group_name},
                      {"type", r.type},
                      {"model", r.model},
                      {"subtype", r.subtype},
                      {"tags", r.tags},
                      {"force", r.force},
                      {"update_nodes", r.update_nodes}};
}

json::object to_json(const RegistrationStatusAnswer& s) {
  return json::object{{"status", s.status},
                      {"description", s.description},
                      {"total", s.total},
                      {"registered", s.registered},
                      {"failed", s.failed}};
}

RegistrationStatusAnswer parse_registration_status(const json::object& o) {
  return RegistrationStatusAnswer{string_or(o, "status"), string_or(o, "description"),
                                  int_or(o, "total"), int_or(o, "registered"), int_or(o, "failed")};
}

json::object to_json(const UploadUrlAnswer& a) {
  return json::object{{"url", a.url}, {"request_id", a.request_id}};
}

Result<UploadUrlAnswer> parse_upload_url(const json::object& o) {
  UploadUrlAnswer a{string_or(o, "url"), string_or(o, "request_id")};
  if (a.url.empty())
    return fail(errc::internal, "the upload URL answer has no url");
  return a;
}

json::object to_json(const CaCertificateAnswer& ca) {
  return json::object{{"status", "success"},
                      {"fingerprint", ca.fingerprint},
                      {"subject", ca.subject},
                      {"not_after", ca.not_after},
                      {"added_at", ca.added_at}};
}

CaCertificateAnswer parse_ca_certificate(const json::object& o) {
  return CaCertificateAnswer{string_or(o, "fingerprint"), string_or(o, "subject"),
                             int_or(o, "not_after"), int_or(o, "added_at")};
}

json::object to_json(const RevokedCertificateEntry& e) {
  return json::object{{"node_id", e.node_id},         {"serial", e.serial},
                      {"fingerprint", e.fingerprint}, {"method", e.method},
                      {"revoked_at", e.revoked_at},   {"reason", e.reason}};
}

RevokedCertificateEntry parse_revoked_certificate(const json::object& o) {
  return RevokedCertificateEntry{string_or(o, "node_id"),     string_or(o, "serial"),
                                 string_or(o, "fingerprint"), string_or(o, "method"),
                                 int_or(o, "revoked_at"),     string_or(o, "reason")};
}

json::object to_json(const RevokedPage& page) {
  json::array list;
  for (const auto& e : page.revoked)
    list.emplace_back(to_json(e));
  json::object o{{"revoked", std::move(list)}};
  if (page.next_start)
    o["next_start"] = *page.next_start;
  return o;
}

RevokedPage parse_revoked_page(const json::object& o) {
  RevokedPage page;
  if (const auto* list = o.if_contains("revoked"); list != nullptr && list->is_array()) {
    for (const auto& e : list->as_array()) {
      if (e.is_object())
        page.revoked.push_back(parse_revoked_certificate(e.as_object()));
    }
  }
  if (o.contains("next_start"))
    page.next_start = int_or(o, "next_start");
  return page;
}

Result<NodeRevocationRequest> parse_node_revocation(const json::object& body) {
  auto fields = optional_string_fields<2>(body, {"node_id", "reason"});
  if (!fields)
    return fail(fields.error());
  return NodeRevocationRequest{(*fields)[0].value_or(""), (*fields)[1].value_or("")};
}

json::object to_json(const NodeRevocationRequest& r) {
  json::object o{{"node_id", r.node_id}};
  if (!r.reason.empty())
    o["reason"] = r.reason;
  return o;
}

}  // namespace stratus::proto::rest
