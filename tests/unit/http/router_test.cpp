// Proves that the router tells a found route from an unknown path (404) and from
// a known path with another method (405 + Allow). How: lookups on a small table.
#include "http/router.hpp"

#include <gtest/gtest.h>

namespace stratus::http {
namespace {

boost::asio::awaitable<Response> ok(Request&) {
  co_return json_response(200, "{}");
}

Router sample() {
  Router router;
  router.add("GET", "/v1/user/nodes", ok);
  router.add("PUT", "/v1/user/nodes", ok);
  router.add("POST", "/v1/login2/", ok);
  router.add("GET", "/", ok);
  return router;
}

TEST(Router, FindsExactPathAndMethod) {
  const Router router = sample();
  const RouteMatch match = router.find("PUT", "/v1/user/nodes");
  EXPECT_EQ(match.kind, RouteMatch::Kind::found);
  EXPECT_NE(match.handler, nullptr);
  EXPECT_EQ(match.route, "/v1/user/nodes");
}

TEST(Router, IgnoresTrailingSlashAndReportsThePatternAsRegistered) {
  const Router router = sample();
  EXPECT_EQ(router.find("GET", "/v1/user/nodes/").kind, RouteMatch::Kind::found);
  const RouteMatch login = router.find("POST", "/v1/login2");
  EXPECT_EQ(login.kind, RouteMatch::Kind::found);
  EXPECT_EQ(login.route, "/v1/login2/");
  EXPECT_EQ(router.find("GET", "/").kind, RouteMatch::Kind::found);
}

TEST(Router, UnknownPathIsNotFound) {
  const Router router = sample();
  const RouteMatch match = router.find("GET", "/v1/user/node");
  EXPECT_EQ(match.kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.route.empty());
  EXPECT_EQ(router.find("GET", "/v1/user/nodes/x").kind, RouteMatch::Kind::not_found);
}

TEST(Router, OtherMethodIsNotAllowedWithSortedAllowList) {
  const Router router = sample();
  const RouteMatch match = router.find("DELETE", "/v1/user/nodes");
  EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.route, "/v1/user/nodes");
  EXPECT_EQ(match.allow, "GET, HEAD, PUT");
  EXPECT_EQ(router.find("GET", "/v1/login2").allow, "POST");
}

TEST(Router, HeadFallsBackToGet) {
  const Router router = sample();
  EXPECT_EQ(router.find("HEAD", "/v1/user/nodes").kind, RouteMatch::Kind::found);
  EXPECT_EQ(router.find("HEAD", "/v1/login2").kind, RouteMatch::Kind::method_not_allowed);
}

}  // namespace
}  // namespace stratus::http
