// Proves the automation runner with an injected clock (docs/adr/0012): a daylight
// automation sets its node when the clock passes the next sunset of its location (and not
// before), then waits for the next one; a node_params automation fires from committed
// params events and publishes an `automation` event; a new service over the same store
// (a restart) does not fire a condition that already held; the per-minute limit is
// counted in the metrics; a disabled owner's automations do not run (docs/adr/0036); a
// storage error at sunset delays a firing instead of dropping the schedule; a report does
// not run an automation disabled or changed behind the runner's back (a lost notice); two
// instances that both lead fire a sunset once, and each params edge once (claimed by its
// report); in a cluster the leader alone fires on every instance's reports.
// How: real SQLite in a temp dir, the real EventHub and NodeService, a messenger that
// records what would go to the broker, ManualClock, a repository wrapper that fails reads.
#include "service/automation_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "service/daylight.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/automation_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using namespace std::chrono_literals;

std::string light_config() {
  std::ifstream in(std::string(std::getenv("STRATUS_SOURCE_DIR")) +
                   "/tests/data/node_config_light.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Keeps what would be published to nodes.
class RecordingMessenger final : public NodeMessenger {
 public:
  Result<void> publish_params_remote(std::string_view node_id, std::string_view payload) override {
    std::lock_guard lock(mutex_);
    sets_.emplace_back(node_id, payload);
    return {};
  }
  Result<void> publish_ota_url(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_to_node(std::string_view, std::string_view) override { return {}; }
  std::vector<std::pair<std::string, std::string>> sets() {
    std::lock_guard lock(mutex_);
    return sets_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> sets_;
};

// The real repository, but `get` fails while `failing_gets` is above zero (storage
// unavailable, as during a PostgreSQL restart), and the claims of firings are counted.
class FlakyAutomations final : public storage::AutomationRepository {
 public:
  explicit FlakyAutomations(storage::AutomationRepository& real) : real_(real) {}

  Result<void> create(const storage::AutomationRecord& a) override { return real_.create(a); }
  Result<void> update(const storage::AutomationRecord& a, std::int64_t read_updated_ms) override {
    return real_.update(a, read_updated_ms);
  }
  Result<bool> remove(std::string_view user_id, std::string_view automation_id) override {
    return real_.remove(user_id, automation_id);
  }
  Result<std::optional<storage::AutomationRecord>> get(std::string_view automation_id) override {
    int left = failing_gets.load();
    while (left > 0 && !failing_gets.compare_exchange_weak(left, left - 1)) {
    }
    if (left > 0)
      return fail(errc::unavailable, "the database is restarting");
    return real_.get(automation_id);
  }
  Result<std::vector<storage::AutomationRecord>> list(std::string_view user_id,
                                                      std::string_view node_id,
                                                      std::string_view start_id,
                                                      std::size_t limit) override {
    return real_.list(user_id, node_id, start_id, limit);
  }
  Result<std::int64_t> count(std::string_view user_id, std::string_view node_id) override {
    return real_.count(user_id, node_id);
  }
  Result<std::vector<storage::AutomationRecord>> all() override { return real_.all(); }
  Result<bool> claim_firing(std::string_view automation_id, std::int64_t scheduled_ms,
                            std::int64_t at_ms) override {
    auto claimed = real_.claim_firing(automation_id, scheduled_ms, at_ms);
    ++claims;
    return claimed;
  }
  Result<bool> claim_edge(std::string_view automation_id, std::int64_t report_ms,
                          std::int64_t ordinal, std::int64_t at_ms) override {
    return real_.claim_edge(automation_id, report_ms, ordinal, at_ms);
  }
  Result<void> record_firing(std::string_view automation_id, std::int64_t at_ms,
                             std::string_view cause, std::string_view results_json) override {
    return real_.record_firing(automation_id, at_ms, cause, results_json);
  }

  std::atomic<int> failing_gets{0};
  std::atomic<int> claims{0};

 private:
  storage::AutomationRepository& real_;
};

// A cluster's lease, held or not as the test says.
class FixedLeadership final : public Leadership {
 public:
  explicit FixedLeadership(bool initially) : leads(initially) {}
  [[nodiscard]] bool is_leader() const override { return leads.load(); }
  std::atomic<bool> leads;
};

// The node_params automation most tests use: the switch on sets the light's brightness.
constexpr const char* kHall =
    R"({"name":"Hall","node_id":"sw",)"
    R"("events":[{"params":{"Light":{"Power":true}},"check":"=="}],)"
    R"("actions":[{"node_id":"lt","params":{"Light":{"Brightness":80}}}]})";

class AutomationServiceTest : public ::testing::Test {
 protected:
  AutomationServiceTest()
      // 2025-06-21 12:00 UTC.
      : clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1750507200))),
        db_(test::open_test_database(dir_, 3)),
        accounts_(db_),
        nodes_(db_),
        access_(db_),
        automations_(db_),
        hub_(node_access_lookup(access_), clock_, metrics_, EventHubOptions{}),
        node_service_(nodes_, messenger_, hub_, clock_, 300s, audit_) {
    EXPECT_TRUE(accounts_.create_user({"u1", "u1@example.com", "x", true, false, "", 1, 1}));
    for (const auto* node : {"sw", "lt"}) {
      EXPECT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
        if (auto r = w.ensure_node(node, 1); !r)
          return r;
        if (auto r = w.put_config(node, light_config(), {}, 1); !r)
          return r;
        if (auto r = w.put_params(node, R"({"Light":{"Power":false,"Brightness":50}})", 1); !r)
          return r;
        if (auto r = w.set_connectivity(node, true, 1); !r)
          return fail(r.error());
        return w.add_user("u1", node, "primary", 1);
      }));
    }
    hub_.start();
  }
  ~AutomationServiceTest() override { hub_.stop(); }

  // Over `automations` when given, else over the store itself.
  std::unique_ptr<AutomationService> service(std::size_t per_minute = 10,
                                             storage::AutomationRepository* automations = nullptr) {
    AutomationOptions options;
    options.poll = 10ms;
    options.max_firings_per_minute = per_minute;
    storage::AutomationRepository& repository =
        automations != nullptr ? *automations : automations_;
    auto s = std::make_unique<AutomationService>(repository, nodes_, access_, node_service_, hub_,
                                                 clock_, metrics_, options);
    EXPECT_TRUE(s->start());
    return s;
  }

  static rest::AutomationFields fields(std::string_view body) {
    auto f = rest::parse_automation_fields(json::parse(body).as_object());
    EXPECT_TRUE(f) << f.error().message();
    return *f;
  }

  // A committed report of `node` as the ingest writer publishes it.
  void report(const std::string& node, const std::string& params) {
    hub_.publish({commit(node, params)});
  }
  // A report of `node` committed one millisecond on; its event, not yet published.
  EventDraft commit(const std::string& node, const std::string& params) {
    clock_.advance(1ms);
    const auto at = unix_ms(clock_.now());
    (void)nodes_.write([&](storage::NodeWriter& w) { return w.put_params(node, params, at); });
    return {rest::EventKind::params, node, {}, at, R"({"payload":)" + params + "}"};
  }

  std::size_t sets_to(const std::string& node) {
    std::size_t n = 0;
    for (const auto& [id, payload] : messenger_.sets())
      n += id == node ? 1u : 0u;
    return n;
  }

  template <class Pred>
  static bool eventually(Pred pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred())
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // Two instances of a cluster over the one store (docs/adr/0021): `a` on the fixture's
  // hub, leading at first, with the Hall automation; `b` on a hub of its own, not leading.
  struct TwoInstances {
    explicit TwoInstances(AutomationServiceTest& test)
        : t(test), other_hub(node_access_lookup(t.access_), t.clock_, other_metrics, {}) {
      other_hub.start();
      a = instance(t.hub_, t.metrics_, a_leads);
      EXPECT_TRUE(a->create(t.u1_, fields(kHall)));
      EXPECT_TRUE(a->flush(5s));
      b = instance(other_hub, other_metrics, b_leads);
    }
    ~TwoInstances() {
      b->stop();
      a->stop();
      other_hub.stop();
    }
    std::unique_ptr<AutomationService> instance(EventHub& hub, MetricsRegistry& metrics,
                                                const Leadership& leadership) {
      AutomationOptions options;
      options.poll = 10ms;
      options.leadership = &leadership;
      auto s = std::make_unique<AutomationService>(
          t.automations_, t.nodes_, t.access_, t.node_service_, hub, t.clock_, metrics, options);
      EXPECT_TRUE(s->start());
      return s;
    }
    // A report of the switch committed one second on, on `local`'s instance: a local event
    // there, a relayed one on `remote`'s; both runners have taken it when this returns.
    void committed_on(EventHub& local, EventHub& remote, const std::string& params) {
      committed_together_on(local, remote, {params});
    }
    // Reports of the switch committed in one batch one second on (their events share the
    // millisecond), as `committed_on`.
    void committed_together_on(EventHub& local, EventHub& remote,
                               const std::vector<std::string>& reports) {
      t.clock_.advance(1s);
      std::vector<EventDraft> drafts;
      const auto at = unix_ms(t.clock_.now());
      for (const auto& params : reports) {
        (void)t.nodes_.write(
            [&](storage::NodeWriter& w) { return w.put_params("sw", params, at); });
        drafts.push_back({rest::EventKind::params, "sw", {}, at, R"({"payload":)" + params + "}"});
      }
      local.publish(drafts);
      for (auto& d : drafts)
        d.relayed = true;
      remote.publish(drafts);
      ASSERT_TRUE(a->flush(5s));
      ASSERT_TRUE(b->flush(5s));
    }

    AutomationServiceTest& t;
    MetricsRegistry other_metrics;
    EventHub other_hub;
    FixedLeadership a_leads{true}, b_leads{false};
    std::unique_ptr<AutomationService> a, b;
  };

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlAccessRepository access_;
  storage::sql::SqlAutomationRepository automations_;
  RecordingMessenger messenger_;
  EventHub hub_;
  NodeService node_service_;
  const Principal u1_{"u1", "s", false, 0};
};

TEST_F(AutomationServiceTest, DaylightFiresAtTheNextSunsetOfItsPlace) {
  auto runner = service();
  auto id = runner->create(
      u1_, fields(R"({"name":"Dusk","event_type":"daylight",)"
                  R"("location":{"latitude":"52.52","longitude":"13.405"},)"
                  R"("events":[{"params":{"sunset":true},"check":"=="}],)"
                  R"("actions":[{"node_id":"lt","params":{"Light":{"Power":true}}}]})"));
  ASSERT_TRUE(id) << id.error().message();
  const auto sunset = next_sun_event(SunEvent::sunset, {52.52, 13.405}, clock_.now());
  ASSERT_TRUE(sunset);
  ASSERT_TRUE(runner->flush(5s));
  clock_.advance(*sunset - clock_.now() - 1min);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 0u) << "a minute before sunset";
  clock_.advance(2min);
  ASSERT_TRUE(eventually([&] { return sets_to("lt") == 1; })) << "at sunset";
  EXPECT_EQ(json::parse(messenger_.sets().back().second),
            json::parse(R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(eventually([&] {
    auto a = runner->get(u1_, *id);
    return a && a->last_triggered && a->last_triggered->cause == "sunset";
  }));
  clock_.advance(1h);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 1u) << "once per sunset";
  clock_.advance(24h);
  EXPECT_TRUE(eventually([&] { return sets_to("lt") == 2; })) << "the next day's sunset";
}

// A storage error when the sunset is due (PostgreSQL restarting) is no removal: the
// automation is read again shortly after and fires then (it was dropped until a restart).
TEST_F(AutomationServiceTest, DaylightFiresWhenStorageIsBackAfterAnErrorAtSunset) {
  FlakyAutomations flaky(automations_);
  auto runner = service(10, &flaky);
  auto id = runner->create(
      u1_, fields(R"({"name":"Dusk","event_type":"daylight",)"
                  R"("location":{"latitude":"52.52","longitude":"13.405"},)"
                  R"("events":[{"params":{"sunset":true},"check":"=="}],)"
                  R"("actions":[{"node_id":"lt","params":{"Light":{"Power":true}}}]})"));
  ASSERT_TRUE(id) << id.error().message();
  const auto sunset = next_sun_event(SunEvent::sunset, {52.52, 13.405}, clock_.now());
  ASSERT_TRUE(sunset);
  ASSERT_TRUE(runner->flush(5s));
  flaky.failing_gets = 1;
  clock_.advance(*sunset - clock_.now() + 1min);
  ASSERT_TRUE(eventually([&] { return flaky.failing_gets == 0; })) << "read when due";
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 0u) << "storage failed";
  clock_.advance(1min);
  ASSERT_TRUE(eventually([&] { return sets_to("lt") == 1; })) << "storage is back";
  ASSERT_TRUE(eventually([&] {
    auto a = runner->get(u1_, *id);
    return a && a->last_triggered && a->last_triggered->cause == "sunset";
  }));
  clock_.advance(1h);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 1u) << "once per sunset";
}

// Two instances that both believe they lead (for up to a lease after a leadership change,
// docs/adr/0021) are due for the same sunset: each claims it in storage before acting,
// so it fires once between them.
TEST_F(AutomationServiceTest, TwoLeadersFireOneSunsetOnce) {
  FlakyAutomations first_store(automations_);
  FlakyAutomations second_store(automations_);
  auto first = service(10, &first_store);
  ASSERT_TRUE(first->create(
      u1_, fields(R"({"name":"Dusk","event_type":"daylight",)"
                  R"("location":{"latitude":"52.52","longitude":"13.405"},)"
                  R"("events":[{"params":{"sunset":true},"check":"=="}],)"
                  R"("actions":[{"node_id":"lt","params":{"Light":{"Power":true}}}]})")));
  ASSERT_TRUE(first->flush(5s));
  auto second = service(10, &second_store);  // loads it at start
  const auto sunset = next_sun_event(SunEvent::sunset, {52.52, 13.405}, clock_.now());
  ASSERT_TRUE(sunset);
  clock_.advance(*sunset - clock_.now() + 1min);
  ASSERT_TRUE(eventually([&] {
    return first_store.claims == 1 && second_store.claims == 1 && sets_to("lt") >= 1;
  })) << "both were due";
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 1u);
}

// In a cluster a node's reports go to any instance (a shared subscription). Judged where
// each arrived, one rising edge fired on two instances (each with its own idea of the
// condition) or on none. Params triggers now fire on the leader alone, which follows every
// instance's reports through the relay, as every instance does, so that a new leader
// judges the next report by the node's current state.
TEST_F(AutomationServiceTest, InAClusterTheLeaderAloneFiresOnEveryInstancesReports) {
  TwoInstances c(*this);
  auto& other_hub = c.other_hub;
  EXPECT_TRUE(hub_.admit_relayed()) << "relayed reports are wanted with no stream open";
  EXPECT_TRUE(other_hub.admit_relayed());

  c.committed_on(other_hub, hub_, R"({"Light":{"Power":true}})");  // on b: a fires
  EXPECT_EQ(sets_to("lt"), 1u);
  c.committed_on(hub_, other_hub, R"({"Light":{"Power":true}})");  // still true: no edge
  c.committed_on(other_hub, hub_, R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 1u) << "one rising edge, one firing";
  c.committed_on(hub_, other_hub, R"({"Light":{"Power":false}})");
  c.committed_on(other_hub, hub_, R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 2u);

  // The lease moves: b fires the next edge, judged by the state it followed.
  c.a_leads.leads = false;
  c.b_leads.leads = true;
  c.committed_on(hub_, other_hub, R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 2u) << "no edge: b followed a's reports";
  c.committed_on(hub_, other_hub, R"({"Light":{"Power":false}})");
  c.committed_on(hub_, other_hub, R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 3u);
}

// A failover leaves a few seconds with no leader. An edge judged then is fired by the
// instance that takes the lease soon after, unless the old leader fired it; one judged
// longer ago is stale.
TEST_F(AutomationServiceTest, AnEdgeWhileNoInstanceLeadsIsFiredByTheNextLeader) {
  TwoInstances c(*this);
  const auto committed_on_b = [&](const std::string& params) {
    c.committed_on(c.other_hub, hub_, params);
  };
  auto& a_leads = c.a_leads;
  auto& b_leads = c.b_leads;
  // a fires an edge, then goes; b takes the lease: not fired again.
  committed_on_b(R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 1u);
  a_leads.leads = false;
  b_leads.leads = true;
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 1u) << "the old leader fired that edge";
  // b goes too, and an edge comes while nobody leads: a, taking the lease back, fires it.
  committed_on_b(R"({"Light":{"Power":false}})");
  b_leads.leads = false;
  std::this_thread::sleep_for(100ms);
  committed_on_b(R"({"Light":{"Power":true}})");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 1u) << "nobody leads";
  a_leads.leads = true;
  EXPECT_TRUE(eventually([&] { return sets_to("lt") == 2; })) << "the next leader fires it";
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 2u);
  // A stale one (judged long before the lease was taken) is not fired.
  a_leads.leads = false;
  std::this_thread::sleep_for(100ms);
  committed_on_b(R"({"Light":{"Power":false}})");
  committed_on_b(R"({"Light":{"Power":true}})");
  clock_.advance(1min);
  std::this_thread::sleep_for(100ms);
  b_leads.leads = true;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sets_to("lt"), 2u) << "a stale edge fired";
}

// For up to one lease check after a leadership change two instances may both believe
// they lead. Both judge the same reports, so each edge is claimed in storage by its
// report's time and its number among the automation's edges of that millisecond: it
// fires once between them, and two edges within one millisecond still fire twice.
TEST_F(AutomationServiceTest, TwoLeadersFireEachParamsEdgeOnce) {
  TwoInstances c(*this);
  c.b_leads.leads = true;
  c.committed_on(c.other_hub, hub_, R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 1u) << "one edge judged by two leaders";
  c.committed_on(hub_, c.other_hub, R"({"Light":{"Power":false}})");
  c.committed_on(hub_, c.other_hub, R"({"Light":{"Power":true}})");
  EXPECT_EQ(sets_to("lt"), 2u);
  c.committed_together_on(c.other_hub, hub_,
                          {R"({"Light":{"Power":false}})", R"({"Light":{"Power":true}})",
                           R"({"Light":{"Power":false}})", R"({"Light":{"Power":true}})"});
  EXPECT_EQ(sets_to("lt"), 4u) << "two edges in one millisecond are two firings";
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sets_to("lt"), 4u);
}

// The claims themselves: one per automation, report time and ordinal; none for an
// automation that is gone; an hour on, older claims are gone too.
TEST_F(AutomationServiceTest, AnEdgeIsClaimedOnce) {
  auto runner = service();
  const auto id = runner->create(u1_, fields(kHall));
  ASSERT_TRUE(id) << id.error().message();
  const std::int64_t t0 = unix_ms(clock_.now());
  EXPECT_TRUE(*automations_.claim_edge(*id, t0, 0, t0));
  EXPECT_FALSE(*automations_.claim_edge(*id, t0, 0, t0 + 5)) << "claimed already";
  EXPECT_TRUE(*automations_.claim_edge(*id, t0, 1, t0 + 5)) << "the second edge of that ms";
  EXPECT_TRUE(*automations_.claim_edge(*id, t0 + 1, 0, t0 + 5));
  EXPECT_FALSE(*automations_.claim_edge("no-such-automation", t0, 0, t0)) << "gone";
  const std::int64_t later = t0 + 3'600'001;
  EXPECT_TRUE(*automations_.claim_edge(*id, later, 0, later));
  EXPECT_TRUE(*automations_.claim_edge(*id, t0, 0, later)) << "an hour on it was let go";
  ASSERT_TRUE(runner->remove(u1_, *id));
  EXPECT_FALSE(*automations_.claim_edge(*id, later + 1, 0, later + 1)) << "removed";
}

// Events lost before the runner (here: a cluster relay's message that never came) leave
// its engine with a state the node has left. The runner reads the trigger nodes' stored
// state again instead: an edge across the gap fires, late but once, and the node's events
// committed no later than what it read are skipped, since judged after the newer state
// they would make an edge that never happened.
TEST_F(AutomationServiceTest, AfterLostEventsTheStoredStateIsJudgedOnce) {
  auto runner = service();
  ASSERT_TRUE(runner->create(u1_, fields(kHall)));
  ASSERT_TRUE(runner->flush(5s));

  (void)commit("sw", R"({"Light":{"Power":true}})");  // its event is lost
  hub_.lost("a relay message never came");            // `flush` waits for numbered events only
  ASSERT_TRUE(eventually([&] { return sets_to("lt") == 1; })) << "the edge across the gap";
  EXPECT_NE(metrics_.render_prometheus().find("stratus_automation_resyncs_total 1"),
            std::string::npos);

  // Lost: Power true again (no edge). Then true and false, committed before the runner
  // reads, delivered after the loss: the read state (false) is the newest; judged after
  // it, `true` would be a rising edge the node never had.
  (void)commit("sw", R"({"Light":{"Power":true}})");
  const auto still_on = commit("sw", R"({"Light":{"Power":true}})");
  const auto off = commit("sw", R"({"Light":{"Power":false}})");
  hub_.lost("a relay message never came");
  hub_.publish({still_on, off});
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u) << "no edge: the events were older than the state read";

  report("sw", R"({"Light":{"Power":true}})");  // newer than the read: judged as ever
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 2u);
}

// A `retrigger` automation fires on every report while its condition holds, but a state
// read after a loss is no report: it fires again only if a param of its conditions
// changed in the gap.
TEST_F(AutomationServiceTest, AfterLostEventsARetriggerAutomationFiresOnlyOnAChange) {
  auto runner = service();
  ASSERT_TRUE(runner->create(u1_, fields(R"({"name":"Again","node_id":"sw","retrigger":true,)"
                                         R"("events":[{"params":{"Light":{"Brightness":50}},)"
                                         R"("check":">="}],)"
                                         R"("actions":[{"node_id":"lt","params":{"Light":)"
                                         R"({"Power":true}}}]})")));
  ASSERT_TRUE(runner->flush(5s));
  report("sw", R"({"Light":{"Brightness":60}})");
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u);
  hub_.lost("a relay message never came");  // nothing changed meanwhile
  ASSERT_TRUE(eventually([&] {
    return metrics_.render_prometheus().find("stratus_automation_resyncs_total 1") !=
           std::string::npos;
  }));
  ASSERT_TRUE(runner->flush(5s));
  report("sw", R"({"Light":{"Power":true}})");  // not a param of its condition
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u) << "the state it acted on is no new report";
  (void)commit("sw", R"({"Light":{"Brightness":70}})");  // its event is lost
  hub_.lost("a relay message never came");
  EXPECT_TRUE(eventually([&] { return sets_to("lt") == 2; })) << "changed in the gap";
}

// The runner's own queue full is a loss too: with no room at all every report is dropped,
// and each drop has the state read again.
TEST_F(AutomationServiceTest, WhenTheRunnersQueueIsFullTheStoredStateIsJudged) {
  AutomationOptions options;
  options.poll = 10ms;
  options.queue_limit = 0;
  AutomationService runner(automations_, nodes_, access_, node_service_, hub_, clock_, metrics_,
                           options);
  ASSERT_TRUE(runner.start());
  ASSERT_TRUE(runner.create(u1_, fields(kHall)));
  ASSERT_TRUE(runner.flush(5s));
  report("sw", R"({"Light":{"Power":true}})");
  EXPECT_TRUE(eventually([&] { return sets_to("lt") == 1; }));
  const auto text = metrics_.render_prometheus();
  EXPECT_NE(text.find("stratus_automation_events_dropped_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("stratus_automation_resyncs_total 1"), std::string::npos) << text;
  // One at a time: a reversal inside one gap would stay unseen (ADR 0012).
  report("sw", R"({"Light":{"Power":false}})");
  ASSERT_TRUE(eventually([&] {
    return metrics_.render_prometheus().find("stratus_automation_resyncs_total 2") !=
           std::string::npos;
  }));
  // The counter moves as the resync begins: it must have read the state before the next
  // report commits, or it reads that report's state and the edge is never seen.
  ASSERT_TRUE(runner.flush(5s));
  report("sw", R"({"Light":{"Power":true}})");
  EXPECT_TRUE(eventually([&] { return sets_to("lt") == 2; }));
  runner.stop();
}

// An instance that missed a change notice (cluster: notices travel over the broker and
// can be lost) does not run an automation disabled since it loaded it.
TEST_F(AutomationServiceTest, AReportDoesNotRunAnAutomationDisabledWithoutANotice) {
  auto runner = service();
  const auto id = runner->create(u1_, fields(kHall));
  ASSERT_TRUE(id) << id.error().message();
  ASSERT_TRUE(runner->flush(5s));
  const auto stored = automations_.get(*id);
  ASSERT_TRUE(stored && *stored);
  auto disabled = **stored;
  disabled.enabled = false;
  disabled.updated_ms += 1;
  ASSERT_TRUE(automations_.update(disabled, (*stored)->updated_ms));  // no reload, no notice

  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 0u);
}

// Changed behind the runner's back, an automation is not run on the conditions it was
// loaded with: the report that would have fired it reloads it, and from then on the
// stored conditions decide.
TEST_F(AutomationServiceTest, AReportIsJudgedByTheStoredConditionsNotStaleOnes) {
  auto runner = service();
  const auto id = runner->create(u1_, fields(kHall));
  ASSERT_TRUE(id) << id.error().message();
  ASSERT_TRUE(runner->flush(5s));
  const auto stored = automations_.get(*id);
  ASSERT_TRUE(stored && *stored);
  auto changed = **stored;
  changed.events_json = R"([{"params":{"Light":{"Power":false}},"check":"=="}])";
  changed.updated_ms += 1;
  ASSERT_TRUE(automations_.update(changed, (*stored)->updated_ms));  // no reload, no notice

  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 0u) << "the condition it was loaded with";
  report("sw", R"({"Light":{"Power":false}})");
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u) << "the stored condition";
}

TEST_F(AutomationServiceTest, ParamsFireOnceAndARestartDoesNotFireAgain) {
  auto runner = service();
  ASSERT_TRUE(runner->create(u1_, fields(kHall)));
  ASSERT_TRUE(runner->flush(5s));
  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u);
  runner->stop();
  runner.reset();

  // The stored params say the switch is on: after the restart, a repeat of it is no edge.
  auto again = service();
  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(again->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u);
  report("sw", R"({"Light":{"Power":false}})");
  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(again->flush(5s));
  EXPECT_EQ(sets_to("lt"), 2u);
}

// A disabled owner keeps its nodes, but its automations do not run meanwhile: neither one
// with a trigger node nor a daylight one (no trigger node, only action nodes). Enabled
// again, they run as before.
TEST_F(AutomationServiceTest, ADisabledOwnersAutomationsDoNotRun) {
  auto runner = service();
  ASSERT_TRUE(runner->create(u1_, fields(kHall)));
  ASSERT_TRUE(runner->create(
      u1_, fields(R"({"name":"Dusk","event_type":"daylight",)"
                  R"("location":{"latitude":"52.52","longitude":"13.405"},)"
                  R"("events":[{"params":{"sunset":true},"check":"=="}],)"
                  R"("actions":[{"node_id":"lt","params":{"Light":{"Power":true}}}]})")));
  ASSERT_TRUE(runner->flush(5s));
  ASSERT_TRUE(accounts_.set_disabled("u1", true, 2));

  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(runner->flush(5s));
  const auto sunset = next_sun_event(SunEvent::sunset, {52.52, 13.405}, clock_.now());
  ASSERT_TRUE(sunset);
  clock_.advance(*sunset - clock_.now() + 1min);
  ASSERT_TRUE(eventually([&] {
    return metrics_.counter("stratus_automation_firings_total", "", {{"outcome", "no_access"}})
               .value() == 2;
  }));
  EXPECT_EQ(sets_to("lt"), 0u);

  ASSERT_TRUE(accounts_.set_disabled("u1", false, 3));
  report("sw", R"({"Light":{"Power":false}})");
  report("sw", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 1u);
}

// Two edits of different fields both stand, within one millisecond too, and a write
// from a stale read is refused (it once undid the other edit: a disable came undone).
TEST_F(AutomationServiceTest, ConcurrentEditsOfDifferentFieldsBothStand) {
  auto runner = service();
  const auto id = runner->create(u1_, fields(kHall));
  ASSERT_TRUE(id) << id.error().message();
  auto stale = automations_.get(*id);
  ASSERT_TRUE(stale && *stale);
  ASSERT_TRUE(runner->update(u1_, *id, fields(R"({"enabled":false})")));
  ASSERT_TRUE(runner->update(u1_, *id, fields(R"({"name":"Hallway"})")));  // same ms
  auto shown = runner->get(u1_, *id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->name, "Hallway");
  EXPECT_FALSE(shown->enabled);

  auto record = **stale;
  record.name = "Stale";
  record.updated_ms += 10;
  const auto write = automations_.update(record, (*stale)->updated_ms);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code, errc::conflict);
  shown = runner->get(u1_, *id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->name, "Hallway");
  EXPECT_FALSE(shown->enabled);
}

TEST_F(AutomationServiceTest, TheLimitPerMinuteEndsALoopAndIsCounted) {
  auto runner = service(2);
  ASSERT_TRUE(runner->create(
      u1_, fields(R"({"name":"Loop","node_id":"sw",)"
                  R"("events":[{"params":{"Light":{"Power":true}},"check":"=="}],)"
                  R"("actions":[{"node_id":"lt","params":{"Light":{"Brightness":80}}}]})")));
  ASSERT_TRUE(runner->flush(5s));
  for (int i = 0; i < 4; ++i) {
    report("sw", R"({"Light":{"Power":true}})");
    report("sw", R"({"Light":{"Power":false}})");
  }
  ASSERT_TRUE(runner->flush(5s));
  EXPECT_EQ(sets_to("lt"), 2u);
  const auto text = metrics_.render_prometheus();
  EXPECT_NE(text.find(R"(stratus_automation_firings_total{outcome="limited"} 2)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace stratus::service
