#include "support/rainmaker_reply.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace stratus::test {

boost::json::object json_object(const HttpReply& reply) {
  boost::system::error_code ec;
  auto v = boost::json::parse(reply.body, ec);
  EXPECT_FALSE(ec) << reply.body;
  return ec || !v.is_object() ? boost::json::object() : v.as_object();
}

void expect_failure(const HttpReply& reply, int status, int error_code) {
  EXPECT_EQ(reply.status, status) << reply.body;
  const auto o = json_object(reply);
  EXPECT_EQ(o.contains("status") ? o.at("status").as_string() : "", "failure") << reply.body;
  ASSERT_TRUE(o.contains("error_code") && o.at("error_code").is_int64()) << reply.body;
  EXPECT_EQ(o.at("error_code").as_int64(), error_code) << reply.body;
  ASSERT_TRUE(o.contains("description") && o.at("description").is_string()) << reply.body;
  EXPECT_FALSE(o.at("description").as_string().empty());
}

}  // namespace stratus::test
