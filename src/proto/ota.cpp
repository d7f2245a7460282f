#include "proto/ota.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <utility>

namespace stratus::proto {
namespace {

namespace json = boost::json;

tl::unexpected<Error> field_error(std::string_view field, std::string_view what) {
  return fail(errc::invalid_argument, "otaurl: " + std::string(field) + ": " + std::string(what));
}

// Reads an optional string field into `out` (left empty when absent or null).
Result<void> read_optional_string(const json::object& o, std::string_view field,
                                  std::optional<std::string>& out) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null())
    return {};
  if (!v->is_string())
    return field_error(field, "expected a string");
  out = std::string(v->get_string());
  return {};
}

}  // namespace

std::string encode_ota_url(const OtaUrl& offer) {
  json::object o;
  o["ota_job_id"] = offer.ota_job_id;
  o["url"] = offer.url;
  if (offer.file_size)
    o["file_size"] = *offer.file_size;
  if (offer.file_md5)
    o["file_md5"] = *offer.file_md5;
  if (offer.fw_version)
    o["fw_version"] = *offer.fw_version;
  if (offer.file_sha256)
    o["file_sha256"] = *offer.file_sha256;
  if (offer.metadata) {
    json::error_code ec;
    json::value metadata = json::parse(*offer.metadata, ec);
    if (!ec && metadata.is_object())
      o["metadata"] = std::move(metadata);
  }
  return json::serialize(o);
}

Result<OtaUrl> parse_ota_url(std::string_view payload, std::size_t max_bytes) {
  auto o = parse_json_object(payload, max_bytes);
  if (!o)
    return fail(errc::invalid_argument, "otaurl: " + o.error().context);
  OtaUrl offer;
  for (auto [field, target] :
       {std::pair<std::string_view, std::string*>{"ota_job_id", &offer.ota_job_id},
        {"url", &offer.url}}) {
    const auto* v = o->if_contains(field);
    if (v == nullptr || !v->is_string() || v->get_string().empty())
      return field_error(field, "missing, not a string or empty");
    *target = std::string(v->get_string());
  }
  if (const auto* size = o->if_contains("file_size"); size != nullptr && !size->is_null()) {
    if (!(size->is_int64() && size->get_int64() >= 0) && !size->is_uint64())
      return field_error("file_size", "expected a non-negative integer");
    if (size->is_uint64() && size->get_uint64() > static_cast<std::uint64_t>(INT64_MAX))
      return field_error("file_size", "out of range");
    offer.file_size = size->to_number<std::int64_t>();
  }
  if (auto e = read_optional_string(*o, "file_md5", offer.file_md5); !e)
    return fail(std::move(e).error());
  if (auto e = read_optional_string(*o, "fw_version", offer.fw_version); !e)
    return fail(std::move(e).error());
  if (auto e = read_optional_string(*o, "file_sha256", offer.file_sha256); !e)
    return fail(std::move(e).error());
  if (const auto* metadata = o->if_contains("metadata");
      metadata != nullptr && !metadata->is_null()) {
    if (!metadata->is_object())
      return field_error("metadata", "expected an object");
    offer.metadata = json::serialize(*metadata);
  }
  return offer;
}

std::string encode_ota_fetch(std::string_view node_id, std::string_view fw_version) {
  json::object o;
  o["node_id"] = node_id;
  o["fw_version"] = fw_version;
  return json::serialize(o);
}

std::string encode_ota_status(std::string_view ota_job_id, OtaState status,
                              std::string_view additional_info, std::optional<std::int64_t> ts_s) {
  json::object o;
  o["ota_job_id"] = ota_job_id;
  o["status"] = to_string(status);
  o["additional_info"] = additional_info;
  if (ts_s)
    o["ts"] = *ts_s;
  return json::serialize(o);
}

}  // namespace stratus::proto
