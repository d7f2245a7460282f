#include "api/ota_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/ota.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using detail::query_flag;
using service::Principal;

constexpr std::size_t kDefaultPage = 25;

Result<std::size_t> page_size(const http::Request& r) {
  const auto num = r.query_param("num_records");
  if (!num || num->empty())
    return kDefaultPage;
  return rest::parse_page_size(num);
}

http::Response answer_image(const Result<rest::OtaImage>& image) {
  if (!image)
    return error_response(image.error());
  return json_answer(200, rest::ota_image_created_json(image->ota_image_id, image->image_url));
}

// --- images ----------------------------------------------------------------------

http::Response post_image(service::OtaService& ota, const http::Request& r, const Principal& who) {
  auto upload = read_body(r.body, rest::parse_ota_image_upload);
  if (!upload)
    return error_response(upload.error());
  return answer_image(ota.add_base64_image(who, *upload));
}

http::Response upload_image(service::OtaService& ota, const http::Request& r,
                            const Principal& who) {
  service::OtaImageDeclaration declared;
  declared.image_name = std::string(r.query_param("image_name").value_or(""));
  if (const auto v = r.query_param("fw_version"); v && !v->empty())
    declared.fw_version = std::string(*v);
  if (const auto v = r.query_param("project_name"); v && !v->empty())
    declared.project_name = std::string(*v);
  declared.model = std::string(r.query_param("model").value_or(""));
  declared.type = std::string(r.query_param("type").value_or(""));
  declared.signature = std::string(r.query_param("signature").value_or(""));
  if (r.body_file.empty()) {
    return error_response(Error{errc::invalid_argument, "the image body is missing",
                                rest::ota_image_error::image_missing});
  }
  auto image = ota.add_image(who, r.body_file, declared);
  if (!image)
    return error_response(image.error());
  return json_answer(200, rest::to_json(*image));
}

http::Response get_images(service::OtaService& ota, const http::Request& r, const Principal& who) {
  if (const auto id = r.query_param("ota_image_id"); id && !id->empty()) {
    auto image = ota.get_image(who, *id);
    if (!image)
      return error_response(image.error());
    return json_answer(200, rest::to_json(*image));
  }
  auto limit = page_size(r);
  if (!limit)
    return error_response(limit.error());
  auto archived = query_flag(r, "archived");
  if (!archived)
    return error_response(archived.error());
  auto page = ota.list_images(who, r.query_param("start_id").value_or(""), *limit, *archived);
  if (!page)
    return error_response(page.error());
  return json_answer(200, rest::to_json(*page));
}

Result<std::string_view> image_id(const http::Request& r) {
  const auto id = r.query_param("ota_image_id");
  if (!id || id->empty()) {
    return fail(Error{errc::invalid_argument, "ota_image_id is missing",
                      rest::ota_image_error::id_missing});
  }
  return *id;
}

http::Response put_image(service::OtaService& ota, const http::Request& r, const Principal& who) {
  auto id = image_id(r);
  if (!id)
    return error_response(id.error());
  auto archive = query_flag(r, "archive");
  if (!archive)
    return error_response(archive.error());
  if (auto done = ota.archive_image(who, *id, *archive); !done)
    return error_response(done.error());
  return success_response(200, *archive ? "OTA image archived" : "OTA image unarchived");
}

http::Response delete_image(service::OtaService& ota, const http::Request& r,
                            const Principal& who) {
  auto id = image_id(r);
  if (!id)
    return error_response(id.error());
  if (auto done = ota.delete_image(who, *id); !done)
    return error_response(done.error());
  return success_response(200, "OTA image deleted");
}

http::Response post_user_image(service::OtaService& ota, const http::Request& r,
                               const Principal& who) {
  auto upload = read_body(r.body, rest::parse_ota_image_upload);
  if (!upload)
    return error_response(upload.error());
  return answer_image(ota.add_user_image(who, *upload));
}

// --- jobs ------------------------------------------------------------------------

http::Response post_job(service::OtaService& ota, const http::Request& r, const Principal& who) {
  auto job = read_body(r.body, rest::parse_new_ota_job);
  if (!job)
    return error_response(job.error());
  for (auto [name, flag] : {std::pair<std::string_view, bool*>{"force_push", &job->force_push},
                            {"user_approval", &job->user_approval}}) {
    auto value = query_flag(r, name);
    if (!value)
      return error_response(value.error());
    *flag = *flag || *value;
  }
  auto id = ota.create_job(who, *job);
  if (!id)
    return error_response(id.error());
  return json_answer(200, json::object{{"status", "success"}, {"ota_job_id", *id}});
}

http::Response get_jobs(service::OtaService& ota, const http::Request& r, const Principal& who) {
  if (const auto id = r.query_param("ota_job_id"); id && !id->empty()) {
    auto job = ota.get_job(who, *id);
    if (!job)
      return error_response(job.error());
    return json_answer(200, rest::to_json(*job));
  }
  auto limit = page_size(r);
  if (!limit)
    return error_response(limit.error());
  auto page = ota.list_jobs(who, r.query_param("start_id").value_or(""), *limit);
  if (!page)
    return error_response(page.error());
  return json_answer(200, rest::to_json(*page));
}

http::Response put_job(service::OtaService& ota, const http::Request& r, const Principal& who) {
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  auto id = rest::optional_string(*body, "ota_job_id");
  if (!id)
    return error_response(id.error());
  if (!*id || (*id)->empty()) {
    return error_response(
        Error{errc::invalid_argument, "ota_job_id is missing", rest::ota_job_error::id_missing});
  }
  auto resume = rest::optional_bool(*body, "resume");
  if (!resume)
    return error_response(resume.error());
  if (*resume) {
    if (auto done = ota.resume_job(who, **id); !done)
      return error_response(done.error());
    return success_response(200, "OTA job resumed");
  }
  if (auto done = ota.cancel_job(who, **id); !done)
    return error_response(done.error());
  auto job = ota.get_job(who, **id);
  if (!job)
    return error_response(job.error());
  return json_answer(200, rest::to_json(*job));
}

http::Response get_job_status(service::OtaService& ota, const http::Request& r,
                              const Principal& who) {
  auto limit = page_size(r);
  if (!limit)
    return error_response(limit.error());
  auto page = ota.job_statuses(who, r.query_param("ota_job_id").value_or(""),
                               r.query_param("node_id").value_or(""),
                               r.query_param("start_id").value_or(""), *limit);
  if (!page)
    return error_response(page.error());
  return json_answer(200, rest::to_json(*page));
}

// --- user node routes ------------------------------------------------------------

http::Response get_node_status(service::OtaService& ota, const http::Request& r,
                               const Principal& who) {
  auto status = ota.node_status(who, r.query_param("node_id").value_or(""),
                                r.query_param("ota_job_id").value_or(""));
  if (!status)
    return error_response(status.error());
  return json_answer(200, rest::to_json(*status));
}

http::Response get_update(service::OtaService& ota, const http::Request& r, const Principal& who) {
  auto check = ota.check_update(who, r.query_param("node_id").value_or(""));
  if (!check)
    return error_response(check.error());
  return json_answer(200, rest::to_json(*check));
}

http::Response post_update(service::OtaService& ota, const http::Request& r, const Principal& who) {
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  auto fields = rest::optional_string_fields<2>(*body, {"ota_job_id", "node_id"});
  if (!fields)
    return error_response(fields.error());
  auto done = ota.approve_update(who, (*fields)[1].value_or(""), (*fields)[0].value_or(""));
  if (!done)
    return error_response(done.error());
  return success_response(200, "OTA update started");
}

// --- download --------------------------------------------------------------------

http::Response download(service::OtaService& ota, const Clock& clock, const http::Request& r) {
  const auto signer = ota.signer();
  if (signer == nullptr) {
    return error_response(Error{errc::forbidden, "OTA downloads are not offered",
                                rest::ota_job_error::download_forbidden});
  }
  const auto now_s = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count());
  auto grant = signer->verify(r.query_param("image"), r.query_param("node"), r.query_param("user"),
                              r.query_param("expires"), r.query_param("sig"), now_s);
  if (!grant)
    return error_response(grant.error());
  auto file = ota.authorize_download(*grant);
  if (!file)
    return error_response(file.error());
  return http::file_response(
      file->path, static_cast<std::uint64_t>(file->size), r.header("Range"),
      "application/octet-stream",
      {{"ETag", "\"" + file->sha256 + "\""}, {"Cache-Control", "private, no-store"}});
}

}  // namespace

void add_ota_routes(http::Router& router, service::AccountService& accounts,
                    service::OtaService& ota, boost::asio::thread_pool& pool, const Clock& clock,
                    std::size_t max_image_bytes) {
  auto& o = ota;
  using H = http::Response (*)(service::OtaService&, const http::Request&, const Principal&);
  const auto add = [&](std::string_view method, std::string path, H handler,
                       http::RouteOptions options = {}) {
    router.add(method, std::move(path),
               on_pool(pool, authed(accounts,
                                    [&o, handler](const http::Request& r, const Principal& p) {
                                      return handler(o, r, p);
                                    })),
               options);
  };
  const http::RouteOptions base64_body{.max_body_bytes = kMaxBase64BodyBytes};
  add("POST", "/v1/admin/otaimage", post_image, base64_body);
  add("GET", "/v1/admin/otaimage", get_images);
  add("PUT", "/v1/admin/otaimage", put_image);
  add("DELETE", "/v1/admin/otaimage", delete_image);
  add("POST", "/v1/admin/otaimage/upload", upload_image,
      http::RouteOptions{.max_body_bytes = max_image_bytes, .body_to_file = true});
  add("POST", "/v1/admin/otajob", post_job);
  add("GET", "/v1/admin/otajob", get_jobs);
  add("PUT", "/v1/admin/otajob", put_job);
  add("GET", "/v1/admin/otajob/status", get_job_status);
  add("POST", "/v1/user/otaimage", post_user_image, base64_body);
  add("GET", "/v1/user/nodes/ota_status", get_node_status);
  add("GET", "/v1/user/nodes/ota_update", get_update);
  add("POST", "/v1/user/nodes/ota_update", post_update);
  router.add("GET", "/v1/ota/download",
             on_pool(pool, [&o, &clock](const http::Request& r) { return download(o, clock, r); }));
}

}  // namespace stratus::api
