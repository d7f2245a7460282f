// The REST contract of proto/rest: the error-code table (unique, complete in
// docs/api.md) and every codec at its boundaries — what a request parser refuses and
// with which code, and that an answer written by `to_json` reads back unchanged.
// How: pure calls on hand-written bodies; docs/api.md is read from STRATUS_SOURCE_DIR.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "proto/rest/accounts.hpp"
#include "proto/rest/claiming.hpp"
#include "proto/rest/commands.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/groups.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"
#include "proto/rest/nodes.hpp"
#include "proto/rest/sharing.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) {
  return json::parse(text).as_object();
}

// The reason code of a failed parse, or -1 when it succeeded.
template <class T>
int reason(const Result<T>& r) {
  return r ? -1 : r.error().reason;
}

constexpr int kBadBody = request_error::invalid_request_body;

TEST(ErrorCodes, EachCodeIsNamedOnceAndDescribed) {
  std::set<int> codes;
  std::set<std::string> names;
  for (const auto& e : error_code_table()) {
    EXPECT_TRUE(codes.insert(e.code).second) << "code " << e.code << " appears twice";
    EXPECT_GE(e.code, 100000);
    EXPECT_LE(e.code, 199999);
    EXPECT_FALSE(e.description.empty()) << e.code;
    EXPECT_FALSE(e.http_status.empty()) << e.code;
    EXPECT_TRUE(names.insert(std::string(e.area) + "::" + std::string(e.name)).second) << e.name;
  }
  ASSERT_TRUE(find_error_code(node_error::node_not_found));
  EXPECT_EQ(find_error_code(node_error::node_not_found)->name, "node_not_found");
  EXPECT_EQ(find_error_code(node_error::node_not_found)->area, "node_error");
  EXPECT_FALSE(find_error_code(123456));
  static_assert(request_error::invalid_request_body == 100006);
  static_assert(node_error::node_not_found == 108005);
  static_assert(command_error::node_offline == 131112);
}

TEST(ErrorCodes, DocsListEveryCode) {
  std::string expected = "| code | HTTP | meaning |\n|---|---|---|\n";
  for (const auto& e : error_code_table()) {
    expected += "| " + std::to_string(e.code) + " | " + std::string(e.http_status) + " | " +
                std::string(e.description) + " |\n";
  }
  const char* src = std::getenv("STRATUS_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::ifstream in(std::filesystem::path(src) / "docs" / "api.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_NE(doc.str().find(expected), std::string::npos)
      << "docs/api.md's error-code table differs from src/proto/rest/error_codes.hpp; "
         "it should read:\n"
      << expected;
}

TEST(RestJson, BodiesAreObjectsOfFiniteNumbers) {
  EXPECT_EQ(reason(parse_object_body("{")), kBadBody);
  EXPECT_EQ(reason(parse_object_body("[1]")), kBadBody);
  EXPECT_EQ(reason(parse_object_body(R"({"a":1e400})")), kBadBody);
  EXPECT_EQ(reason(parse_object_body(R"({"a":1e300})")), -1);
  EXPECT_EQ(reason(parse_body("[1]")), -1);
}

TEST(RestJson, PageSizesAndQueryIntegers) {
  EXPECT_EQ(*parse_page_size(std::nullopt), limits::kDefaultPageSize);
  EXPECT_EQ(*parse_page_size("1"), 1u);
  EXPECT_EQ(*parse_page_size("100"), 100u);
  for (const char* bad : {"0", "101", "-1", "1x", "", " 5"})
    EXPECT_EQ(reason(parse_page_size(bad)), kBadBody) << bad;
  EXPECT_EQ(*parse_query_int(std::nullopt, "n"), std::nullopt);
  EXPECT_EQ(*parse_query_int("", "n"), std::nullopt);
  EXPECT_EQ(**parse_query_int("-7", "n"), -7);
  EXPECT_EQ(reason(parse_query_int("9223372036854775808", "n")), kBadBody);
  EXPECT_EQ(parse_query_bool("True"), true);
  EXPECT_EQ(parse_query_bool("0"), false);
  EXPECT_EQ(parse_query_bool("yes"), std::nullopt);
}

TEST(RestAccounts, RequestsReadOnlyStrings) {
  EXPECT_EQ(reason(parse_login_request(object(R"({"user_name":5})"))), kBadBody);
  const auto login = parse_login_request(object(R"({"user_name":"a","password":null})"));
  ASSERT_TRUE(login);
  EXPECT_EQ(login->user_name, "a");
  EXPECT_FALSE(login->password);
  const auto refresh = to_json(LoginRequest{{}, {}, "r"});
  EXPECT_EQ(json::serialize(refresh), R"({"refreshtoken":"r"})");
  // Step 1 of a password reset sends the other two members as null, as the CLI does.
  EXPECT_EQ(json::serialize(to_json(ForgotPasswordRequest{"a", {}, {}})),
            R"({"user_name":"a","password":null,"verification_code":null})");
}

TEST(RestAccounts, AnswersReadBack) {
  const Tokens t{"id", "access", "refresh"};
  const auto back = parse_tokens(to_json(t), true);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->refresh_token, "refresh");
  EXPECT_EQ(to_json(t).count("session"), 0u) << "a session member switches the CLI to OTP";
  EXPECT_EQ(reason(parse_tokens(object(R"({"idtoken":"i","accesstoken":"a"})"), true)), 0)
      << "a login answer without a refresh token is an error";
  EXPECT_TRUE(parse_tokens(object(R"({"idtoken":"i","accesstoken":"a"})"), false));
  EXPECT_FALSE(parse_tokens(object(R"({"session":"s"})"), false));

  UserInfo u{"u1", "+15551234567", "", "+15551234567", "", true, false};
  const auto info = parse_user_info(to_json(u));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->phone_number, u.phone_number);
  EXPECT_TRUE(info->email.empty());
  EXPECT_TRUE(info->super_admin);

  const auto host = parse_mqtt_host(to_json(MqttHost{"h", 8883}));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->port, 8883);
  EXPECT_EQ(json::serialize(to_json(MqttHost{"h", 0})), R"({"mqtt_host":"h"})");
  EXPECT_FALSE(parse_mqtt_host(object("{}")));
  EXPECT_EQ(json::serialize(to_json(ApiVersions{{"v1"}, "v1"})),
            R"({"supported_versions":["v1"],"current_version":"v1"})");
}

TEST(RestNodes, BatchSetsHoldOneToTwentyFiveEntries) {
  const auto entries = [](std::size_t n) {
    json::array a;
    for (std::size_t i = 0; i < n; ++i)
      a.push_back(json::object{{"node_id", "n" + std::to_string(i)}, {"payload", json::object{}}});
    return json::value(std::move(a));
  };
  EXPECT_EQ(reason(parse_params_sets(entries(0), "")), kBadBody);
  EXPECT_EQ(parse_params_sets(entries(1), "")->size(), 1u);
  EXPECT_EQ(parse_params_sets(entries(limits::kMaxSetsPerRequest), "")->size(), 25u);
  EXPECT_EQ(reason(parse_params_sets(entries(limits::kMaxSetsPerRequest + 1), "")), kBadBody);
  for (const char* bad : {R"([{"node_id":"a"}])", R"([{"node_id":"a","payload":[1]}])",
                          R"([{"node_id":1,"payload":{}}])", R"([1])", R"("x")"}) {
    EXPECT_EQ(reason(parse_params_sets(json::parse(bad), "")), kBadBody) << bad;
  }
  const json::value single = json::parse(R"({"Light":{"Power":true}})");
  EXPECT_EQ(reason(parse_params_sets(single, "")), kBadBody) << "an object needs ?node_id=";
  const auto one = parse_params_sets(single, "n1");
  ASSERT_TRUE(one);
  EXPECT_EQ((*one)[0].node_id, "n1");
  EXPECT_EQ((*one)[0].payload, &single.as_object()) << "points into the body, no copy";
  EXPECT_EQ(json::serialize(to_json(*one)),
            R"([{"node_id":"n1","payload":{"Light":{"Power":true}}}])");
}

TEST(RestNodes, SetOutcomesReadBack) {
  const SetOutcome failed{"n", false, "no such node", node_error::node_not_found, false};
  const SetOutcome queued{"m", true, "queued", 0, true};
  const json::value answer = json::array{to_json(failed), to_json(queued)};
  const auto back = parse_set_outcomes(answer, {});
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].error_code, node_error::node_not_found);
  EXPECT_FALSE(back[0].success);
  EXPECT_TRUE(back[1].queued);
  EXPECT_EQ(to_json(queued).count("error_code"), 0u);
  // A non-array answer means success for every node (spec §4.3).
  const auto all = parse_set_outcomes(json::object{{"status", "success"}}, {"a", "b"});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[1].success);
}

TEST(RestNodes, DetailsAndPagesReadBack) {
  NodeDetails d;
  d.id = "n1";
  d.role = "secondary";
  d.sub_role = 2;
  d.connectivity = {true, 1700000000000};
  d.mapping_timestamp_s = 1700000000;
  d.tags = {"room:kitchen"};
  d.metadata_json = R"({"k":1})";
  d.config_json = R"({"info":{"name":"Lamp","type":"t","fw_version":"1.0"}})";
  NodePage page;
  page.with_details = true;
  page.node_details = {d};
  page.next_id = "n2";
  page.total = 7;
  const auto o = to_json(page);
  const auto& entry = o.at("node_details").as_array()[0].as_object();
  EXPECT_EQ(entry.at("node_id"), "n1") << "the TS SDK reads the deprecated alias";
  EXPECT_EQ(entry.at("primary"), false);
  EXPECT_FALSE(entry.contains("params")) << "not reported: absent";
  const auto back = parse_node_page(o);
  ASSERT_EQ(back.node_details.size(), 1u);
  const auto& n = back.node_details[0];
  EXPECT_EQ(n.sub_role, 2);
  EXPECT_EQ(n.connectivity.timestamp_ms, 1700000000000);
  EXPECT_EQ(n.tags, d.tags);
  EXPECT_EQ(n.name, "Lamp");
  EXPECT_EQ(n.fw_version, "1.0");
  EXPECT_EQ(back.next_id, "n2");
  EXPECT_EQ(back.total, 7);
  EXPECT_EQ(json_text(NodePage{{"a"}, {}, false, "", 1}), R"({"nodes":["a"],"total":1})");
}

TEST(RestNodes, MappingAndUpdates) {
  EXPECT_EQ(reason(parse_mapping_request(object(R"({"secret_key":"k"})"))), kBadBody);
  EXPECT_EQ(reason(parse_mapping_request(object(R"({"node_id":"n","user_id":1})"))), kBadBody);
  const auto add = parse_mapping_request(object(R"({"node_id":"n","secret_key":"k"})"));
  ASSERT_TRUE(add);
  EXPECT_EQ(add->operation, "add") << "absent operation means add";
  EXPECT_EQ(*parse_mapping_status(mapping_status_json("timedout")), MappingStatus::timedout);
  EXPECT_EQ(*parse_mapping_status(object(R"({"request_status":"timeout"})")),
            MappingStatus::timedout);
  EXPECT_FALSE(parse_mapping_status(object(R"({"request_status":"?"})")));
  EXPECT_EQ(*parse_mapping_created(mapping_created_json("r1")), "r1");

  EXPECT_EQ(reason(parse_node_update(object("{}"))), kBadBody);
  EXPECT_EQ(reason(parse_node_update(object(R"({"tags":null})"))), kBadBody);
  EXPECT_EQ(reason(parse_node_update(object(R"({"tags":["a",1]})"))), kBadBody);
  {  // more tags than a node may have: refused before any tag is looked at
    json::array many;
    for (int i = 0; i <= 64; ++i)
      many.emplace_back(json::string("t:" + std::to_string(i)));
    json::object too_many{{"tags", many}};
    EXPECT_EQ(reason(parse_node_update(too_many)), kBadBody);
    many.pop_back();
    too_many["tags"] = many;
    EXPECT_TRUE(parse_node_update(too_many));
  }
  const auto body = object(R"({"metadata":null})");
  const auto update = parse_node_update(body);
  ASSERT_TRUE(update);
  ASSERT_NE(update->metadata, nullptr);
  EXPECT_TRUE(update->metadata->is_null()) << "null deletes all metadata";

  EXPECT_EQ(parse_mapping_challenge_request(object(R"({"timeout":360.0})"))->timeout_s, 360);
  for (const char* bad : {R"({"timeout":360.5})", R"({"timeout":"360"})",
                          R"({"timeout":18446744073709551615})", R"({"timeout":1e300})"}) {
    EXPECT_EQ(reason(parse_mapping_challenge_request(object(bad))), mapping_error::timeout_invalid)
        << bad;
  }
  EXPECT_EQ(reason(parse_mapping_verify_request(object(R"({"metadata":[1]})"))), kBadBody);
  EXPECT_EQ(parse_mapping_verify_request(object("{}"))->request_id, "");
}

TEST(RestCommands, RequestTypesAreCheckedHere) {
  using namespace command_error;
  EXPECT_EQ(reason(parse_command_request(object(R"({"node_ids":"a","cmd":1})"))), kBadBody);
  EXPECT_EQ(reason(parse_command_request(object(R"({"node_ids":["a"]})"))), invalid_cmd);
  EXPECT_EQ(reason(parse_command_request(object(R"({"node_ids":["a"],"cmd":1.5})"))), invalid_cmd);
  EXPECT_EQ(reason(parse_command_request(object(R"({"cmd":1,"data":5})"))), invalid_data);
  EXPECT_EQ(reason(parse_command_request(object(R"({"cmd":1,"data":"!","is_base64":true})"))),
            invalid_base64);
  EXPECT_EQ(reason(parse_command_request(object(R"({"cmd":1,"timeout":"60"})"))), invalid_timeout);
  EXPECT_EQ(reason(parse_command_request(object(R"({"cmd":1,"override":1})"))), kBadBody);
  // Ranges are the service's: a large cmd parses.
  EXPECT_EQ(parse_command_request(object(R"({"cmd":70000})"))->cmd, 70000);

  CommandRequest r;
  r.node_ids = {"a"};
  r.cmd = 4096;
  r.data = R"({"x":1})";
  r.timeout_s = -1;
  auto back = parse_command_request(to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, r.data);
  EXPECT_EQ(back->timeout_s, -1);
  r.data = std::string("\x00\xff", 2);
  r.is_base64 = true;
  back = parse_command_request(to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, r.data) << "raw bytes travel as base64";
  r.data = "plain";
  r.is_base64 = false;
  EXPECT_EQ(to_json(r).at("data"), "plain");
}

TEST(RestCommands, OutcomesAreGroupedAndReadBack) {
  const auto all = group_command_outcomes("r", {{"a", true, 0, "in_progress"}});
  EXPECT_TRUE(all.all_sent());
  EXPECT_EQ(json::serialize(to_json(all)), R"({"request_id":"r","status":"success"})");
  const auto mixed =
      group_command_outcomes("r", {{"a", false, command_error::node_offline, "offline"},
                                   {"b", true, 0, "in_progress"},
                                   {"c", false, command_error::node_offline, "offline"}});
  ASSERT_EQ(mixed.responses.size(), 2u);
  EXPECT_EQ(mixed.responses[0].node_ids, (std::vector<std::string>{"a", "c"}));
  const auto back = parse_command_created(to_json(mixed));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->responses.size(), 2u);
  EXPECT_EQ(back->responses[0].error_code, command_error::node_offline);
  EXPECT_TRUE(back->responses[1].success);
  EXPECT_FALSE(parse_command_created(object("{}")));
}

TEST(RestCommands, RecordsReadBack) {
  CommandRecord r;
  r.request_id = "r";
  r.node_id = "n";
  r.status = "success";
  r.cmd = 4096;
  r.request_data_json = command_data_json(R"({"a":1})", false);
  r.response_data_json = command_data_json(std::string("\xff", 1), false);
  r.device_status = 0;
  r.response_timestamp_s = 5;
  const auto o = to_json(r);
  EXPECT_EQ(o.at("request_data"), json::parse(R"({"a":1})")) << "JSON data stays JSON";
  EXPECT_EQ(o.at("response_data"), "/w==") << "bytes that are not UTF-8 become base64";
  EXPECT_EQ(o.at("indefinite_timeout"), true);
  CommandPage page{{r}, "42"};
  const auto back = parse_command_page(to_json(page));
  ASSERT_EQ(back.requests.size(), 1u);
  EXPECT_EQ(back.next_id, "42");
  EXPECT_EQ(back.requests[0].device_status, 0);
  EXPECT_FALSE(back.requests[0].expiration_timestamp_s);
  EXPECT_EQ(command_data_text(back.requests[0].response_data_json), "/w==");
  EXPECT_EQ(command_data_text(back.requests[0].request_data_json), R"({"a":1})");
}

TEST(RestClaiming, RequestsAndAnswers) {
  EXPECT_EQ(reason(parse_claim_initiate_request(object(R"({"platform":"esp32"})"))),
            claim_error::mac_invalid);
  EXPECT_EQ(reason(parse_claim_initiate_request(object(R"({"mac_addr":"AA"})"))),
            claim_error::platform_invalid);
  EXPECT_EQ(reason(parse_claim_verify_request(object(R"({"csr":"x","send_mqtt_host":"y"})"))),
            kBadBody);
  EXPECT_EQ(reason(parse_claim_verify_request(object("{}"))), claim_error::csr_missing);
  ClaimVerifyRequest v;
  v.csr = "pem";
  v.node_id = "n";
  const auto vr = parse_claim_verify_request(to_json(v));
  ASSERT_TRUE(vr);
  EXPECT_EQ(vr->node_id, "n");
  EXPECT_EQ(parse_claim_initiated(to_json(ClaimInitiated{{}, "a", "c"}))->auth_id, "a");
  const auto cert = parse_claim_verified(to_json(ClaimVerified{"c", "h", 8883, "ca"}));
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->mqtt_port, 8883);
  EXPECT_FALSE(parse_claim_verified(object("{}")));
}

TEST(RestSharing, ShareRequestsAsTheClientsSendThem) {
  // The CLI's add_user, the TS SDK's node_ids spelling, and group sharing.
  const auto cli = parse_share_request(
      object(R"({"nodes":["a","b"],"user_name":"u@x.io","sub_role":2,"transfer":true,
                 "new_role":"secondary","metadata":{"devices":[]}})"),
      SharingKind::node);
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cli->sub_role, 2);
  EXPECT_TRUE(cli->transfer);
  EXPECT_EQ(cli->metadata_json, R"({"devices":[]})");
  EXPECT_EQ(
      parse_share_request(object(R"({"node_ids":["a"],"user_name":"u"})"), SharingKind::node)->ids,
      (std::vector<std::string>{"a"}));
  EXPECT_EQ(parse_share_request(object(R"({"groups":["g"],"user_name":"u","primary":true})"),
                                SharingKind::group)
                ->ids,
            (std::vector<std::string>{"g"}));
  // Missing members are the service's to name; wrong types are refused here.
  EXPECT_EQ(parse_share_request(object("{}"), SharingKind::node)->user_name, "");
  for (const char* bad : {R"({"nodes":"a"})", R"({"nodes":[1]})", R"({"user_name":5})",
                          R"({"primary":"true"})", R"({"transfer":1})", R"({"sub_role":1.5})",
                          R"({"new_role":true})", R"({"metadata":[1]})"}) {
    EXPECT_EQ(reason(parse_share_request(object(bad), SharingKind::node)), kBadBody) << bad;
  }
  // An integer sub_role out of range is read as -1, for the service to refuse with the
  // resource's own code (107040, 108140).
  for (const char* out_of_range : {R"({"sub_role":256})", R"({"sub_role":-1})"}) {
    const auto read = parse_share_request(object(out_of_range), SharingKind::node);
    ASSERT_TRUE(read) << out_of_range;
    EXPECT_EQ(read->sub_role, -1) << out_of_range;
  }
  // What the client writes, the server reads back.
  const auto again = parse_share_request(to_json(*cli, SharingKind::node), SharingKind::node);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ids, cli->ids);
  EXPECT_EQ(again->new_role, "secondary");
  EXPECT_EQ(again->metadata_json, cli->metadata_json);
  EXPECT_FALSE(to_json(ShareRequest{{"g"}, "u", false, 0, false, "", ""}, SharingKind::group)
                   .contains("sub_role"));
}

TEST(RestSharing, AnswersAndListings) {
  EXPECT_EQ(*parse_sharing_answer(object(R"({"accept":false,"request_id":"r"})"))->accept, false);
  EXPECT_EQ(*parse_sharing_answer(object(R"({"confirm_sharing":true,"request_id":"r"})"))->accept,
            true);
  EXPECT_FALSE(parse_sharing_answer(object(R"({"request_id":"r"})"))->accept);
  EXPECT_EQ(reason(parse_sharing_answer(object(R"({"accept":"true"})"))), kBadBody);
  EXPECT_EQ(reason(parse_sharing_answer(object(R"({"accept":true,"request_id":1})"))), kBadBody);

  const auto created = parse_share_created(to_json(ShareCreated{"r1", "done", false}));
  ASSERT_TRUE(created);
  EXPECT_EQ(created->request_id, "r1");
  EXPECT_FALSE(parse_share_created(object(R"({"status":"success"})")));

  const auto users = sharing_users_json({{"n1", {"a"}, {"b", "c"}}}, SharingKind::node);
  EXPECT_EQ(
      json::serialize(users),
      R"({"node_sharing":[{"node_id":"n1","users":{"primary":["a"],"secondary":["b","c"]}}]})");
  EXPECT_EQ(parse_sharing_users(users, SharingKind::node).at(0).secondary.size(), 2u);
  EXPECT_TRUE(parse_sharing_users(users, SharingKind::group).empty());

  SharingRequestPage page;
  SharingRequestInfo info;
  info.request_id = "r1";
  info.status = "pending";
  info.timestamp_s = 1764700000;
  info.ids = {"g1"};
  info.group_names = {"Home"};
  info.user_name = "b@x.io";
  info.primary_user_name = "a@x.io";
  info.user_role = "secondary";
  page.requests.push_back(info);
  const auto written = to_json(page, SharingKind::group);
  EXPECT_FALSE(written.contains("next_request_id"));  // the last page says nothing more
  const auto& entry = written.at("sharing_requests").as_array().at(0).as_object();
  EXPECT_TRUE(entry.contains("group_ids"));
  EXPECT_TRUE(entry.contains("user_name") && entry.contains("primary_user_name"));
  const auto back = parse_sharing_request_page(written, SharingKind::group);
  ASSERT_EQ(back.requests.size(), 1u);
  EXPECT_EQ(back.requests[0].group_names, info.group_names);
  EXPECT_EQ(back.requests[0].timestamp_s, info.timestamp_s);
  page.next_request_id = "r0";
  EXPECT_EQ(to_json(page, SharingKind::node).at("next_request_id"), "r0");
}

TEST(RestGroups, FieldsPagesAndTheCliQuirks) {
  // `group add` sends is_matter and mutually_exclusive on every root group.
  const auto add = parse_group_fields(
      object(R"({"group_name":"Home","is_matter":true,"mutually_exclusive":false})"));
  ASSERT_TRUE(add);
  EXPECT_EQ(add->is_matter, true);
  EXPECT_EQ(add->mutually_exclusive, false);
  EXPECT_FALSE(add->empty());
  EXPECT_TRUE(parse_group_fields(object("{}"))->empty());
  EXPECT_EQ(parse_group_fields(object(R"({"custom_data":null})"))->custom_data_json, "null");
  EXPECT_EQ(parse_group_fields(object(R"({"nodes":["a"],"operation":"add"})"))->operation, "add");
  for (const char* bad :
       {R"({"group_name":1})", R"({"nodes":"a"})", R"({"custom_data":[1]})",
        R"({"custom_data":"x"})", R"({"mutually_exclusive":"false"})", R"({"operation":{}})"}) {
    EXPECT_EQ(reason(parse_group_fields(object(bad))), kBadBody) << bad;
  }
  EXPECT_EQ(*parse_group_created(group_created_json("g1")), "g1");
  EXPECT_FALSE(parse_group_created(object("{}")));

  GroupPage page;
  Group g;
  g.group_id = "g1";
  g.group_name = "Home";
  g.nodes = std::vector<std::string>{"n1"};
  g.sub_groups = std::vector<Group>{};
  page.groups.push_back(g);
  page.total = 1;
  const auto written = to_json(page);
  EXPECT_FALSE(written.contains("next_id"));  // the CLI loops while next_id is there
  const auto& entry = written.at("groups").as_array().at(0).as_object();
  EXPECT_EQ(entry.at("sub_groups"), json::array());
  EXPECT_EQ(entry.at("custom_data"), json::object());
  EXPECT_FALSE(entry.contains("node_details"));
  const auto back = parse_group_page(written);
  ASSERT_EQ(back.groups.size(), 1u);
  EXPECT_EQ(back.groups[0].nodes, g.nodes);
  EXPECT_FALSE(back.groups[0].node_details);
  page.next_id = "g2";
  EXPECT_EQ(to_json(page).at("next_id"), "g2");
}

}  // namespace
}  // namespace stratus::proto::rest
