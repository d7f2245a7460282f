// Proves the OTA calls of the REST client on the wire: the raw upload streams the file
// as an octet-stream body of its exact length with the declared fields in the query and
// a timeout that grows with the size; job creation, listing across pages, cancel and
// resume send the contract's bodies and read its answers; the user routes and the
// OTA-using-params helpers read the node's config and params; server failures keep their
// code. How: Session against a scripted loopback HTTP server (StubHttpServer) with a
// token that needs no refresh; no stratusd.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "client/session.hpp"
#include "core/base64.hpp"
#include "support/stub_http_server.hpp"
#include "support/temp_dir.hpp"

namespace stratus::client {
namespace {

namespace json = boost::json;
using test::StubReply;
using test::StubRequest;

// A JWT whose payload expires in 2100 (the signature is not checked by clients).
std::string token() {
  return "eyJhbGciOiJIUzI1NiJ9." +
         base64_encode(R"({"exp":4102444800,"custom:user_id":"u1","email":"root@example.com"})") +
         ".c2ln";
}

Session logged_in(const std::string& url) {
  SessionOptions options;
  options.url = url;
  auto s = Session::open(options);
  EXPECT_TRUE(s);
  s->set_tokens(Tokens{token(), token(), "refresh"});
  return std::move(*s);
}

std::string query_of(const std::string& target) {
  const auto q = target.find('?');
  return q == std::string::npos ? "" : target.substr(q + 1);
}

std::string path_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

TEST(OtaClient, UploadTimeoutGrowsWithTheSize) {
  SessionOptions options;
  EXPECT_EQ(upload_timeout(options, 0), options.long_request_timeout);
  EXPECT_EQ(upload_timeout(options, 1), options.long_request_timeout + std::chrono::seconds(1));
  EXPECT_EQ(upload_timeout(options, 200u * 1024 * 1024),
            options.long_request_timeout + std::chrono::seconds(800));
  options.upload_bytes_per_second = 0;
  EXPECT_EQ(upload_timeout(options, 200u * 1024 * 1024), options.long_request_timeout);
}

TEST(OtaClient, UploadStreamsTheFileWithItsDeclaredFields) {
  test::TempDir dir;
  const auto file = dir.path() / "light-1.2.0.bin";
  std::string content(300 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>(i * 31 % 251);
  std::ofstream(file, std::ios::binary) << content;

  test::StubHttpServer server([](const StubRequest&) {
    return StubReply{200, R"({"ota_image_id":"img1","image_name":"light fw","fw_version":"1.2.0",
      "model":"m1","type":"esp.device.lightbulb","file_size":307207,"file_sha256":"ab",
      "archived":false})"};
  });
  auto s = logged_in(server.url());
  auto image =
      s.upload_ota_image(OtaImageFile{file, "light fw", "1.2.0", "m1", "esp.device.lightbulb", ""});
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->ota_image_id, "img1");
  EXPECT_EQ(image->file_size, 307207);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(path_of(r.target), "/v1/admin/otaimage/upload");
  EXPECT_EQ(query_of(r.target),
            "image_name=light%20fw&fw_version=1.2.0&model=m1&type=esp.device.lightbulb");
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.header("content-length"), std::to_string(content.size()));
  EXPECT_EQ(r.header("authorization"), token());
  EXPECT_TRUE(r.body == content) << "the body is the file, byte for byte";

  auto missing = s.upload_ota_image(OtaImageFile{dir.path() / "nope.bin", "x", "", "", "", ""});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_EQ(server.requests().size(), 1u) << "nothing sent for a missing file";
}

TEST(OtaClient, JobsImagesAndStatusesFollowTheContract) {
  test::StubHttpServer server([](const StubRequest& r) -> StubReply {
    const auto path = path_of(r.target);
    const auto query = query_of(r.target);
    if (path == "/v1/admin/otajob" && r.method == "POST")
      return {200, R"({"status":"success","ota_job_id":"job1"})"};
    if (path == "/v1/admin/otajob" && r.method == "PUT") {
      if (r.body.find("resume") != std::string::npos)
        return {200, R"({"status":"success","description":"OTA job resumed"})"};
      return {200, R"({"ota_job_id":"job1","status":"cancelled","total_count":2})"};
    }
    if (path == "/v1/admin/otajob" && query == "ota_job_id=nope")
      return {404, R"({"status":"failure","error_code":105012,"description":"no such OTA job"})"};
    if (path == "/v1/admin/otajob/status") {
      if (query.find("start_id=n2") != std::string::npos)
        return {200, R"({"node_ota_status":[{"node_id":"n2","status":"success","timestamp":5}]})"};
      return {200, R"({"node_ota_status":[{"node_id":"n1","status":"in-progress",
        "timestamp":4,"additional_info":"Downloading"}],"next_id":"n2"})"};
    }
    if (path == "/v1/admin/otaimage" && r.method == "GET")
      return {200, R"({"ota_images":[{"ota_image_id":"img1","fw_version":"1.2.0"}]})"};
    if (path == "/v1/admin/otaimage")
      return {200, R"({"status":"success","description":"done"})"};
    return {404, R"({"status":"failure","error_code":1,"description":"unexpected"})"};
  });
  auto s = logged_in(server.url());

  NewOtaJob job;
  job.ota_job_name = "rollout 1";
  job.ota_image_id = "img1";
  job.nodes = {"n1", "n2"};
  job.rollout = OtaRollout{1, std::nullopt, 60, 50};
  auto id = s.create_ota_job(job);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*id, "job1");
  auto body = json::parse(server.requests().back().body).as_object();
  EXPECT_EQ(body.at("ota_job_name").as_string(), "rollout 1");
  EXPECT_EQ(body.at("nodes").as_array().size(), 2u);
  EXPECT_EQ(body.at("rollout").as_object().at("batch_size").as_int64(), 1);

  auto statuses = s.all_ota_job_statuses("job1");
  ASSERT_TRUE(statuses) << statuses.error().message();
  ASSERT_EQ(statuses->size(), 2u) << "next_id is followed";
  EXPECT_EQ((*statuses)[0].additional_info, "Downloading");
  EXPECT_EQ((*statuses)[1].status, "success");
  EXPECT_EQ(query_of(server.requests().back().target),
            "ota_job_id=job1&start_id=n2&num_records=100");

  auto cancelled = s.cancel_ota_job("job1");
  ASSERT_TRUE(cancelled) << cancelled.error().message();
  EXPECT_EQ(cancelled->status, "cancelled");
  EXPECT_EQ(server.requests().back().body, R"({"ota_job_id":"job1"})");
  ASSERT_TRUE(s.resume_ota_job("job1"));
  EXPECT_EQ(server.requests().back().body, R"({"ota_job_id":"job1","resume":true})");

  auto unknown = s.ota_job("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::not_found);
  EXPECT_EQ(unknown.error().reason, 105012);

  auto images = s.all_ota_images(true);
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ(query_of(server.requests().back().target), "num_records=100&archived=true");
  ASSERT_TRUE(s.archive_ota_image("img1", false));
  EXPECT_EQ(server.requests().back().method, "PUT");
  EXPECT_EQ(query_of(server.requests().back().target), "ota_image_id=img1&archive=false");
  ASSERT_TRUE(s.delete_ota_image("img1"));
  EXPECT_EQ(server.requests().back().method, "DELETE");
}

TEST(OtaClient, TheParamsFlowReadsConfigAndParamsAndSetsTheUrl) {
  test::StubHttpServer server([](const StubRequest& r) -> StubReply {
    const auto path = path_of(r.target);
    if (path == "/v1/user/nodes/config")
      return {200, R"({"node_id":"n1","services":[{"name":"OTA","type":"esp.service.ota",
        "params":[{"name":"URL","type":"esp.param.ota_url"},
                  {"name":"Status","type":"esp.param.ota_status"},
                  {"name":"Info","type":"esp.param.ota_info"}]}]})"};
    if (path == "/v1/user/nodes/params")
      return {200, R"({"OTA":{"Status":"in-progress","Info":"Downloading"}})"};
    if (path == "/v1/user/otaimage")
      return {200, R"({"status":"success","ota_image_id":"u1","image_url":"http://x/dl?sig=1"})"};
    return {200, R"({"status":"success","description":"ok"})"};
  });
  auto s = logged_in(server.url());
  auto service = s.ota_params_service("n1");
  ASSERT_TRUE(service) << service.error().message();
  ASSERT_TRUE(*service);
  EXPECT_EQ((*service)->url_param, "URL");
  auto progress = s.ota_params_progress("n1", **service);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->status, "in-progress");

  auto image = s.upload_user_ota_image(OtaImageUpload{"fw", base64_encode("abc"), {}, {}, {}});
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->image_url, "http://x/dl?sig=1");
  EXPECT_EQ(server.requests().back().body, R"({"image_name":"fw","base64_fwimage":"YWJj"})");

  ASSERT_TRUE(s.start_ota_params_update("n1", **service, image->image_url));
  EXPECT_EQ(server.requests().back().method, "PUT");
  EXPECT_EQ(path_of(server.requests().back().target), "/v1/user/nodes/params");
  EXPECT_EQ(server.requests().back().body,
            R"([{"node_id":"n1","payload":{"OTA":{"URL":"http://x/dl?sig=1"}}}])");
  auto no_url = s.start_ota_params_update("n1", OtaParamsService{"OTA", "", "", ""}, "u");
  ASSERT_FALSE(no_url);
  EXPECT_EQ(no_url.error().code, errc::invalid_argument);
}

}  // namespace
}  // namespace stratus::client
