// Proves the pure parts of the REST client: server URLs (the RainMaker CLI's
// "/v1/" form included), query encoding, JWT payload decoding in both base64
// alphabets, and the mapping of failure answers onto Error (status, code, text).
// How: plain inputs and expected outputs; no network.
#include <gtest/gtest.h>

#include "client/errors.hpp"
#include "client/jwt.hpp"
#include "client/server_url.hpp"
#include "client/session.hpp"

namespace stratus::client {
namespace {

TEST(ServerUrl, AcceptsTheFormsPeopleType) {
  for (const auto* text :
       {"http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1",
        "http://127.0.0.1:8080/v1/", "HTTP://127.0.0.1:8080//"}) {
    auto url = parse_server_url(text);
    ASSERT_TRUE(url) << text;
    EXPECT_EQ(url->root, "http://127.0.0.1:8080") << text;
    EXPECT_FALSE(url->tls());
  }
  auto prefixed = parse_server_url("https://Cloud.Example/rainmaker/v1/");
  ASSERT_TRUE(prefixed);
  EXPECT_EQ(prefixed->root, "https://cloud.example/rainmaker");
  EXPECT_TRUE(prefixed->tls());
  EXPECT_EQ(prefixed->versioned("user/nodes?node_id=x"),
            "https://cloud.example/rainmaker/v1/user/nodes?node_id=x");
  EXPECT_EQ(prefixed->unversioned("mqtt_host"), "https://cloud.example/rainmaker/mqtt_host");
  // A host name containing "v1" is not mistaken for the version (spec §4.1 gotcha).
  auto srv1 = parse_server_url("http://srv1.lan:8080");
  ASSERT_TRUE(srv1);
  EXPECT_EQ(srv1->unversioned("mqtt_host"), "http://srv1.lan:8080/mqtt_host");
}

TEST(ServerUrl, RefusesWhatCannotBeAServer) {
  for (const auto* text :
       {"", "127.0.0.1:8080", "ftp://host", "http://", "http://:80", "http://host/?q=1",
        "http://host/#x", "http://user@host", "http://ho st"}) {
    auto url = parse_server_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code, errc::invalid_argument);
  }
}

TEST(ServerUrl, PercentEncodesQueryValues) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

TEST(Jwt, DecodesBase64InBothAlphabetsWithOrWithoutPadding) {
  EXPECT_EQ(*decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(*decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(*decode_base64("-_-_"), *decode_base64("+/+/"));
  EXPECT_EQ(*decode_base64(""), "");
  EXPECT_FALSE(decode_base64("a"));
  EXPECT_FALSE(decode_base64("ab$c"));
}

TEST(Jwt, ReadsTheClaimsTheCliNeeds) {
  // {"exp":1700000000,"custom:user_id":"u-1","email":"a@b.c","token_use":"id"}
  const std::string payload =
      "eyJleHAiOjE3MDAwMDAwMDAsImN1c3RvbTp1c2VyX2lkIjoidS0xIiwiZW1haWwiOiJhQGIuYyIsInRva2VuX3Vz"
      "ZSI6ImlkIn0";
  auto claims = decode_token_claims("eyJhbGciOiJIUzI1NiJ9." + payload + ".c2ln");
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->exp, 1700000000);
  EXPECT_EQ(claims->user_id, "u-1");
  EXPECT_EQ(claims->email, "a@b.c");
  EXPECT_EQ(claims->account_name(), "a@b.c");
  EXPECT_EQ(claims->token_use, "id");
  // {"phone_number":"+15551234567"}
  auto phone = decode_token_claims("x.eyJwaG9uZV9udW1iZXIiOiIrMTU1NTEyMzQ1NjcifQ.y");
  ASSERT_TRUE(phone);
  EXPECT_EQ(phone->account_name(), "+15551234567");
  EXPECT_EQ(phone->exp, 0);
}

TEST(Jwt, RefusesMalformedTokens) {
  for (const auto* token : {"", "abc", "a.b", "a.b.c.d", "a.!!!.c", "a.WzFd.c" /* [1] */}) {
    auto claims = decode_token_claims(token);
    ASSERT_FALSE(claims) << token;
    EXPECT_EQ(claims.error().code, errc::invalid_argument);
  }
}

TEST(Errors, EveryStatusMapsToAnErrc) {
  EXPECT_EQ(errc_from_http_status(400), errc::invalid_argument);
  EXPECT_EQ(errc_from_http_status(401), errc::unauthenticated);
  EXPECT_EQ(errc_from_http_status(403), errc::forbidden);
  EXPECT_EQ(errc_from_http_status(404), errc::not_found);
  EXPECT_EQ(errc_from_http_status(405), errc::invalid_argument);
  EXPECT_EQ(errc_from_http_status(409), errc::conflict);
  EXPECT_EQ(errc_from_http_status(413), errc::resource_exhausted);
  EXPECT_EQ(errc_from_http_status(429), errc::resource_exhausted);
  EXPECT_EQ(errc_from_http_status(500), errc::internal);
  EXPECT_EQ(errc_from_http_status(502), errc::internal);
  EXPECT_EQ(errc_from_http_status(503), errc::unavailable);
  EXPECT_EQ(errc_from_http_status(504), errc::timeout);
}

TEST(Errors, KeepTheServersCodeAndDescription) {
  auto e = error_from_response(
      401,
      R"({"status":"failure","error_code":101009,"description":"Incorrect user name or password"})");
  EXPECT_EQ(e.code, errc::unauthenticated);
  EXPECT_EQ(e.reason, 101009);
  EXPECT_EQ(e.context, "Incorrect user name or password");
  // The spec's examples carry the code as a string.
  e = error_from_response(404, R"({"status":"failure","error_code":"108005","description":"x"})");
  EXPECT_EQ(e.reason, 108005);
  EXPECT_EQ(e.code, errc::not_found);
  e = error_from_response(400, R"({"message":"Bad thing"})");
  EXPECT_EQ(e.context, "Bad thing");
  EXPECT_EQ(e.reason, 0);
  e = error_from_response(502, "<html>Bad Gateway</html>\nmore");
  EXPECT_EQ(e.context, "HTTP 502: <html>Bad Gateway</html>");
  e = error_from_response(500, "");
  EXPECT_EQ(e.context, "HTTP 500");
}

TEST(Session, OpenRefusesABadUrlAndStartsLoggedOut) {
  SessionOptions bad;
  bad.url = "nope";
  EXPECT_FALSE(Session::open(bad));
  SessionOptions options;
  options.url = "http://127.0.0.1:1/v1/";
  auto session = Session::open(options);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->server().root, "http://127.0.0.1:1");
  EXPECT_FALSE(session->logged_in());
  auto nodes = session->all_node_ids();  // no network: refused before sending
  ASSERT_FALSE(nodes);
  EXPECT_EQ(nodes.error().code, errc::unauthenticated);
  EXPECT_EQ(nodes.error().context, "not logged in");
}

}  // namespace
}  // namespace stratus::client
