// Proves the fleet administration and audit commands of `stratus-admin` against a scripted
// server: which requests they send (method, path, query, body), what they print (tables,
// "more: --start" for the next page, --json passes the server's answer through), and that
// bad arguments are refused before any request (usage errors, a bad --from, a bad quota).
// How: cli::run_admin with string streams, XDG_CONFIG_HOME in a temp dir holding a profile
// and a token that needs no refresh, a StubHttpServer on loopback, a ManualClock, TZ=UTC.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "cli/admin_app.hpp"
#include "cli/profiles.hpp"
#include "core/base64.hpp"
#include "support/stub_http_server.hpp"
#include "support/temp_dir.hpp"

namespace stratus::cli {
namespace {

using test::StubReply;
using test::StubRequest;

class FleetCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }

  struct Outcome {
    int status;
    std::string out;
    std::string err;
  };

  Outcome admin(std::vector<std::string> args) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    Environment env(in, out, err);
    const std::string xdg = dir_.path().string();
    env.getenv = [xdg](const std::string& name) -> std::optional<std::string> {
      if (name == "XDG_CONFIG_HOME")
        return xdg;
      return std::nullopt;
    };
    env.clock = &clock_;
    args.insert(args.begin(), "stratus-admin");
    const int status = run_admin(args, env);
    return {status, out.str(), err.str()};
  }

  void log_in_at(const std::string& url) {
    auto store = ProfileStore::open(dir_.path() / "stratus");
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add(Profile{"stub", url, ""}));
    ASSERT_TRUE(store->switch_to("stub"));
    const std::string token =
        "eyJhbGciOiJIUzI1NiJ9." +
        base64_encode(R"({"exp":4102444800,"custom:user_id":"u1","email":"root@example.com"})") +
        ".c2ln";
    ASSERT_TRUE(store->save_tokens("stub", client::Tokens{token, token, "refresh"}));
  }

  test::TempDir dir_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1796292900))};
};

constexpr const char* kNodePage =
    R"({"nodes":[{"node_id":"n1","model":"light","type":"esp.device.light","fw_version":"1.0",)"
    R"("online":true,"primary_user_id":"u2","primary_user_name":"bob@example.com",)"
    R"("user_count":2}],"next_id":"n2"})";

TEST_F(FleetCommandsTest, HelpListsTheGroupsAndUsageErrorsSendNothing) {
  auto help = admin({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const auto* command : {"node", "user", "audit"})
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
  test::StubHttpServer server([](const StubRequest&) { return StubReply{500, "{}"}; });
  log_in_at(server.url());
  EXPECT_EQ(admin({"node"}).status, 2);
  EXPECT_EQ(admin({"node", "show"}).status, 2) << "node_id is required";
  EXPECT_EQ(admin({"node", "set-primary", "n1"}).status, 2) << "user is required";
  EXPECT_EQ(admin({"node", "list", "--online", "maybe"}).status, 2);
  EXPECT_EQ(admin({"node", "list", "--limit", "101"}).status, 2);
  EXPECT_EQ(admin({"user", "quota", "bob"}).status, 2);
  auto quota = admin({"user", "quota", "bob", "-3"});
  EXPECT_NE(quota.status, 0);
  auto bad_quota = admin({"user", "quota", "bob", "many"});
  EXPECT_EQ(bad_quota.status, 1);
  EXPECT_NE(bad_quota.err.find("whole number"), std::string::npos) << bad_quota.err;
  auto bad_time = admin({"audit", "--from", "yesterday"});
  EXPECT_EQ(bad_time.status, 1);
  EXPECT_NE(bad_time.err.find("--from"), std::string::npos) << bad_time.err;
  EXPECT_EQ(admin({"audit", "--to", "2026-13-01"}).status, 1);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(FleetCommandsTest, NodeListSendsTheFiltersAndPrintsATable) {
  test::StubHttpServer server([](const StubRequest&) { return StubReply{200, kNodePage}; });
  log_in_at(server.url());
  auto r = admin({"node", "list", "--model", "light", "--online", "yes", "--user", "bob@x.com",
                  "--id-prefix", "n", "--limit", "10"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(server.requests().size(), 1u);
  const auto q = server.requests()[0];
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.target,
            "/v1/admin/nodes?model=light&user=bob%40x.com&id_prefix=n&online=true&num_records=10");
  EXPECT_NE(q.header("authorization"), "");
  EXPECT_NE(r.out.find("NODE ID"), std::string::npos);
  EXPECT_NE(r.out.find("bob@example.com"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("online"), std::string::npos);
  EXPECT_NE(r.out.find("more: --start n2"), std::string::npos) << r.out;

  auto json = admin({"--json", "node", "list"});
  ASSERT_EQ(json.status, 0);
  EXPECT_NE(json.out.find("\"next_id\""), std::string::npos) << json.out;
}

TEST_F(FleetCommandsTest, NodeShowUnmapAndSetPrimary) {
  test::StubHttpServer server([](const StubRequest& q) {
    if (q.method == "GET") {
      return StubReply{
          200,
          R"({"node":{"node_id":"n1","model":"light","online":false},"users":[{"user_id":"u2",)"
          R"("user_name":"bob@example.com","role":"primary"}],"history":[{"audit_id":7,)"
          R"("actor_kind":"admin","actor_id":"u1","action":"admin.node.show","object_kind":"node",)"
          R"("object_id":"n1","remote_address":"127.0.0.1","outcome":"ok","detail":"",)"
          R"("timestamp":1796292800000}]})"};
    }
    if (q.method == "DELETE")
      return StubReply{200, R"({"status":"success","users_removed":2})"};
    return StubReply{200, R"({"status":"success","description":"Primary user set"})"};
  });
  log_in_at(server.url());
  auto show = admin({"node", "show", "n1"});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("bob@example.com"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("admin.node.show"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("admin:u1"), std::string::npos) << show.out;

  auto unmap = admin({"node", "unmap", "n1"});
  ASSERT_EQ(unmap.status, 0) << unmap.err;
  EXPECT_EQ(unmap.out, "unmapped node n1 from 2 users\n");

  auto primary = admin({"node", "set-primary", "n1", "carol@example.com"});
  ASSERT_EQ(primary.status, 0) << primary.err;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/v1/admin/nodes?node_id=n1");
  EXPECT_EQ(requests[1].method, "DELETE");
  EXPECT_EQ(requests[1].target, "/v1/admin/nodes/mapping?node_id=n1");
  EXPECT_EQ(requests[2].method, "PUT");
  EXPECT_EQ(requests[2].target, "/v1/admin/nodes/primary");
  EXPECT_EQ(requests[2].body, R"({"node_id":"n1","user":"carol@example.com"})");
}

TEST_F(FleetCommandsTest, UserCommandsSendTheirBodies) {
  test::StubHttpServer server([](const StubRequest& q) {
    if (q.method == "GET") {
      return StubReply{200,
                       R"({"users":[{"user_id":"u2","user_name":"bob@example.com","verified":true,)"
                       R"("disabled":true,"node_quota":null,"effective_quota":5,)"
                       R"("primary_nodes":3}]})"};
    }
    if (q.target == "/v1/admin/users/quota") {
      return StubReply{200, R"({"user_id":"u2","user_name":"bob@example.com","node_quota":0,)"
                            R"("effective_quota":0,"primary_nodes":3})"};
    }
    return StubReply{200, R"({"status":"success"})"};
  });
  log_in_at(server.url());
  auto list = admin({"user", "list"});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("disabled"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("3 / 5 (default)"), std::string::npos) << list.out;
  ASSERT_EQ(admin({"user", "disable", "bob@example.com"}).status, 0);
  ASSERT_EQ(admin({"user", "enable", "u2"}).status, 0);
  auto quota = admin({"user", "quota", "u2", "0"});
  ASSERT_EQ(quota.status, 0) << quota.err;
  EXPECT_EQ(quota.out, "bob@example.com: nodes / quota 3 / unlimited\n");
  ASSERT_EQ(admin({"user", "quota", "u2", "default"}).status, 0);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[1].body, R"({"user":"bob@example.com","disabled":true})");
  EXPECT_EQ(requests[2].body, R"({"user":"u2","disabled":false})");
  EXPECT_EQ(requests[3].body, R"({"user":"u2","node_quota":0})");
  EXPECT_EQ(requests[4].body, R"({"user":"u2","node_quota":null})");
}

TEST_F(FleetCommandsTest, AuditSendsTheFiltersAndTimesInUnixSeconds) {
  test::StubHttpServer server([](const StubRequest&) {
    return StubReply{200, R"({"records":[{"audit_id":42,"actor_kind":"user","actor_id":"u2",)"
                          R"("action":"node.params.set","object_kind":"node","object_id":"n1",)"
                          R"("remote_address":"192.0.2.7","outcome":"error:108004","detail":"{}",)"
                          R"("timestamp":1796292800000}],"next_id":"41"})"};
  });
  log_in_at(server.url());
  auto r = admin({"audit", "--actor", "u2", "--object", "n1", "--action", "node", "--from",
                  "2026-12-01", "--to", "2026-12-01"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(server.requests().size(), 1u);
  // 2026-12-01T00:00:00Z = 1796083200; the --to date covers its whole day.
  EXPECT_EQ(server.requests()[0].target,
            "/v1/admin/audit?actor=u2&object=n1&action=node&from=1796083200&to=1796169599");
  EXPECT_NE(r.out.find("node.params.set"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error:108004"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("192.0.2.7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("more: --start 41"), std::string::npos) << r.out;
  ASSERT_EQ(admin({"audit", "--from", "1700000000", "--to", "2026-12-01T10:30"}).status, 0);
  EXPECT_EQ(server.requests()[1].target, "/v1/admin/audit?from=1700000000&to=1796121000");
}

TEST_F(FleetCommandsTest, AServerRefusalIsOneErrorLine) {
  test::StubHttpServer server([](const StubRequest&) {
    return StubReply{403, R"({"status":"failure","error_code":100004,)"
                          R"("description":"you are not authorized to perform this operation"})"};
  });
  log_in_at(server.url());
  auto r = admin({"node", "unmap", "n1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not authorized"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace stratus::cli
