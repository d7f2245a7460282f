#include "system/rest_helpers.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "core/clock.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "system/client_test_support.hpp"

namespace stratus::test {

namespace json = boost::json;

HttpReply rest_call(const StratusdProcess& server, std::string_view method, std::string_view target,
                    const std::string& token, std::string_view body) {
  HeaderList h{{"Content-Type", "application/json"}};
  if (!token.empty()) {
    h.emplace_back("Authorization", token);
  }
  return http_request("127.0.0.1", server.http_port(), method, target, body, h);
}

double metric_sample(const StratusdProcess& server, const std::string& series) {
  const auto reply = http_request("127.0.0.1", server.http_port(), "GET", "/metrics");
  if (reply.status != 200)
    return -1;
  const auto at = reply.body.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(reply.body.substr(at + series.size() + 2));
}

std::string signed_up_token(const StratusdProcess& server, const std::string& user,
                            const std::string& password) {
  const std::string credentials =
      json::serialize(json::object{{"user_name", user}, {"password", password}});
  EXPECT_EQ(rest_call(server, "POST", "/v1/user2", "", credentials).status, 201);
  const auto code = outbox_code(server.files_dir(), user);
  EXPECT_EQ(
      rest_call(server, "POST", "/v1/user2", "",
                json::serialize(json::object{{"user_name", user}, {"verification_code", code}}))
          .status,
      201);
  const auto login = rest_call(server, "POST", "/v1/login2", "", credentials);
  EXPECT_EQ(login.status, 200) << login.body;
  return std::string(json::parse(login.body).at("accesstoken").as_string());
}

std::string user_id_for(const StratusdProcess& server, const std::string& token) {
  const auto r = rest_call(server, "GET", "/v1/user", token);
  EXPECT_EQ(r.status, 200) << r.body;
  return std::string(json::parse(r.body).at("user_id").as_string());
}

TestMqttOptions node_mqtt_options(const StratusdProcess& server, const std::filesystem::path& dir,
                                  const std::string& node_id) {
  TestMqttOptions o;
  o.port = server.mqtt_port();
  o.client_id = node_id;
  o.ca_file = (server.files_dir() / "pki/ca.crt").string();
  o.cert_file = (dir / (node_id + ".crt")).string();
  o.key_file = (dir / (node_id + ".key")).string();
  if (!std::filesystem::exists(o.cert_file)) {
    SystemClock clock;
    auto ca = pki::CertificateAuthority::load(read_file(server.files_dir() / "pki/ca.crt"),
                                              read_file(server.files_dir() / "pki/ca.key"));
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    auto csr = pki::CertificateSigningRequest::from_pem(
        *pki::CertificateSigningRequest::make_csr_pem(*key, node_id));
    auto cert = ca->issue_client_certificate(*csr, std::chrono::days(1), clock);
    std::ofstream(o.key_file) << key->to_pem();
    std::ofstream(o.cert_file) << cert->to_pem();
  }
  return o;
}

}  // namespace stratus::test
