// Proves the command request lifecycle (docs/adr/0006): stored before sending, sent to
// online nodes, re-sent on the poll while unexpired, answers stored (success, failure
// with device status), timeouts by the sweep and at read time, override, cancel, the
// role byte per relation, refusals per node, and set-params answers merged in order;
// queued work re-checks its requester (a removed or disabled user's sets and commands
// are not delivered, its answers not kept, its unsent sets not put back).
// How: real SQLite in a temp dir, a ManualClock, the real ingest writer, and a
// messenger fake that records what would go to `to-node`.
#include "service/command_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <limits>
#include <mutex>
#include <utility>

#include "core/base64.hpp"
#include "service/node_ingest.hpp"
#include "service/node_service.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/recording_events.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class RecordingMessenger final : public NodeMessenger {
 public:
  Result<void> publish_params_remote(std::string_view node_id, std::string_view payload) override {
    if (params_refused) {
      // The broker is away; what happens meanwhile happens first (runs once).
      if (auto meanwhile = std::exchange(params_refused, {}); meanwhile)
        meanwhile();
      return fail(errc::unavailable, "broker down");
    }
    std::lock_guard lock(mutex_);
    params_.emplace_back(node_id, payload);
    return {};
  }
  // When set, the next params/remote publish runs it and fails (the broker away).
  std::function<void()> params_refused;
  // The params/remote payloads sent to `node_id`, forgotten.
  std::vector<std::string> take_params(const std::string& node_id) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    std::erase_if(params_, [&](const auto& p) {
      if (p.first != node_id)
        return false;
      out.push_back(p.second);
      return true;
    });
    return out;
  }
  Result<void> publish_ota_url(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_to_node(std::string_view node_id, std::string_view bytes) override {
    if (before_send) {
      auto decoded = proto::decode_request(bytes);
      EXPECT_TRUE(decoded);
      if (decoded)
        before_send(node_id, *decoded);
    }
    std::lock_guard lock(mutex_);
    if (broken)
      return fail(errc::unavailable, "broker down");
    sent_.emplace_back(node_id, bytes);
    return {};
  }
  // What went to `node_id`, decoded, and forgotten.
  std::vector<proto::CmdRequest> take(const std::string& node_id) {
    std::lock_guard lock(mutex_);
    std::vector<proto::CmdRequest> out;
    std::erase_if(sent_, [&](const auto& s) {
      if (s.first != node_id)
        return false;
      auto decoded = proto::decode_request(s.second);
      EXPECT_TRUE(decoded) << "the TLV decodes";
      if (decoded)
        out.push_back(*decoded);
      return true;
    });
    return out;
  }
  bool broken = false;
  // When set, runs before each publish_to_node (the request as the node would get it).
  std::function<void(std::string_view, const proto::CmdRequest&)> before_send;

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> sent_;
  std::vector<std::pair<std::string, std::string>> params_;
};

// Passes everything to `inner`; after the next `list`, runs `after_list` once: what another
// thread does between a reader's read and its next step.
class InterleavingCommands final : public storage::CommandRepository {
 public:
  explicit InterleavingCommands(storage::CommandRepository& inner) : inner_(inner) {}
  Result<void> write(const std::function<Result<void>(storage::CommandWriter&)>& body) override {
    return inner_.write(body);
  }
  Result<storage::CommandRecord> get(std::string_view request_id,
                                     std::string_view node_id) override {
    return inner_.get(request_id, node_id);
  }
  Result<std::vector<storage::CommandRecord>> list(const storage::CommandFilter& f) override {
    auto rows = inner_.list(f);
    if (auto then = std::exchange(after_list, {}); then)
      then();
    return rows;
  }
  Result<std::int64_t> count(const storage::CommandFilter& f) override { return inner_.count(f); }
  Result<bool> any_due(std::int64_t now_ms) override { return inner_.any_due(now_ms); }
  std::function<void()> after_list;

 private:
  storage::CommandRepository& inner_;
};

constexpr std::string_view kConfig =
    R"({"node_id":"n","config_version":"2020-03-20","info":{"name":"n","fw_version":"1","type":"t"},)"
    R"("attributes":[{"name":"cmd-resp","value":"1"}],)"
    R"("devices":[{"name":"Light","type":"esp.device.light","params":[{"name":"Power","type":"esp.param.power","data_type":"bool","properties":["read","write"]}]}]})";
constexpr std::string_view kConfigWithoutCmdResp =
    R"({"node_id":"n","config_version":"2020-03-20","info":{"name":"n","fw_version":"1","type":"t"},"devices":[]})";

class CommandServiceTest : public ::testing::Test {
 protected:
  CommandServiceTest()
      : clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))),
        db_(test::open_test_database(dir_, 3)),
        accounts_(db_),
        nodes_(db_),
        commands_(db_),
        service_(commands_, nodes_, accounts_, messenger_, events_, clock_, metrics_,
                 CommandOptions{}, audit_),
        ingest_(nodes_, messenger_, service_, events_, clock_, metrics_,
                IngestOptions{1000, 100, 1ms}) {
    const std::int64_t now = 1'800'000'000;
    for (const auto* u : {"u1", "u2", "u3"}) {
      EXPECT_TRUE(accounts_.create_user(
          {u, std::string(u) + "@example.com", "x", true, false, "", now, now}));
    }
    EXPECT_TRUE(
        accounts_.create_user({"admin", "admin@example.com", "x", true, true, "", now, now}));
    ingest_.start();
    // n1 online, n2 offline, both with cmd-resp; n3 without. u1 primary of all, u2
    // secondary (sub-role 2) of n1 and n2; u3 has no relation.
    node("n1", kConfig, true);
    node("n2", kConfig, false);
    node("n3", kConfigWithoutCmdResp, true);
    relate("u2", "n1", "secondary", 2);
    relate("u2", "n2", "secondary", 2);
  }

  void submit(const std::string& node_id, decltype(NodeEvent::body) body) {
    ASSERT_TRUE(ingest_.submit(NodeEvent{node_id, unix_ms(clock_.now()), std::move(body)}));
  }
  void settle() { ASSERT_TRUE(ingest_.flush(5s)); }

  void node(const std::string& id, std::string_view config, bool online) {
    submit(id, ConfigReported{std::string(config)});
    if (online)
      submit(id, PresenceChanged{true, unix_ms(clock_.now())});
    settle();
    relate("u1", id, "primary", 0);
  }
  // Sharing endpoints do not exist yet: relations are written directly.
  void relate(const std::string& user, const std::string& node_id, const std::string& role,
              int sub_role) {
    ASSERT_TRUE(
        nodes_.write([&](storage::NodeWriter& w) { return w.add_user(user, node_id, role, 1); }));
    ASSERT_TRUE(db_->with([&](storage::sql::Connection& c) {
      return c.execute("UPDATE user_nodes SET sub_role = ?1 WHERE user_id = ?2 AND node_id = ?3",
                       std::int64_t{sub_role}, user, node_id);
    }));
  }

  CommandCreated create(const Principal& who, std::vector<std::string> node_ids, int cmd = 4096,
                        std::string data = R"({"x":1})", std::optional<std::int64_t> timeout = {},
                        bool override_pending = false) {
    NewCommand c{std::move(node_ids), cmd, std::move(data), false, timeout, override_pending};
    auto r = service_.create(who, c);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? *r : CommandCreated{};
  }

  storage::CommandRecord record(const std::string& request_id, const std::string& node_id,
                                const Principal& who = {"u1", "s", false}) {
    CommandQuery q;
    q.request_id = request_id;
    q.node_id = node_id;
    auto page = service_.list(who, q);
    EXPECT_TRUE(page);
    EXPECT_EQ(page ? page->requests.size() : 0u, 1u);
    return page && !page->requests.empty() ? page->requests.front() : storage::CommandRecord{};
  }

  void answer(const std::string& node_id, const std::string& request_id, std::uint8_t status,
              std::uint16_t cmd = 4096, std::string data = {}) {
    submit(node_id, CommandAnswered{proto::CmdResponse{request_id, status, cmd, std::move(data)}});
    settle();
  }

  // Sets `params` on `node_id` as `who` through `nodes`; whether it was queued (the node
  // offline), as for every queued-work test here.
  static bool queue_set(NodeService& nodes, const Principal& who, const std::string& node_id,
                        std::string_view params) {
    return nodes.set_params(who, {{node_id, json::parse(params).as_object()}})[0].queued;
  }

  // The stored `Light.Power` of `node_id`, null when there is none.
  json::value stored_power(const std::string& node_id) {
    std::optional<std::string> params;
    EXPECT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
      auto p = w.params(node_id);
      if (!p)
        return fail(p.error());
      params = *p;
      return {};
    }));
    if (!params)
      return nullptr;
    const auto doc = json::parse(*params);
    const auto* light = doc.as_object().if_contains("Light");
    return light != nullptr ? light->as_object().at("Power") : json::value(nullptr);
  }

  std::uint64_t metric(std::string_view name, const MetricLabels& labels) {
    return metrics_.counter(name, "", labels).value();
  }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlCommandRepository commands_;
  RecordingMessenger messenger_;
  test::RecordingEvents events_;
  CommandService service_;
  NodeIngest ingest_;
  Principal u1_{"u1", "s1", false};
  Principal u2_{"u2", "s2", false};
  Principal u3_{"u3", "s3", false};
  Principal admin_{"admin", "s4", true};
};

TEST_F(CommandServiceTest, SentToOnlineNodesAndStoredForOfflineOnes) {
  const auto c = create(u1_, {"n1", "n2"}, 4096, R"({"x":1})", 60);
  ASSERT_EQ(c.request_id.size(), 22u);
  ASSERT_EQ(c.outcomes.size(), 2u);
  EXPECT_TRUE(c.outcomes[0].sent);
  EXPECT_FALSE(c.outcomes[1].sent);
  EXPECT_EQ(c.outcomes[1].error.value().reason, proto::rest::command_error::node_offline);
  EXPECT_EQ(c.outcomes[1].description, "Node is offline, responses may be delayed");
  EXPECT_FALSE(c.all_sent());

  const auto sent = messenger_.take("n1");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].request_id, c.request_id);
  EXPECT_EQ(sent[0].role, proto::kRolePrimary);
  EXPECT_EQ(sent[0].command, 4096);
  EXPECT_EQ(sent[0].timestamp, 1'800'000'000u);
  EXPECT_EQ(sent[0].data, R"({"x":1})");
  EXPECT_TRUE(messenger_.take("n2").empty());

  const auto r1 = record(c.request_id, "n1");
  EXPECT_EQ(r1.status, "in_progress");
  EXPECT_EQ(r1.user_name, "u1@example.com");
  EXPECT_EQ(r1.expiration_ms, std::optional<std::int64_t>(1'800'000'060'000));
  EXPECT_EQ(record(c.request_id, "n2").status, "requested");
  EXPECT_EQ(metric("stratus_commands_total", {{"status", "requested"}}), 2u);
  EXPECT_EQ(metric("stratus_commands_total", {{"status", "in_progress"}}), 1u);
}

TEST_F(CommandServiceTest, ThePollResendsPendingUnexpiredRequestsInOrder) {
  const auto short_one = create(u1_, {"n2"}, 10, "a", 10);
  const auto long_one = create(u1_, {"n2"}, 11, "b", 100);
  const auto forever = create(u1_, {"n2"}, 12, "c", -1);
  const auto answered = create(u1_, {"n2"}, 13, "d", 100);
  answer("n2", answered.request_id, 0, 13);
  clock_.advance(20s);
  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  const auto sent = messenger_.take("n2");
  ASSERT_EQ(sent.size(), 2u) << "not the expired one, not the answered one";
  EXPECT_EQ(sent[0].request_id, long_one.request_id);
  EXPECT_EQ(sent[1].request_id, forever.request_id);
  EXPECT_EQ(sent[1].data, "c");
  EXPECT_EQ(record(long_one.request_id, "n2").status, "in_progress");
  EXPECT_EQ(record(forever.request_id, "n2").status, "in_progress");
  EXPECT_FALSE(record(forever.request_id, "n2").expiration_ms) << "indefinite";
  EXPECT_EQ(record(short_one.request_id, "n2").status, "timed_out");
  // Every connect polls again: in_progress ones go out again.
  submit("n2", NodeReady{});
  settle();
  EXPECT_EQ(messenger_.take("n2").size(), 2u);
  // A broker outage leaves them pending for the next poll.
  messenger_.broken = true;
  submit("n2", NodeReady{});
  settle();
  messenger_.broken = false;
  EXPECT_EQ(record(long_one.request_id, "n2").status, "in_progress");
}

TEST_F(CommandServiceTest, ARequestCancelledWhileThePollRunsIsNotSent) {
  const auto c = create(u1_, {"n2"});  // n2 offline: stored, requested
  const auto other = create(u1_, {"n2"}, 4097);
  InterleavingCommands interleaved(commands_);
  CommandService poller(interleaved, nodes_, accounts_, messenger_, events_, clock_, metrics_,
                        CommandOptions{}, audit_);
  // The user cancels between the poll's read of the pending records and its send.
  interleaved.after_list = [&] { EXPECT_TRUE(service_.cancel(u1_, c.request_id, "n2")); };
  poller.on_poll("n2");
  const auto sent = messenger_.take("n2");
  ASSERT_EQ(sent.size(), 1u) << "the cancelled request stays off the wire";
  EXPECT_EQ(sent[0].request_id, other.request_id);
  EXPECT_EQ(record(c.request_id, "n2").status, "cancelled");
  EXPECT_EQ(record(other.request_id, "n2").status, "in_progress");
}

TEST_F(CommandServiceTest, ARequestIsInProgressBeforeItIsPublished) {
  // What the node may act on is never a record that a cancel would still take as unsent.
  std::vector<std::string> at_send;
  messenger_.before_send = [&](std::string_view node_id, const proto::CmdRequest& r) {
    at_send.push_back(record(r.request_id, std::string(node_id)).status);
  };
  const auto online = create(u1_, {"n1"});
  EXPECT_TRUE(online.all_sent());
  const auto queued = create(u1_, {"n2"});
  service_.on_poll("n2");
  EXPECT_EQ(at_send, (std::vector<std::string>{"in_progress", "in_progress"}));
  messenger_.before_send = nullptr;
  EXPECT_EQ(messenger_.take("n1").size(), 1u);
  EXPECT_EQ(messenger_.take("n2").size(), 1u);
  // A send that fails puts the record back: it was not sent, so it is not in progress.
  messenger_.broken = true;
  const auto refused = create(u1_, {"n1"});
  const auto waiting = create(u1_, {"n2"});
  service_.on_poll("n2");
  messenger_.broken = false;
  EXPECT_FALSE(refused.all_sent());
  EXPECT_EQ(record(refused.request_id, "n1").status, "requested");
  EXPECT_EQ(record(waiting.request_id, "n2").status, "requested");
  EXPECT_EQ(record(queued.request_id, "n2").status, "in_progress") << "a re-send stays so";
  service_.on_poll("n2");
  EXPECT_EQ(messenger_.take("n2").size(), 2u);
  EXPECT_EQ(record(waiting.request_id, "n2").status, "in_progress");
}

TEST_F(CommandServiceTest, AnswersAreStoredWithTheDeviceStatus) {
  const auto ok = create(u1_, {"n1"});
  answer("n1", ok.request_id, 0, 4096, R"({"done":true})");
  auto r = record(ok.request_id, "n1");
  EXPECT_EQ(r.status, "success");
  EXPECT_EQ(r.device_status, std::optional<int>(0));
  EXPECT_EQ(r.response_data, std::optional<std::string>(R"({"done":true})"));
  EXPECT_EQ(r.response_ms, std::optional<std::int64_t>(unix_ms(clock_.now())));

  // A secondary user's request carries role 0x04 | sub-role bits; the node refuses it.
  const auto refused = create(u2_, {"n1"});
  const auto sent = messenger_.take("n1");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].role, proto::kRoleSecondary | proto::sub_role_bits(2));
  EXPECT_EQ(sent[1].role, 0x24);
  answer("n1", refused.request_id, 3);
  r = record(refused.request_id, "n1", u2_);
  EXPECT_EQ(r.status, "failure");
  EXPECT_EQ(r.device_status, std::optional<int>(3));
  EXPECT_EQ(r.status_description, "not authorized for this role");
  EXPECT_FALSE(r.response_data);
  EXPECT_EQ(r.user_name, "u2@example.com");

  // Answers that match nothing change nothing and are counted.
  answer("n1", ok.request_id, 1);       // already final
  answer("n2", refused.request_id, 0);  // another node's request
  answer("n1", "no-such-request", 0);
  EXPECT_EQ(record(ok.request_id, "n1").status, "success");
  EXPECT_EQ(metric("stratus_command_responses_ignored_total", {{"reason", "final"}}), 1u);
  EXPECT_EQ(metric("stratus_command_responses_ignored_total", {{"reason", "unknown"}}), 2u);
  EXPECT_EQ(metric("stratus_commands_total", {{"status", "failure"}}), 1u);
}

TEST_F(CommandServiceTest, TimeoutsBySweepAndAtReadTimeSurviveAsStored) {
  const auto swept = create(u1_, {"n2"}, 1, "{}", 5);
  const auto lazy = create(u1_, {"n1"}, 2, "{}", 5);
  clock_.advance(4s);
  EXPECT_EQ(*service_.expire_due(), 0);
  clock_.advance(1s);  // expiration == now: due
  // A read between sweeps is already right.
  EXPECT_EQ(record(lazy.request_id, "n1").status, "timed_out");
  EXPECT_EQ(record(swept.request_id, "n2").status, "timed_out");
  EXPECT_EQ(*service_.expire_due(), 0) << "stored: nothing left";
  // Late answers are ignored; a timed-out request is never re-sent.
  answer("n1", lazy.request_id, 0, 2);
  EXPECT_EQ(record(lazy.request_id, "n1").status, "timed_out");
  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  messenger_.take("n1");
  EXPECT_TRUE(messenger_.take("n2").empty());

  const auto by_sweep = create(u1_, {"n1"}, 3, "{}", 1);
  clock_.advance(2s);
  EXPECT_EQ(*service_.expire_due(), 1);
  const auto r = record(by_sweep.request_id, "n1");
  EXPECT_EQ(r.status, "timed_out");
  EXPECT_EQ(r.response_ms, std::optional<std::int64_t>(unix_ms(clock_.now())));
  EXPECT_EQ(metric("stratus_commands_total", {{"status", "timed_out"}}), 3u);
  // Every time-out is announced, the sweep's too.
  std::size_t timed_out = 0;
  bool swept_announced = false;
  for (const auto& e : events_.of(proto::rest::EventKind::command)) {
    if (e.data_json.find(R"("status":"timed_out")") == std::string::npos)
      continue;
    ++timed_out;
    swept_announced = swept_announced || e.data_json.find(by_sweep.request_id) != std::string::npos;
  }
  EXPECT_EQ(timed_out, 3u);
  EXPECT_TRUE(swept_announced);
}

TEST_F(CommandServiceTest, OverrideSupersedesTheCallersPendingRequestsForThatCommand) {
  const auto first = create(u1_, {"n2"}, 7, "1");
  const auto other_cmd = create(u1_, {"n2"}, 8, "2");
  const auto secondary = create(u2_, {"n2"}, 7, "3");
  const auto without = create(u1_, {"n2"}, 7, "4");  // no override: both pending
  EXPECT_EQ(record(first.request_id, "n2").status, "requested");
  const auto newest = create(u1_, {"n2"}, 7, "5", std::nullopt, true);
  EXPECT_EQ(record(first.request_id, "n2").status, "overridden");
  EXPECT_EQ(record(without.request_id, "n2").status, "overridden");
  EXPECT_EQ(record(other_cmd.request_id, "n2").status, "requested");
  EXPECT_EQ(record(secondary.request_id, "n2", u2_).status, "requested");
  EXPECT_EQ(record(newest.request_id, "n2").status, "requested");
  // The poll sends only what is still pending.
  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  std::vector<std::string> data;
  for (const auto& s : messenger_.take("n2"))
    data.push_back(s.data);
  EXPECT_EQ(data, (std::vector<std::string>{"2", "3", "5"}));
}

TEST_F(CommandServiceTest, CancelIsForTheCreatorAndLateAnswersAreIgnored) {
  const auto c = create(u1_, {"n1", "n2"});
  EXPECT_EQ(service_.cancel(u2_, c.request_id, "").error().reason,
            proto::rest::command_error::request_not_found)
      << "another user sees no such request";
  EXPECT_EQ(service_.cancel(u1_, "nope", "").error().code, errc::not_found);
  EXPECT_EQ(*service_.cancel(u1_, c.request_id, "n1"), 1);
  EXPECT_EQ(record(c.request_id, "n1").status, "cancelled");
  EXPECT_EQ(record(c.request_id, "n2").status, "requested");
  answer("n1", c.request_id, 0);
  EXPECT_EQ(record(c.request_id, "n1").status, "cancelled");
  EXPECT_EQ(*service_.cancel(admin_, c.request_id, ""), 1) << "a super-admin may";
  const auto again = service_.cancel(u1_, c.request_id, "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::conflict);
  EXPECT_EQ(again.error().reason, proto::rest::command_error::not_pending);
}

TEST_F(CommandServiceTest, RequestsAreCheckedAndRefusedPerNode) {
  const auto error_of = [&](const Principal& who, NewCommand c) {
    auto r = service_.create(who, c);
    return r ? 0 : r.error().reason;
  };
  EXPECT_EQ(error_of(u1_, {{}, 1, "", false, {}, false}),
            proto::rest::command_error::node_ids_missing);
  EXPECT_EQ(error_of(u1_, {{"n1", "n1"}, 1, "", false, {}, false}),
            proto::rest::command_error::duplicate_node_ids);
  std::vector<std::string> many;
  for (int i = 0; i < 26; ++i)
    many.push_back("x" + std::to_string(i));
  EXPECT_EQ(error_of(u1_, {many, 1, "", false, {}, false}),
            proto::rest::command_error::too_many_nodes);
  EXPECT_EQ(error_of(u1_, {{"n1"}, 65536, "", false, {}, false}),
            proto::rest::command_error::invalid_cmd);
  EXPECT_EQ(error_of(u1_, {{"n1"}, -1, "", false, {}, false}),
            proto::rest::command_error::invalid_cmd);
  EXPECT_EQ(error_of(u1_, {{"n1"}, 1, "", false, 0, false}),
            proto::rest::command_error::invalid_timeout);
  EXPECT_EQ(error_of(u1_, {{"n1"}, 1, "", false, 2592001, false}),
            proto::rest::command_error::invalid_timeout);
  EXPECT_EQ(error_of(u1_, {{"n1"}, 1, std::string(64 * 1024 + 1, 'x'), false, {}, false}),
            proto::rest::command_error::data_too_large);
  // Unknown and another user's node answer alike; nothing is stored or sent.
  auto unknown = service_.create(u3_, {{"zz"}, 1, "", false, {}, false});
  auto foreign = service_.create(u3_, {{"n1"}, 1, "", false, {}, false});
  ASSERT_FALSE(unknown);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(unknown.error().code, errc::not_found);
  EXPECT_EQ(foreign.error().reason, unknown.error().reason);
  EXPECT_EQ(foreign.error().context, unknown.error().context);
  EXPECT_EQ(foreign.error().reason, proto::rest::node_error::node_not_found);
  EXPECT_EQ(error_of(u1_, {{"n3"}, 1, "", false, {}, false}),
            proto::rest::command_error::not_supported);
  EXPECT_TRUE(messenger_.take("n1").empty());
  CommandQuery q;
  q.node_id = "n1";
  EXPECT_TRUE(service_.list(admin_, q)->requests.empty());

  // Mixed: the accepted node gets it, the others say why.
  const auto mixed = create(u1_, {"zz", "n1", "n3"});
  ASSERT_EQ(mixed.outcomes.size(), 3u);
  EXPECT_EQ(mixed.outcomes[0].error.value().reason, proto::rest::node_error::node_not_found);
  EXPECT_TRUE(mixed.outcomes[1].sent);
  EXPECT_EQ(mixed.outcomes[2].error.value().reason, proto::rest::command_error::not_supported);
  // A super-admin without a relation sends as super-admin.
  create(admin_, {"n1"});
  const auto sent = messenger_.take("n1");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].role, proto::kRoleSuperAdmin);
  // Reads: only the caller's records, unless super-admin; paging by next_id.
  q.node_id = "n1";
  EXPECT_EQ(service_.list(u1_, q)->requests.size(), 1u);
  EXPECT_EQ(service_.list(u2_, q)->requests.size(), 0u);
  EXPECT_EQ(service_.list(admin_, q)->requests.size(), 2u);
  q.limit = 1;
  auto page = service_.list(admin_, q);
  ASSERT_EQ(page->requests.size(), 1u);
  ASSERT_GT(page->next_id, 0);
  q.start_id = page->next_id;
  page = service_.list(admin_, q);
  ASSERT_EQ(page->requests.size(), 1u);
  EXPECT_EQ(page->requests[0].user_name, "admin@example.com");
  EXPECT_EQ(page->next_id, 0);
  CommandQuery none;
  EXPECT_EQ(service_.list(u1_, none).error().code, errc::invalid_argument);
  q.status = "bogus";
  EXPECT_EQ(service_.list(u1_, q).error().code, errc::invalid_argument);
  // Issue 13, Low 8: times that would overflow as milliseconds are refused, not wrapped.
  q.status.clear();
  for (const std::int64_t t :
       {std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}, std::int64_t{253402300800}}) {
    SCOPED_TRACE(t);
    CommandQuery timed = q;
    timed.start_time_s = t;
    const auto r = service_.list(u1_, timed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, 100006);
    timed.start_time_s.reset();
    timed.end_time_s = t;
    EXPECT_FALSE(service_.list(u1_, timed));
  }
  CommandQuery negative = q;
  negative.start_id = -5;
  EXPECT_FALSE(service_.list(u1_, negative));
  CommandQuery widest = q;
  widest.start_time_s = 0;
  widest.end_time_s = 253402300799;
  EXPECT_TRUE(service_.list(u1_, widest));
}

TEST_F(CommandServiceTest, ASetParamsAnswerIsMergedInOrderWithReports) {
  submit("n1", ParamsReported{R"({"Light":{"Power":false,"Name":"L"}})", true});
  settle();
  const auto c =
      create(u1_, {"n1"}, proto::kCmdSetParams, R"({"params":{"Light":{"Power":true}}})");
  answer("n1", c.request_id, 0, 1, R"({"status":"success","params":{"Light":{"Power":true}}})");
  const auto params = [&] { return json::parse(*nodes_.get_node("n1")->params); };
  EXPECT_EQ(params(), json::parse(R"({"Light":{"Power":true,"Name":"L"}})"));
  // In one batch, a later report wins over an earlier answer.
  const auto c2 = create(u1_, {"n1"}, proto::kCmdSetParams, "{}");
  submit("n1",
         CommandAnswered{proto::CmdResponse{
             c2.request_id, 0, 1, R"({"status":"success","params":{"Light":{"Power":true}}})"}});
  submit("n1", ParamsReported{R"({"Light":{"Power":false}})", false});
  settle();
  EXPECT_EQ(params(), json::parse(R"({"Light":{"Power":false,"Name":"L"}})"));
  // A failure, or "fail" in the data, changes no params.
  const auto c3 = create(u1_, {"n1"}, proto::kCmdSetParams, "{}");
  answer("n1", c3.request_id, 0, 1, R"({"status":"fail","params":{"Light":{"Power":true}}})");
  EXPECT_EQ(params(), json::parse(R"({"Light":{"Power":false,"Name":"L"}})"));
  EXPECT_EQ(record(c3.request_id, "n1").status, "success");
}

TEST(Base64Test, RoundTripsAndRefusesGarbage) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode(std::string("\x00\xff\xfe", 3)), "AP/+");
  EXPECT_EQ(base64_decode("Zm9vYg=="), std::optional<std::string>("foob"));
  EXPECT_EQ(base64_decode("Zm9vYg"), std::optional<std::string>("foob"));
  EXPECT_EQ(base64_decode("AP/+"), std::optional<std::string>(std::string("\x00\xff\xfe", 3)));
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Z"));
  EXPECT_FALSE(base64_decode("Zh=="));  // stray bits
  EXPECT_FALSE(base64_decode("Zm=9"));
}

// Issue 13, High 1: a former owner reaches nothing. u1 queues a set and a command that
// never times out for offline n2, then removes n2; u2 maps it after a reset. When n2
// polls it gets neither, u1's command reads `cancelled` with the reason, and u1 cannot
// read an answer (the node's late answer changes nothing).
TEST_F(CommandServiceTest, RemovingTheNodeDiscardsTheFormerOwnersQueuedWork) {
  NodeService nodes(nodes_, messenger_, events_, clock_, 300s, audit_);
  ASSERT_TRUE(queue_set(nodes, u1_, "n2", R"({"Light":{"Power":true}})"));
  const auto c = create(u1_, {"n2"}, 4096, "a", -1);
  ASSERT_TRUE(nodes.remove_mapping(u1_, "n2"));

  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  EXPECT_TRUE(messenger_.take("n2").empty()) << "the former owner's command is not sent";
  EXPECT_TRUE(messenger_.take_params("n2").empty()) << "nor their queued set";
  const auto r = record(c.request_id, "n2");
  EXPECT_EQ(r.status, "cancelled");
  EXPECT_EQ(r.status_description, "cancelled: the user removed the node (mapping removed)");
  answer("n2", c.request_id, 0, 4096, "late");
  EXPECT_FALSE(record(c.request_id, "n2").response_data) << "no answer reaches u1";
}

TEST_F(CommandServiceTest, ANodeResetDiscardsEveryUsersQueuedWork) {
  NodeService nodes(nodes_, messenger_, events_, clock_, 300s, audit_);
  ASSERT_TRUE(queue_set(nodes, u2_, "n2", R"({"Light":{"Power":true}})"));
  const auto c1 = create(u1_, {"n2"}, 4096, "a", -1);
  const auto c2 = create(u2_, {"n2"}, 4097, "b", -1);
  // u3 maps n2 with reset (the node's add-user with reset:true, then the user's request).
  ASSERT_TRUE(nodes.request_mapping(u3_, "n2", "sec"));
  submit("n2", MappingReported{"u3", "sec", true});
  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  EXPECT_TRUE(messenger_.take("n2").empty());
  EXPECT_TRUE(messenger_.take_params("n2").empty());
  EXPECT_EQ(record(c1.request_id, "n2").status, "cancelled");
  EXPECT_EQ(record(c2.request_id, "n2", u2_).status, "cancelled");
  EXPECT_EQ(record(c1.request_id, "n2").status_description,
            "cancelled: the node was reset (user-node mapping with reset)");
  EXPECT_EQ(metric("stratus_desired_discarded_total", {}), 1u);
  // The new owner's work goes through.
  const auto mine = create(u3_, {"n2"}, 4096, "c", 60);
  ASSERT_EQ(messenger_.take("n2").size(), 1u);
  EXPECT_TRUE(mine.all_sent());
}

// The delivery re-check itself (a relation changed without going through removal):
// a record carrying the primary role byte is not sent once its user is only secondary,
// and a queued set of a user whose relation vanished is dropped at delivery.
TEST_F(CommandServiceTest, EverySendRechecksTheRequestersRole) {
  NodeService nodes(nodes_, messenger_, events_, clock_, 300s, audit_);
  ASSERT_TRUE(queue_set(nodes, u2_, "n2", R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(queue_set(nodes, u1_, "n2", R"({"Light":{"Power":false}})"));
  const auto primary = create(u1_, {"n2"}, 4096, "a", -1);
  const auto secondary = create(u2_, {"n2"}, 4097, "b", -1);
  ASSERT_TRUE(db_->with([&](storage::sql::Connection& c) -> Result<void> {
    if (auto r = c.execute("UPDATE user_nodes SET role = 'secondary' WHERE user_id = 'u1'"); !r)
      return r;
    return c.execute("DELETE FROM user_nodes WHERE user_id = 'u2' AND node_id = 'n2'");
  }));
  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  EXPECT_TRUE(messenger_.take("n2").empty());
  EXPECT_EQ(record(primary.request_id, "n2").status, "cancelled");
  EXPECT_EQ(record(secondary.request_id, "n2", u2_).status, "cancelled");
  EXPECT_EQ(record(primary.request_id, "n2").status_description,
            "cancelled: the requester no longer has the access it was sent with");
  const auto params = messenger_.take_params("n2");
  ASSERT_EQ(params.size(), 1u) << "u1 still has access: its set goes";
  EXPECT_EQ(json::parse(params[0]), json::parse(R"({"Light":{"Power":false}})"))
      << "u2's set is not merged in";
}

// A disabled user keeps its relations (its nodes stay its own), but nothing queued on its
// behalf runs meanwhile: its queued sets are dropped at delivery and its pending
// commands cancelled; another user's work on the same node goes through.
TEST_F(CommandServiceTest, ADisabledUsersQueuedSetsAndCommandsAreNotDelivered) {
  NodeService nodes(nodes_, messenger_, events_, clock_, 300s, audit_);
  ASSERT_TRUE(queue_set(nodes, u2_, "n2", R"({"Light":{"Power":true}})"));
  const auto theirs = create(u2_, {"n2"}, 4097, "b", -1);
  const auto mine = create(u1_, {"n2"}, 4096, "a", -1);
  ASSERT_TRUE(accounts_.set_disabled("u2", true, 1'800'000'001));

  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  const auto sent = messenger_.take("n2");
  ASSERT_EQ(sent.size(), 1u) << "u1's command only";
  EXPECT_EQ(sent[0].request_id, mine.request_id);
  EXPECT_TRUE(messenger_.take_params("n2").empty()) << "u2's set is dropped";
  EXPECT_EQ(record(theirs.request_id, "n2", u2_).status, "cancelled");
  EXPECT_EQ(metric("stratus_desired_discarded_total", {}), 1u);
}

// An answer is kept only for a requester who still holds the role its command was sent
// with. A direct removal cancels the commands when it commits; a relation lost another
// way (a group change, here written directly) is caught when the answer comes: the
// command is cancelled, its answer not kept, and what the node applied still merged.
TEST_F(CommandServiceTest, AnAnswerForARequesterWhoLostAccessIsNotKept) {
  const auto c = create(u2_, {"n1"}, 4096, "a", 60);
  const auto set = create(u2_, {"n1"}, proto::kCmdSetParams, R"({"Light":{"Power":true}})", 60);
  ASSERT_EQ(messenger_.take("n1").size(), 2u);
  ASSERT_TRUE(db_->with([&](storage::sql::Connection& conn) {
    return conn.execute("DELETE FROM user_nodes WHERE user_id = 'u2' AND node_id = 'n1'");
  }));
  answer("n1", c.request_id, 0, 4096, "secret");
  answer("n1", set.request_id, 0, proto::kCmdSetParams,
         R"({"status":"success","params":{"Light":{"Power":true}}})");
  for (const auto& id : {c.request_id, set.request_id}) {
    const auto r = record(id, "n1", u2_);
    EXPECT_EQ(r.status, "cancelled");
    EXPECT_FALSE(r.response_data) << "no answer reaches u2";
  }
  EXPECT_EQ(metric("stratus_command_responses_ignored_total", {{"reason", "revoked"}}), 2u);
  EXPECT_EQ(stored_power("n1"), true)
      << "the node applied the set: its state is merged all the same";
  EXPECT_EQ(record(set.request_id, "n1", u2_).device_status, 0) << "marked answered";
  // A redelivery of that answer (QoS 1) after a newer report is not merged again.
  ASSERT_TRUE(nodes_.write([](storage::NodeWriter& w) {
    return w.put_params("n1", R"({"Light":{"Power":false}})", 5);
  }));
  answer("n1", set.request_id, 0, proto::kCmdSetParams,
         R"({"status":"success","params":{"Light":{"Power":true}}})");
  EXPECT_EQ(stored_power("n1"), false) << "merged once";
}

// A set-params answer that comes after its record became final (cancelled by the user,
// or timed out) changes nothing of the record, but what the node says it applied is its
// state: the node does not report those params again (spec §3.3).
TEST_F(CommandServiceTest, ALateSetParamsAnswerIsStillMergedIntoTheState) {
  const auto power = [&] { return stored_power("n1"); };
  const auto cancelled =
      create(u1_, {"n1"}, proto::kCmdSetParams, R"({"Light":{"Power":true}})", 60);
  ASSERT_EQ(*service_.cancel(u1_, cancelled.request_id, ""), 1);
  answer("n1", cancelled.request_id, 0, proto::kCmdSetParams,
         R"({"status":"success","params":{"Light":{"Power":true}}})");
  EXPECT_EQ(record(cancelled.request_id, "n1").status, "cancelled");
  EXPECT_FALSE(record(cancelled.request_id, "n1").response_data);
  EXPECT_EQ(power(), true) << "cancelled, but applied";
  // A redelivery of that answer (QoS 1) after a newer report is not merged again.
  ASSERT_TRUE(nodes_.write([](storage::NodeWriter& w) {
    return w.put_params("n1", R"({"Light":{"Power":false}})", 5);
  }));
  answer("n1", cancelled.request_id, 0, proto::kCmdSetParams,
         R"({"status":"success","params":{"Light":{"Power":true}}})");
  EXPECT_EQ(power(), false) << "merged once";

  const auto timed_out =
      create(u1_, {"n1"}, proto::kCmdSetParams, R"({"Light":{"Power":false}})", 60);
  clock_.advance(61s);
  answer("n1", timed_out.request_id, 0, proto::kCmdSetParams,
         R"({"status":"success","params":{"Light":{"Power":false}}})");
  EXPECT_EQ(record(timed_out.request_id, "n1").status, "timed_out");
  EXPECT_EQ(power(), false) << "too late for the record, not for the state";
  EXPECT_EQ(metric("stratus_command_responses_ignored_total", {{"reason", "final"}}), 3u);
}

// Sets that could not be sent (the broker away) are put back for the next chance, but
// only for users who still have access: one removed or disabled meanwhile does not get
// its set back.
TEST_F(CommandServiceTest, UnsentSetsArePutBackOnlyForUsersWhoStillHaveAccess) {
  NodeService nodes(nodes_, messenger_, events_, clock_, 300s, audit_);
  ASSERT_TRUE(queue_set(nodes, u1_, "n2", R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(queue_set(nodes, u2_, "n2", R"({"Light":{"Power":false}})"));
  relate("u3", "n2", "secondary", 2);
  ASSERT_TRUE(queue_set(nodes, u3_, "n2", R"({"Light":{"Power":true}})"));
  messenger_.params_refused = [&] {
    ASSERT_TRUE(nodes_.write([](storage::NodeWriter& w) -> Result<void> {
      if (auto r = w.remove_user("u2", "n2", "test", 2); !r)
        return fail(r.error());
      return {};
    }));
    ASSERT_TRUE(accounts_.set_disabled("u3", true, 2));
  };
  submit("n2", PresenceChanged{true, unix_ms(clock_.now())});
  submit("n2", NodeReady{});
  settle();
  ASSERT_FALSE(messenger_.params_refused) << "the delivery was tried";
  std::optional<std::string> mine, removed, disabled;
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto a = w.desired("n2", "u1");
    auto b = w.desired("n2", "u2");
    auto c = w.desired("n2", "u3");
    if (!a || !b || !c)
      return fail(errc::internal, "desired not read");
    mine = *a;
    removed = *b;
    disabled = *c;
    return {};
  }));
  EXPECT_TRUE(mine) << "u1's set waits for the next chance";
  EXPECT_FALSE(removed) << "u2 lost the node meanwhile: its set is not put back";
  EXPECT_FALSE(disabled) << "u3 was disabled meanwhile: nor is its set";
}

}  // namespace
}  // namespace stratus::service
