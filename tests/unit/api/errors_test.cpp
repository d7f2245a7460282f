// Proves every errc maps to an HTTP status and a RainMaker error body, and that
// internal details never reach the client. How: walks the enum, parses bodies.
#include "api/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace stratus::api {
namespace {

TEST(Errors, EveryCodeHasAStatusAndAnApiCode) {
  for (int c = 0; c <= static_cast<int>(errc::internal); ++c) {
    const auto code = static_cast<errc>(c);
    const int status = http_status(code);
    EXPECT_GE(status, 400) << to_string(code);
    EXPECT_LE(status, 599) << to_string(code);
    EXPECT_GE(api_error_code(Error{code, "x", 0}), 100000) << to_string(code);
  }
  EXPECT_EQ(http_status(errc::not_found), 404);
  EXPECT_EQ(http_status(errc::unauthenticated), 401);
  EXPECT_EQ(http_status(errc::resource_exhausted), 429);
}

TEST(Errors, BodyHasTheRainMakerShapeWithANumericCode) {
  const auto r =
      error_response(Error{errc::invalid_argument, "verification code is incorrect", 101012});
  EXPECT_EQ(r.status, 400);
  const auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "failure");
  EXPECT_TRUE(body.at("error_code").is_int64()) << "Espressif's C client wants a JSON number";
  EXPECT_EQ(body.at("error_code").as_int64(), 101012);
  EXPECT_EQ(body.at("description").as_string(), "verification code is incorrect");
}

TEST(Errors, InternalDetailsStayInTheLog) {
  const auto r = error_response(Error{errc::internal, "sqlite: disk I/O error at /var/lib/x", 0});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("sqlite"), std::string::npos);
}

}  // namespace
}  // namespace stratus::api
