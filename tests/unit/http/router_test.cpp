// Proves that the router tells a found route from an unknown path (404) and from
// a known path with another method (405 + Allow), and hands out each route's body
// options. How: lookups on a small table.
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

TEST(Router, ReportsEachMethodsBodyOptions) {
  Router router = sample();
  EXPECT_FALSE(router.has_body_to_file_routes());
  router.add("PUT", "/v1/firmware", ok,
             RouteOptions{.max_body_bytes = 512U << 20, .body_to_file = true});
  router.add("GET", "/v1/firmware", ok);
  EXPECT_TRUE(router.has_body_to_file_routes());

  const RouteMatch upload = router.find("PUT", "/v1/firmware/");
  ASSERT_EQ(upload.kind, RouteMatch::Kind::found);
  EXPECT_TRUE(upload.options.body_to_file);
  EXPECT_EQ(upload.options.max_body_bytes, std::size_t{512} << 20);

  const RouteMatch download = router.find("HEAD", "/v1/firmware");
  ASSERT_EQ(download.kind, RouteMatch::Kind::found);
  EXPECT_FALSE(download.options.body_to_file);
  EXPECT_FALSE(download.options.max_body_bytes.has_value());
  EXPECT_FALSE(router.find("POST", "/v1/firmware").options.body_to_file);  // 405
}

// The fallback (the web dashboard) answers GET and HEAD to paths no route has; other
// methods there stay 404, and known paths keep their own handlers and 405s.
TEST(Router, FallbackTakesUnknownGetAndHeadOnly) {
  Router router = sample();
  router.set_fallback("web", ok);
  const RouteMatch page = router.find("GET", "/nodes/abc");
  EXPECT_EQ(page.kind, RouteMatch::Kind::found);
  EXPECT_EQ(page.route, "web");
  EXPECT_EQ(router.find("HEAD", "/assets/app.js").kind, RouteMatch::Kind::found);
  EXPECT_EQ(router.find("POST", "/nodes/abc").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(router.find("GET", "/v1/user/nodes").route, "/v1/user/nodes");
  EXPECT_EQ(router.find("DELETE", "/v1/user/nodes").kind, RouteMatch::Kind::method_not_allowed);
}

}  // namespace
}  // namespace stratus::http
