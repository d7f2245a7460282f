// Proves the RainMaker user API over real HTTP against the whole server: the
// CLI's flow end to end, token checks, refresh rotation, rate limits, and that
// bad input gets a clear failure and changes nothing. Also fleet administration's account
// side (issue 18): every /v1/admin/ route refuses a user token (one table, checked
// complete against the server's routes), a disabled user is refused everywhere, and
// account and admin actions leave audit rows with the caller's address.
// How: server::Server in-process on 127.0.0.1 port 0 in a temp dir (real
// SQLite, real mosquitto); verification codes read from the outbox folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>

#include "server/accounts.hpp"
#include "server/server.hpp"
#include "support/http_client.hpp"
#include "support/rainmaker_reply.hpp"
#include "support/temp_dir.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class AccountsHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    config_ = new config::Config();
    config_->server.data_dir = (dir_->path() / "data").string();
    config_->http.bind_address = "127.0.0.1";
    config_->http.port = 0;
    config_->broker.bind_address = "127.0.0.1";
    config_->broker.port = 0;
    config_->broker.plugin_path = (std::filesystem::path(std::getenv("STRATUS_BUILD_DIR")) /
                                   "lib/stratus/stratus_mosquitto_plugin.so")
                                      .string();
    config_->accounts.argon2_ops_limit = 1;
    config_->accounts.argon2_mem_limit_kib = 8;
    config_->accounts.login_failures_per_user = 3;
    clock_ = new ManualClock(std::chrono::system_clock::now());
    server_ = new server::Server(*config_, *clock_);
    const auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete clock_;
    delete config_;
    delete dir_;
  }

  static HttpReply call(std::string_view method, std::string_view target,
                        std::string_view body = {}, const HeaderList& headers = {}) {
    HeaderList h = headers;
    h.emplace_back("Content-Type", "application/json");
    return http_request("127.0.0.1", server_->runtime().http_port, method, target, body, h);
  }

  // The newest code mailed to `user` (by file time: names have 1 s resolution).
  static std::string outbox_code(const std::string& user) {
    std::filesystem::file_time_type newest{};
    std::string code;
    for (const auto& f : std::filesystem::directory_iterator(
             std::filesystem::path(config_->server.data_dir) / "outbox")) {
      const std::string text = read_file(f.path());
      if (text.find("To: " + user + "\n") == std::string::npos)
        continue;
      const auto at = text.find("Verification code: ");
      if (at != std::string::npos && (code.empty() || f.last_write_time() > newest)) {
        newest = f.last_write_time();
        code = text.substr(at + 19, 6);
      }
    }
    return code;
  }

  static json::object sign_up_and_log_in(const std::string& user, const std::string& password) {
    EXPECT_EQ(call("POST", "/v1/user2",
                   json::serialize(json::object{{"user_name", user}, {"password", password}}))
                  .status,
              201);
    EXPECT_EQ(call("POST", "/v1/user2",
                   json::serialize(
                       json::object{{"user_name", user}, {"verification_code", outbox_code(user)}}))
                  .status,
              201);
    const auto login =
        call("POST", "/v1/login2",
             json::serialize(json::object{{"user_name", user}, {"password", password}}));
    EXPECT_EQ(login.status, 200) << login.body;
    return json_object(login);
  }

  static TempDir* dir_;
  static config::Config* config_;
  static server::Server* server_;
  static ManualClock* clock_;
};

TempDir* AccountsHttpTest::dir_ = nullptr;
config::Config* AccountsHttpTest::config_ = nullptr;
server::Server* AccountsHttpTest::server_ = nullptr;
ManualClock* AccountsHttpTest::clock_ = nullptr;

// Every /v1/admin/ route, with a target and a body its parser accepts, so that what is
// tested is the authorization, not a parse error. Add a row for every new admin route:
// EveryAdminRouteIsInTheTable fails until it is here.
struct AdminRoute {
  const char* method;
  const char* target;
  const char* body;
};
constexpr AdminRoute kAdminRoutes[] = {
    {"GET", "/v1/admin/users", ""},
    {"PUT", "/v1/admin/users/status", R"({"user":"x@example.com","disabled":true})"},
    {"PUT", "/v1/admin/users/quota", R"({"user":"x@example.com","node_quota":3})"},
    {"GET", "/v1/admin/nodes", ""},
    {"GET", "/v1/admin/nodes?node_id=n1", ""},
    {"DELETE", "/v1/admin/nodes/mapping?node_id=n1", ""},
    {"PUT", "/v1/admin/nodes/primary", R"({"node_id":"n1","user":"x@example.com"})"},
    {"GET", "/v1/admin/audit", ""},
    {"GET", "/v1/admin/wirepas/credentials", ""},
    {"POST", "/v1/admin/wirepas/credentials", R"({"role":"gateway","name":"gw-1"})"},
    {"DELETE", "/v1/admin/wirepas/credentials?name=gw-1", ""},
    {"POST", "/v1/admin/otaimage", R"({"image_name":"i","base64_fwimage":"AAAA"})"},
    {"GET", "/v1/admin/otaimage", ""},
    {"PUT", "/v1/admin/otaimage?ota_image_id=i&archive=true", ""},
    {"DELETE", "/v1/admin/otaimage?ota_image_id=i", ""},
    {"POST", "/v1/admin/otaimage/upload?image_name=i&fw_version=1&model=m&type=t", "x"},
    {"POST", "/v1/admin/otajob", R"({"ota_job_name":"j","ota_image_id":"i","nodes":["n1"]})"},
    {"GET", "/v1/admin/otajob", ""},
    {"PUT", "/v1/admin/otajob", R"({"ota_job_id":"j"})"},
    {"GET", "/v1/admin/otajob/status?ota_job_id=j", ""},
    {"GET", "/v1/admin/nodes/tsdata?node_id=n1&param_name=Sensor.Temperature", ""},
    {"GET", "/v1/admin/nodes/simple_tsdata?node_id=n1&param_name=Sensor.Mode&data_type=string", ""},
    // manufacturing and revocation (docs/adr/0014)
    {"GET", "/v1/admin/mqtt_host", ""},
    {"GET", "/v1/admin/rainmaker_deployment_details?pre_requisite=True", ""},
    {"POST", "/v1/admin/node_ids", R"({"node_count":2})"},
    {"GET", "/v1/admin/node_ids?request_id=r", ""},
    {"GET", "/v1/admin/node_certificates/register?file_name=certs.csv", ""},
    {"POST", "/v1/admin/node_certificates/register", R"({"request_id":"r","file_md5":"x"})"},
    {"GET", "/v1/admin/node_group?group_name=g", ""},
    {"POST", "/v1/admin/cacert", R"({"certificate":"x"})"},
    {"GET", "/v1/admin/cacert", ""},
    {"POST", "/v1/admin/nodes/revoke", R"({"node_id":"n1"})"},
    {"POST", "/v1/admin/nodes/allow_reclaim", R"({"node_id":"n1"})"},
    {"GET", "/v1/admin/nodes/revoked", ""},
};

std::string payload_of(std::string_view jwt) {
  const auto a = jwt.find('.');
  const auto b = jwt.find('.', a + 1);
  return std::string(jwt.substr(a + 1, b - a - 1));
}

TEST_F(AccountsHttpTest, TheCliFlowEndToEnd) {
  // signup → code from the outbox → confirm → login → user info → refresh → logout
  auto r = call("POST", "/v1/user2", R"({"user_name":"Alice@Example.com","password":"secret123"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json_object(r).at("status").as_string(), "success");
  const std::string code = outbox_code("alice@example.com");
  ASSERT_EQ(code.size(), 6u);
  r = call("POST", "/v1/user2",
           R"({"user_name":"alice@example.com","verification_code":")" + code + "\"}");
  ASSERT_EQ(r.status, 201) << r.body;

  r = call("POST", "/v1/login2", R"({"user_name":"alice@example.com","password":"secret123"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto login = json_object(r);
  EXPECT_EQ(login.at("status").as_string(), "success");
  EXPECT_FALSE(login.contains("session")) << "a session key switches the CLI to OTP";
  const std::string access(login.at("accesstoken").as_string());
  const std::string id(login.at("idtoken").as_string());
  const std::string refresh(login.at("refreshtoken").as_string());
  for (const auto& token : {access, id}) {
    const auto p = payload_of(token);
    EXPECT_EQ(p.find_first_of("-_"), std::string::npos)
        << "the CLI's base64 decoder breaks on - and _";
  }
  EXPECT_EQ(r.header("Content-Length").value_or(""), std::to_string(r.body.size()));

  r = call("GET", "/v1/user", {}, {{"Authorization", access}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto user = json_object(r);
  EXPECT_EQ(user.at("user_name").as_string(), "alice@example.com");
  EXPECT_EQ(user.at("super_admin").as_bool(), false);
  EXPECT_EQ(call("GET", "/v1/user2", {}, {{"Authorization", "Bearer " + access}}).status, 200);

  r = call("POST", "/v1/login2", R"({"refreshtoken":")" + refresh + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string access2(json_object(r).at("accesstoken").as_string());
  EXPECT_EQ(call("GET", "/v1/user", {}, {{"Authorization", access2}}).status, 200);

  r = call("POST", "/v1/logout2?logout_all=false", {}, {{"Authorization", access2}});
  ASSERT_EQ(r.status, 200) << r.body;
  expect_failure(call("GET", "/v1/user", {}, {{"Authorization", access2}}), 401, 100047);
  expect_failure(call("POST", "/v1/login2", R"({"refreshtoken":")" + refresh + "\"}"), 401, 101017);
}

TEST_F(AccountsHttpTest, ForgotPasswordWithTheCliShapes) {
  sign_up_and_log_in("bob@example.com", "secret123");
  auto r = call("PUT", "/v1/forgotpassword2",
                R"({"user_name":"bob@example.com","password":null,"verification_code":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string code = outbox_code("bob@example.com");
  expect_failure(
      call(
          "PUT", "/v1/forgotpassword2",
          R"({"user_name":"bob@example.com","password":"newpass77","verification_code":"000000x"})"),
      400, 101012);
  r = call("PUT", "/v1/forgotpassword2",
           R"({"user_name":"bob@example.com","password":"newpass77","verification_code":")" + code +
               "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("POST", "/v1/login2", R"({"user_name":"bob@example.com","password":"newpass77"})")
                .status,
            200);
}

TEST_F(AccountsHttpTest, WrongPasswordThenRateLimit) {
  sign_up_and_log_in("carl@example.com", "secret123");
  for (int i = 0; i < 3; ++i) {
    expect_failure(
        call("POST", "/v1/login2", R"({"user_name":"carl@example.com","password":"wrongpass1"})"),
        401, 101009);
  }
  expect_failure(
      call("POST", "/v1/login2", R"({"user_name":"carl@example.com","password":"secret123"})"), 429,
      101057);
}

TEST_F(AccountsHttpTest, ForgedAndReplayedTokensAreRefused) {
  const auto login = sign_up_and_log_in("dina@example.com", "secret123");
  std::string access(login.at("accesstoken").as_string());
  std::string tampered = access;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  expect_failure(call("GET", "/v1/user", {}, {{"Authorization", tampered}}), 401, 100401);
  const std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload_of(access) + ".";
  expect_failure(call("GET", "/v1/user", {}, {{"Authorization", none}}), 401, 100401);
  expect_failure(call("GET", "/v1/user"), 401, 100046);

  // Rotation: a rotating client moves on; the old token replayed revokes the family.
  const std::string r1(login.at("refreshtoken").as_string());
  auto r = call("POST", "/v1/login2", R"({"refreshtoken":")" + r1 + "\"}");
  const std::string r2(json_object(r).at("refreshtoken").as_string());
  r = call("POST", "/v1/login2", R"({"refreshtoken":")" + r2 + "\"}");
  ASSERT_EQ(r.status, 200);
  const std::string r3(json_object(r).at("refreshtoken").as_string());
  expect_failure(call("POST", "/v1/login2", R"({"refreshtoken":")" + r1 + "\"}"), 401, 101017);
  expect_failure(call("POST", "/v1/login2", R"({"refreshtoken":")" + r3 + "\"}"), 401, 101017);
}

TEST_F(AccountsHttpTest, BadInputGetsAClearFailureAndChangesNothing) {
  const auto login = sign_up_and_log_in("erik@example.com", "secret123");
  const std::string access(login.at("accesstoken").as_string());
  struct Case {
    const char* method;
    const char* target;
    std::string body;
    int status;
    int code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/user2", "{not json", 400, 100006},
      {"POST", "/v1/user2", "[1,2]", 400, 100006},
      {"POST", "/v1/user2", R"({"password":"secret123"})", 400, 101001},
      {"POST", "/v1/user2", R"({"user_name":"mallory@example.com"})", 400, 101003},
      {"POST", "/v1/user2", R"({"user_name":5,"password":"secret123"})", 400, 100006},
      {"POST", "/v1/user2", R"({"user_name":"mallory@example.com","password":["x"]})", 400, 100006},
      {"POST", "/v1/user2", R"({"user_name":"not an email","password":"secret123"})", 400, 101002},
      {"POST", "/v1/user2", R"({"user_name":"mallory@example.com","password":"short"})", 400,
       101004},
      {"POST", "/v1/login2", "", 400, 100006},
      {"POST", "/v1/login2", R"({"user_name":"erik@example.com","password":12345678})", 400,
       100006},
      {"POST", "/v1/login2", R"({"refreshtoken":{}})", 400, 100006},
      {"PUT", "/v1/forgotpassword2", R"({"user_name":"erik@example.com","password":"newpass99"})",
       400, 101030},
      {"POST", "/v1/user2",
       R"({"user_name":"mallory@example.com","password":")" + std::string(2 * 1024 * 1024, 'a') +
           "\"}",
       413, 100413},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target + " " + c.body.substr(0, 60));
    expect_failure(call(c.method, c.target, c.body), c.status, c.code);
  }
  expect_failure(call("PUT", "/v1/password", R"({"password":"secret123","newpassword":7})",
                      {{"Authorization", access}}),
                 400, 100006);
  expect_failure(call("POST", "/v1/logout2?logout_all=maybe", {}, {{"Authorization", access}}), 400,
                 101036);

  // Nothing changed: no account for mallory, erik's password and session still work.
  expect_failure(
      call("POST", "/v1/login2", R"({"user_name":"mallory@example.com","password":"secret123"})"),
      401, 101009);
  EXPECT_EQ(call("GET", "/v1/user", {}, {{"Authorization", access}}).status, 200);
  EXPECT_EQ(call("POST", "/v1/login2", R"({"user_name":"erik@example.com","password":"secret123"})")
                .status,
            200);
  const auto health = call("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
}

TEST_F(AccountsHttpTest, AdminRoutesRequireASuperAdmin) {
  const auto user = sign_up_and_log_in("fay@example.com", "secret123");
  expect_failure(call("GET", "/v1/admin/users", {},
                      {{"Authorization", std::string(user.at("accesstoken").as_string())}}),
                 403, 100004);
  const auto admin = server::add_super_admin(*config_, "root@example.com", "rootpass1");
  ASSERT_TRUE(admin) << admin.error().message();
  const auto login = json_object(
      call("POST", "/v1/login2", R"({"user_name":"root@example.com","password":"rootpass1"})"));
  const std::string token(login.at("accesstoken").as_string());
  const auto r = call("GET", "/v1/admin/users?num_records=2", {}, {{"Authorization", token}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto page = json_object(r);
  EXPECT_EQ(page.at("users").as_array().size(), 2u);
  EXPECT_TRUE(page.contains("next_id"));
  EXPECT_EQ(call("GET", "/v1/user", {}, {{"Authorization", token}}).status, 200);
  EXPECT_TRUE(json_object(call("GET", "/v1/user", {}, {{"Authorization", token}}))
                  .at("super_admin")
                  .as_bool());
}

TEST_F(AccountsHttpTest, ReusedAndExpiredCodesAndExpiredTokens) {
  const auto login = sign_up_and_log_in("hal@example.com", "secret123");
  // Reused: a reset code works once.
  ASSERT_EQ(call("PUT", "/v1/forgotpassword2", R"({"user_name":"hal@example.com"})").status, 200);
  const std::string reset = outbox_code("hal@example.com");
  const std::string body =
      R"({"user_name":"hal@example.com","password":"newpass11","verification_code":")" + reset +
      "\"}";
  ASSERT_EQ(call("PUT", "/v1/forgotpassword2", body).status, 200);
  expect_failure(call("PUT", "/v1/forgotpassword2", body), 400, 101012);

  // Expired: a code older than its lifetime, and an access token past `exp`.
  ASSERT_EQ(call("PUT", "/v1/forgotpassword2", R"({"user_name":"hal@example.com"})").status, 200);
  const std::string late = outbox_code("hal@example.com");
  const auto fresh = json_object(
      call("POST", "/v1/login2", R"({"user_name":"hal@example.com","password":"newpass11"})"));
  const std::string token(fresh.at("accesstoken").as_string());
  const std::string refresh(fresh.at("refreshtoken").as_string());
  EXPECT_EQ(call("GET", "/v1/user", {}, {{"Authorization", token}}).status, 200);
  clock_->advance(std::chrono::seconds(3601));
  expect_failure(
      call("PUT", "/v1/forgotpassword2",
           R"({"user_name":"hal@example.com","password":"newpass22","verification_code":")" + late +
               "\"}"),
      400, 100068);
  expect_failure(call("GET", "/v1/user", {}, {{"Authorization", token}}), 401, 100401);
  // The refresh token outlives the access token: the CLI's way back in.
  const auto renewed = call("POST", "/v1/login2", R"({"refreshtoken":")" + refresh + "\"}");
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  EXPECT_EQ(
      call("GET", "/v1/user", {},
           {{"Authorization", std::string(json_object(renewed).at("accesstoken").as_string())}})
          .status,
      200);
}

TEST_F(AccountsHttpTest, DeleteAccountInTwoSteps) {
  const auto login = sign_up_and_log_in("gus@example.com", "secret123");
  const std::string token(login.at("accesstoken").as_string());
  expect_failure(call("DELETE", "/v1/user2", {}, {{"Authorization", token}}), 400, 119007);
  ASSERT_EQ(call("DELETE", "/v1/user2?request=true", {}, {{"Authorization", token}}).status, 200);
  const auto r = call("DELETE", "/v1/user2?verification_code=" + outbox_code("gus@example.com"), {},
                      {{"Authorization", token}});
  ASSERT_EQ(r.status, 200) << r.body;
  expect_failure(call("GET", "/v1/user", {}, {{"Authorization", token}}), 401, 100047);
}

TEST_F(AccountsHttpTest, EveryAdminRouteIsInTheTable) {
  std::vector<std::string> missing;
  for (const auto& [method, path] : server_->routes()) {
    if (!path.starts_with("/v1/admin/"))
      continue;
    const bool listed =
        std::any_of(std::begin(kAdminRoutes), std::end(kAdminRoutes),
                    [&, m = method, p = path](const AdminRoute& r) {
                      const std::string_view target = r.target;
                      return r.method == m && target.substr(0, target.find('?')) == p;
                    });
    if (!listed)
      missing.push_back(method + " " + path);
  }
  EXPECT_TRUE(missing.empty()) << "add these to kAdminRoutes: "
                               << ::testing::PrintToString(missing);
}

TEST_F(AccountsHttpTest, EveryAdminRouteRefusesAUserToken) {
  const auto user = sign_up_and_log_in("ivy@example.com", "secret123");
  const std::string token(user.at("accesstoken").as_string());
  for (const auto& route : kAdminRoutes) {
    const auto r = call(route.method, route.target, route.body, {{"Authorization", token}});
    SCOPED_TRACE(std::string(route.method) + " " + route.target);
    expect_failure(r, 403, 100004);
  }
  for (const auto& route : kAdminRoutes) {
    SCOPED_TRACE(std::string("no token: ") + route.method + " " + route.target);
    EXPECT_EQ(call(route.method, route.target, route.body).status, 401);
  }
}

TEST_F(AccountsHttpTest, ADisabledUserIsRefusedEverywhereUntilEnabled) {
  const auto dan = sign_up_and_log_in("dan@example.com", "secret123");
  const std::string dan_token(dan.at("accesstoken").as_string());
  const std::string dan_refresh(dan.at("refreshtoken").as_string());
  const std::string dan_id(json_object(call("GET", "/v1/user", {}, {{"Authorization", dan_token}}))
                               .at("user_id")
                               .as_string());
  (void)server::add_super_admin(*config_, "root@example.com", "rootpass1");
  const auto root = json_object(
      call("POST", "/v1/login2", R"({"user_name":"root@example.com","password":"rootpass1"})"));
  const HeaderList as_root{{"Authorization", std::string(root.at("accesstoken").as_string())}};

  auto r = call("PUT", "/v1/admin/users/status", R"({"user":"dan@example.com","disabled":true})",
                as_root);
  ASSERT_EQ(r.status, 200) << r.body;
  expect_failure(call("GET", "/v1/user", {}, {{"Authorization", dan_token}}), 401, 100047);
  expect_failure(call("POST", "/v1/login2", R"({"refreshtoken":")" + dan_refresh + "\"}"), 401,
                 101017);
  expect_failure(
      call("POST", "/v1/login2", R"({"user_name":"dan@example.com","password":"secret123"})"), 403,
      157002);
  const auto users = json_object(call("GET", "/v1/admin/users?num_records=100", {}, as_root));
  bool seen = false;
  for (const auto& u : users.at("users").as_array()) {
    if (u.as_object().at("user_id").as_string() == dan_id) {
      seen = true;
      EXPECT_TRUE(u.as_object().at("disabled").as_bool());
    }
  }
  EXPECT_TRUE(seen);
  // An admin cannot lock itself out.
  expect_failure(call("PUT", "/v1/admin/users/status",
                      R"({"user":"root@example.com","disabled":true})", as_root),
                 400, 157003);

  r = call("PUT", "/v1/admin/users/status", R"({"user":")" + dan_id + R"(","disabled":false})",
           as_root);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("POST", "/v1/login2", R"({"user_name":"dan@example.com","password":"secret123"})")
                .status,
            200);

  // The audit log has the admin's actions and dan's refused login, with the address.
  r = call("GET", "/v1/admin/audit?object=" + dan_id + "&action=admin.user", {}, as_root);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto admin_rows = json_object(r).at("records").as_array();
  ASSERT_EQ(admin_rows.size(), 2u) << r.body;
  EXPECT_EQ(admin_rows[0].as_object().at("action").as_string(), "admin.user.enable");
  EXPECT_EQ(admin_rows[1].as_object().at("action").as_string(), "admin.user.disable");
  EXPECT_EQ(admin_rows[1].as_object().at("actor_kind").as_string(), "admin");
  EXPECT_EQ(admin_rows[1].as_object().at("remote_address").as_string(), "127.0.0.1");
  r = call("GET", "/v1/admin/audit?actor=" + dan_id + "&action=account.login", {}, as_root);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto logins = json_object(r).at("records").as_array();
  ASSERT_GE(logins.size(), 3u) << r.body;
  EXPECT_EQ(logins[0].as_object().at("outcome").as_string(), "ok");
  EXPECT_EQ(logins[1].as_object().at("outcome").as_string(), "error:157002");
  // Bad queries are refused clearly.
  expect_failure(call("GET", "/v1/admin/audit?from=yesterday", {}, as_root), 400, 157005);
  expect_failure(call("GET", "/v1/admin/audit?num_records=0", {}, as_root), 400, 100006);
}

}  // namespace
}  // namespace stratus::test
