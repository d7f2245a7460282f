// Proves the node service and ingest writer rules that need time or ordering
// control: mapping requests time out (and one of a user disabled since maps nothing), a
// batch applies reports in order with
// init replacing and deltas merging, an idle writer commits at once, stale presence loses
// to newer presence,
// queued sets are delivered when a node shows it is subscribed, the report a set waits
// for is applied ahead of the bulk queue (docs/adr/0026), a kept row changed elsewhere
// is read again, not overwritten (docs/adr/0030), a batch waits for an unavailable
// database and is not processed meanwhile, and a node the database refuses costs only its
// own events (docs/adr/0035).
// How: real SQLite in a temp dir (or PostgreSQL: the _postgres variant), a ManualClock, a
// messenger fake that records; a database trigger refuses one node's rows; a repository
// wrapper answers "unavailable" while told to.
#include "service/node_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/thread_name.hpp"
#include "service/command_service.hpp"
#include "service/expected_reports.hpp"
#include "service/node_ingest.hpp"
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
    std::lock_guard lock(mutex_);
    sent.emplace_back(node_id, payload);
    return {};
  }
  Result<void> publish_ota_url(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_to_node(std::string_view, std::string_view) override { return {}; }
  std::vector<std::pair<std::string, std::string>> snapshot() {
    std::lock_guard lock(mutex_);
    return sent;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> sent;
};

// Holds the ingest writer after each commit: a publish waits for a permit (`allow`), so a
// test can queue events behind a batch and see what the next batch takes.
class GatedEvents final : public EventPublisher {
 public:
  void publish(std::vector<EventDraft> events) override {
    std::unique_lock lock(mutex_);
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return permits_ > 0; });
    --permits_;
    --held_;
    for (auto& e : events)
      published_.push_back(std::move(e));
    changed_.notify_all();
  }
  /// Holds every publish from now on.
  void close() {
    std::lock_guard lock(mutex_);
    permits_ = 0;
  }
  void allow(std::size_t n) {
    std::lock_guard lock(mutex_);
    permits_ += n;
    changed_.notify_all();
  }
  /// Waits until the writer is held on a publish with `count` events published before it.
  bool held_after(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return held_ == 1 && published_.size() == count; });
  }
  /// The `Light` object of every params event published, in order.
  std::vector<std::string> lights() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : published_) {
      if (e.kind == proto::rest::EventKind::params)
        out.push_back(e.node_id + " " +
                      json::serialize(json::parse(e.data_json).at("payload").at("Light")));
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t permits_ = 0;
  std::size_t held_ = 0;
  std::vector<EventDraft> published_;
};

class NodeServiceTest : public ::testing::Test {
 protected:
  NodeServiceTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        accounts_(db_),
        repository_(db_),
        command_repository_(db_),
        commands_(command_repository_, repository_, accounts_, messenger_, events_, clock_,
                  metrics_, {}, audit_),
        ingest_(repository_, messenger_, commands_, events_, clock_, metrics_,
                IngestOptions{1000, 100, 1ms}),
        nodes_(repository_, messenger_, events_, clock_, 300s, audit_) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    EXPECT_TRUE(accounts_.create_user({"u1", "u1@example.com", "x", true, false, "", now, now}));
    ingest_.start();
  }

  void submit(const std::string& node, decltype(NodeEvent::body) body) {
    ASSERT_TRUE(ingest_.submit(NodeEvent{node, unix_ms(clock_.now()), std::move(body)}));
  }
  void settle() { ASSERT_TRUE(ingest_.flush(5s)); }

  // Config + mapping through both sides, as in production.
  void mapped_node(const std::string& node) {
    submit(
        node,
        ConfigReported{
            R"({"node_id":"n","config_version":"2020-03-20","info":{"name":"n","fw_version":"1","type":"t"},"devices":[{"name":"Light","type":"esp.device.light","params":[{"name":"Power","type":"esp.param.power","data_type":"bool","properties":["read","write"]}]}]})"});
    settle();
    const auto request = nodes_.request_mapping(user_, node, "sec");
    ASSERT_TRUE(request);
    submit(node, MappingReported{"u1", "sec", false});
    settle();
    ASSERT_EQ(*nodes_.mapping_status(user_, *request), "confirmed");
  }

  json::value params(const std::string& node) {
    auto n = nodes_.get(user_, node);
    return n && n->node.params ? json::parse(*n->node.params) : json::value(nullptr);
  }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository repository_;
  RecordingMessenger messenger_;
  test::RecordingEvents events_;
  storage::sql::SqlCommandRepository command_repository_;
  CommandService commands_;
  NodeIngest ingest_;
  NodeService nodes_;
  Principal user_{"u1", "s1", false};
};

TEST_F(NodeServiceTest, MappingRequestsTimeOut) {
  const auto request = nodes_.request_mapping(user_, "node-x", "secret");
  ASSERT_TRUE(request);
  EXPECT_EQ(*nodes_.mapping_status(user_, *request), "requested");
  clock_.advance(301s);
  EXPECT_EQ(*nodes_.mapping_status(user_, *request), "timedout");
  // The node's report after the timeout maps nobody.
  submit("node-x", MappingReported{"u1", "secret", false});
  settle();
  EXPECT_FALSE(nodes_.get(user_, "node-x"));
  Principal other{"u2", "s2", false};
  EXPECT_EQ(nodes_.mapping_status(other, *request).error().code, errc::not_found)
      << "not another user's";
}

// A user disabled after asking to map a node gets no new node when the node reports
// (docs/adr/0036): the request is discarded.
TEST_F(NodeServiceTest, AMappingRequestOfAUserDisabledSinceMapsNothing) {
  const auto request = nodes_.request_mapping(user_, "node-z", "secret");
  ASSERT_TRUE(request);
  ASSERT_TRUE(accounts_.set_disabled("u1", true, 1));
  submit("node-z", MappingReported{"u1", "secret", false});
  settle();
  EXPECT_EQ(*nodes_.mapping_status(user_, *request), "discarded");
  EXPECT_FALSE(nodes_.get(user_, "node-z"));
}

// A request moves out of `requested` once: the status read's timeout does not overwrite
// a confirmation committed between its read and its write (nor the reverse).
TEST_F(NodeServiceTest, AMappingRequestIsDecidedOnce) {
  const auto request = nodes_.request_mapping(user_, "node-y", "secret");
  ASSERT_TRUE(request);
  const auto move = [&](std::string_view status) {
    bool moved = false;
    EXPECT_TRUE(repository_.write([&](storage::NodeWriter& w) -> Result<void> {
      auto r = w.set_mapping_status(*request, status, 1);
      if (!r)
        return fail(r.error());
      moved = *r;
      return {};
    }));
    return moved;
  };
  EXPECT_TRUE(move("confirmed"));
  EXPECT_FALSE(move("timedout"));
  clock_.advance(301s);
  EXPECT_EQ(*nodes_.mapping_status(user_, *request), "confirmed");
}

// The node's report may come first (the user's app asks later), but only for as long as
// a request would wait: an old report of a node that changed hands since maps nobody who
// still knows its old secret.
TEST_F(NodeServiceTest, ANodesMappingReportCountsForOneMappingTimeout) {
  submit("node-early", MappingReported{"u1", "secret", false});
  settle();
  clock_.advance(200s);
  const auto soon = nodes_.request_mapping(user_, "node-early", "secret");
  ASSERT_TRUE(soon);
  EXPECT_EQ(*nodes_.mapping_status(user_, *soon), "confirmed");

  submit("node-stale", MappingReported{"u1", "secret", false});
  settle();
  clock_.advance(301s);
  const auto late = nodes_.request_mapping(user_, "node-stale", "secret");
  ASSERT_TRUE(late);
  EXPECT_EQ(*nodes_.mapping_status(user_, *late), "requested") << "the report is stale";
  EXPECT_FALSE(nodes_.get(user_, "node-stale"));
}

// A node's params document has a bound (256 KiB): reports that would grow it past the
// bound are dropped and counted, and the node's state stays what it was.
TEST_F(NodeServiceTest, AReportThatWouldGrowTheParamsPastTheBoundIsDropped) {
  mapped_node("big");
  const std::string blob(50000, 'x');
  for (int k = 1; k <= 6; ++k) {
    submit("big",
           ParamsReported{"{\"D" + std::to_string(k) + "\":{\"p\":\"" + blob + "\"}}", false});
  }
  settle();
  submit("big", ParamsReported{R"({"Light":{"Power":true}})", false});
  settle();
  const auto state = params("big");
  ASSERT_TRUE(state.is_object());
  for (int k = 1; k <= 5; ++k)
    EXPECT_TRUE(state.as_object().contains("D" + std::to_string(k))) << k;
  EXPECT_FALSE(state.as_object().contains("D6")) << "250 KB and 50 more is over the bound";
  EXPECT_EQ(state.at("Light").at("Power"), true) << "a report that fits is still merged";
  EXPECT_LE(json::serialize(state).size(), 256u * 1024);
  EXPECT_EQ(metrics_.counter("stratus_ingest_dropped_total", "", {{"reason", "params_too_large"}})
                .value(),
            1u);

  // A document stored over the bound before there was one still takes reports that do
  // not make it larger.
  mapped_node("old");
  const std::string huge(300000, 'y');
  ASSERT_TRUE(repository_.write([&](storage::NodeWriter& w) {
    return w.put_params("old", R"({"Light":{"Power":false},"D":{"p":")" + huge + "\"}}", 1);
  }));
  submit("old", ParamsReported{R"({"Light":{"Power":true}})", false});
  settle();
  EXPECT_EQ(params("old").at("Light").at("Power"), true) << "not larger: taken";
}

TEST_F(NodeServiceTest, ReportsApplyInOrderWithinABatch) {
  mapped_node("n1");
  // One burst: init replaces, deltas merge in order, arrays are replaced.
  submit("n1", ParamsReported{R"({"Light":{"Power":false,"List":[1,2]},"Old":{"x":1}})", true});
  submit("n1", ParamsReported{R"({"Light":{"Power":true}})", false});
  submit("n1", ParamsReported{R"({"Light":{"List":[3]}})", false});
  submit("n1", ParamsReported{R"({"Light":{"Power":false}})", false});
  settle();
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Power":false,"List":[3]},"Old":{"x":1}})"));
  submit("n1", ParamsReported{R"({"Light":{"Power":true}})", true});
  settle();
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Power":true}})")) << "a new init replaces";
}

// Adaptive group commit: an idle writer commits a lone report at once, however long the
// batch window (it applies only under load).
TEST_F(NodeServiceTest, AnIdleWriterCommitsALoneReportAtOnce) {
  mapped_node("n1");
  NodeIngest slow(repository_, messenger_, commands_, events_, clock_, metrics_,
                  IngestOptions{1000, 100, 60s});
  slow.start();
  ASSERT_TRUE(slow.submit(NodeEvent{"n1", unix_ms(clock_.now()),
                                    ParamsReported{R"({"Light":{"Power":true}})", false}}));
  EXPECT_TRUE(slow.flush(20s)) << "the report waited for a 60 s window";
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Power":true}})"));
  slow.stop();
}

// Under load the writer waits for a batch to fill only as long as its last batch took to
// apply, not the whole `flush_delay` (issue 24: control latency under ingest).
TEST_F(NodeServiceTest, UnderLoadTheWindowIsTheLastBatchsApplyTime) {
  mapped_node("n1");
  NodeIngest slow(repository_, messenger_, commands_, events_, clock_, metrics_,
                  IngestOptions{1000, 100, 60s});
  slow.start();
  // 350 reports in one burst with batches of 100: reports are still waiting when each batch
  // commits, so the writer is loaded and the last, partial batch waits for its window.
  for (int i = 0; i < 350; ++i) {
    ASSERT_TRUE(slow.submit(
        NodeEvent{"n1", unix_ms(clock_.now()),
                  ParamsReported{R"({"Light":{"Level":)" + std::to_string(i) + "}}", false}}));
  }
  EXPECT_TRUE(slow.flush(20s)) << "a loaded writer waited for the whole 60 s window";
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Level":349}})"));
  slow.stop();
}

// docs/adr/0026: the report a set is waiting for is applied ahead of the bulk queue, with
// the earlier queued reports of its node (so the node's reports still apply in order) and
// none of its later ones; what it overtook is not counted as processed until applied.
TEST_F(NodeServiceTest, TheAwaitedReportIsAppliedAheadOfTheBulkQueue) {
  mapped_node("n1");
  mapped_node("n2");
  ExpectedReports expected(clock_, {.window = 2s, .limit = 100});
  GatedEvents gate;
  MetricsRegistry metrics;
  NodeIngest writer(repository_, messenger_, commands_, gate, clock_, metrics,
                    IngestOptions{.queue_limit = 1000, .batch_max = 100, .flush_delay = 1ms},
                    &expected);
  writer.start();
  const auto report = [&](const std::string& node, const std::string& light) {
    ASSERT_TRUE(writer.submit(NodeEvent{node, unix_ms(clock_.now()),
                                        ParamsReported{R"({"Light":)" + light + "}", false}}));
  };
  report("n2", R"({"Level":0})");
  const auto first = writer.submitted_mark();
  ASSERT_TRUE(gate.held_after(0)) << "the first batch did not commit";
  EXPECT_FALSE(writer.processed(first)) << "a batch still being applied";
  // Queued behind the held writer, in this order:
  report("n1", R"({"Tag":"older"})");
  const auto older = writer.submitted_mark();
  for (int i = 1; i <= 20; ++i)
    report("n2", R"({"Level":)" + std::to_string(i) + "}");
  expected.expect("n1");  // a user's set went to n1
  report("n1", R"({"Tag":"awaited"})");
  for (int i = 21; i <= 25; ++i)
    report("n2", R"({"Level":)" + std::to_string(i) + "}");
  report("n1", R"({"Tag":"later"})");
  const auto mark = writer.submitted_mark();
  auto& waited = metrics.histogram("stratus_ingest_interactive_wait_seconds", "", {});
  auto& applied = metrics.histogram("stratus_ingest_interactive_apply_seconds", "", {});
  std::this_thread::sleep_for(20ms);  // the awaited report waits at least this long

  gate.allow(1);  // the first batch's events; the writer takes the next batch
  ASSERT_TRUE(gate.held_after(1)) << "the second batch did not commit";
  EXPECT_EQ(waited.snapshot().count(), 1U) << "the awaited report's wait, observed when taken";
  EXPECT_GE(waited.snapshot().sum, 0.020);
  EXPECT_EQ(applied.snapshot().count(), 0U) << "its batch is still being applied";
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Tag":"awaited"}})"))
      << "the awaited report and the older one of its node are committed";
  EXPECT_EQ(params("n2").at("Light").at("Level"), 0) << "the bulk reports are still queued";
  EXPECT_TRUE(writer.processed(first));
  EXPECT_FALSE(writer.processed(older)) << "the interactive batch is still being applied";
  EXPECT_FALSE(writer.processed(mark)) << "overtaken reports counted as processed";
  EXPECT_EQ(metrics.counter("stratus_ingest_interactive_total", "").value(), 1U);

  gate.allow(1000);
  ASSERT_TRUE(writer.flush(10s));
  EXPECT_TRUE(writer.processed(mark));
  std::vector<std::string> order{R"(n2 {"Level":0})", R"(n1 {"Tag":"older"})",
                                 R"(n1 {"Tag":"awaited"})"};
  for (int i = 1; i <= 25; ++i)
    order.push_back(R"(n2 {"Level":)" + std::to_string(i) + "}");
  order.push_back(R"(n1 {"Tag":"later"})");
  EXPECT_EQ(gate.lights(), order);
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Tag":"later"}})"));
  EXPECT_EQ(params("n2").at("Light").at("Level"), 25);
  EXPECT_EQ(waited.snapshot().count(), 1U) << "bulk reports are not observed";
  EXPECT_EQ(applied.snapshot().count(), 1U);
  writer.stop();
}

// While a set's answer is due, bulk batches are cut to interactive_batch_max, so the answer
// waits for one short batch at most; once its window passed, they grow again.
TEST_F(NodeServiceTest, BulkBatchesStayShortWhileAnAnswerIsDue) {
  mapped_node("n2");
  ExpectedReports expected(clock_, {.window = 2s, .limit = 100});
  GatedEvents gate;
  MetricsRegistry metrics;
  NodeIngest writer(
      repository_, messenger_, commands_, gate, clock_, metrics,
      IngestOptions{
          .queue_limit = 1000, .batch_max = 100, .flush_delay = 1ms, .interactive_batch_max = 10},
      &expected);
  writer.start();
  auto& batches = metrics.counter("stratus_ingest_batches_total", "");
  std::size_t published = 0;
  const auto burst = [&] {
    const auto level = [&](int i) {
      return NodeEvent{"n2", unix_ms(clock_.now()),
                       ParamsReported{R"({"Light":{"Level":)" + std::to_string(i) + "}}", false}};
    };
    gate.close();
    EXPECT_TRUE(writer.submit(level(0)));
    EXPECT_TRUE(gate.held_after(published)) << "the first batch did not commit";
    for (int i = 1; i <= 50; ++i)
      EXPECT_TRUE(writer.submit(level(i)));
    const auto before = batches.value();
    gate.allow(1000);
    EXPECT_TRUE(writer.flush(10s));
    published += 51;
    return batches.value() - before;
  };
  expected.expect("quiet");  // a set went out; its node has not answered
  EXPECT_EQ(burst(), 5U) << "50 queued reports in batches of 10";
  clock_.advance(2s);  // the answer is no longer due
  EXPECT_EQ(burst(), 1U) << "50 queued reports in one batch";
  writer.stop();
}

// Kept rows (docs/adr/0030): on PostgreSQL the writer keeps the params rows it wrote and
// merges the next report into them without reading; a row someone else changed meanwhile
// (an operator's write, another instance's presence update) is found changed when written,
// and the batch applies again on the row as stored, so nothing written elsewhere is lost.
// SQLite keeps none and reads every batch.
TEST_F(NodeServiceTest, AKeptRowChangedElsewhereIsReadAgainNotOverwritten) {
  mapped_node("n3");
  const bool keeps = db_->dialect() == storage::sql::Dialect::postgres;
  auto& kept = metrics_.gauge("stratus_ingest_row_cache_nodes", "");
  auto& stale = metrics_.counter("stratus_ingest_row_cache_stale_total", "");
  submit("n3", ParamsReported{R"({"Light":{"Power":false}})", true});
  settle();
  EXPECT_EQ(kept.value(), keeps ? 1 : 0);
  ASSERT_TRUE(repository_.write([&](storage::NodeWriter& w) {
    return w.put_params("n3", R"({"Light":{"Power":false},"Extra":{"x":1}})", 5);
  }));
  submit("n3", ParamsReported{R"({"Light":{"Power":true}})", false});
  settle();
  EXPECT_EQ(params("n3"), json::parse(R"({"Light":{"Power":true},"Extra":{"x":1}})"));
  EXPECT_EQ(stale.value(), keeps ? 1U : 0U);
  // Kept again from that write: the next report merges into it without a conflict.
  submit("n3", ParamsReported{R"({"Light":{"Power":false}})", false});
  settle();
  EXPECT_EQ(params("n3"), json::parse(R"({"Light":{"Power":false},"Extra":{"x":1}})"));
  EXPECT_EQ(stale.value(), keeps ? 1U : 0U);
  // Another writer's presence update changes the row too.
  ASSERT_TRUE(repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto changed = w.set_connectivity("n3", true, unix_ms(clock_.now()) + 10);
    if (!changed)
      return fail(changed.error());
    return w.put_params("n3", R"({"Light":{"Power":false},"Extra":{"x":2}})", 6);
  }));
  submit("n3", ParamsReported{R"({"Light":{"Power":true}})", false});
  settle();
  EXPECT_EQ(params("n3"), json::parse(R"({"Light":{"Power":true},"Extra":{"x":2}})"));
  EXPECT_EQ(stale.value(), keeps ? 2U : 0U);
}

// A batch that changes a node's row besides its params (here its presence, before a params
// report of the same batch) reads the row instead of taking the kept one, writes it
// without a conflict with itself, and does not keep it.
TEST_F(NodeServiceTest, ABatchThatChangesARowItselfReadsItAndDoesNotKeepIt) {
  mapped_node("n4");
  GatedEvents gate;
  MetricsRegistry metrics;
  NodeIngest writer(repository_, messenger_, commands_, gate, clock_, metrics,
                    IngestOptions{.queue_limit = 1000, .batch_max = 100, .flush_delay = 1ms});
  writer.start();
  const auto report = [&](const std::string& light, bool init) {
    ASSERT_TRUE(writer.submit(NodeEvent{"n4", unix_ms(clock_.now()),
                                        ParamsReported{R"({"Light":)" + light + "}", init}}));
  };
  report(R"({"Power":true})", true);
  ASSERT_TRUE(gate.held_after(0)) << "the first batch did not commit";
  const bool keeps = db_->dialect() == storage::sql::Dialect::postgres;
  auto& kept = metrics.gauge("stratus_ingest_row_cache_nodes", "");
  auto& stale = metrics.counter("stratus_ingest_row_cache_stale_total", "");
  EXPECT_EQ(kept.value(), keeps ? 1 : 0);
  // Queued behind the held writer: one batch.
  ASSERT_TRUE(writer.submit(
      NodeEvent{"n4", unix_ms(clock_.now()), PresenceChanged{true, unix_ms(clock_.now()) + 5}}));
  report(R"({"Power":false})", false);
  gate.allow(1);
  ASSERT_TRUE(gate.held_after(1)) << "the second batch did not commit";
  EXPECT_EQ(kept.value(), 0);
  EXPECT_EQ(stale.value(), 0U);
  EXPECT_EQ(params("n4"), json::parse(R"({"Light":{"Power":false}})"));
  const auto n = nodes_.get(user_, "n4");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->node.connected);
  gate.allow(1000);
  ASSERT_TRUE(writer.flush(10s));
  writer.stop();
}

// The batch finds each event's node by its place in the batch (`index_nodes`): events of
// several nodes, queued out of id order and interleaved, each reach their own node's
// document, in the order they came, and a ready node among them gets its queued set.
TEST_F(NodeServiceTest, InterleavedEventsOfSeveralNodesInOneBatchEachReachTheirNode) {
  for (const auto* id : {"n1", "n2", "n3"})
    mapped_node(id);
  auto out =
      nodes_.set_params(user_, {{"n2", json::parse(R"({"Light":{"Power":true}})").as_object()}});
  ASSERT_TRUE(out[0].success());
  ASSERT_TRUE(out[0].queued);
  GatedEvents gate;
  MetricsRegistry metrics;
  NodeIngest writer(repository_, messenger_, commands_, gate, clock_, metrics,
                    IngestOptions{.queue_limit = 1000, .batch_max = 100, .flush_delay = 1ms});
  // A failed assertion returns with the writer held: open the gate before it is stopped.
  struct Open {
    GatedEvents& gate;
    ~Open() { gate.allow(1000); }
  } open{gate};
  writer.start();
  const auto report = [&](const std::string& node, const std::string& light, bool init) {
    ASSERT_TRUE(writer.submit(NodeEvent{node, unix_ms(clock_.now()),
                                        ParamsReported{R"({"Light":)" + light + "}", init}}));
  };
  report("n1", R"({"Power":false,"Level":1})", true);
  ASSERT_TRUE(gate.held_after(0)) << "the first batch did not commit";
  // Queued behind the held writer: one batch, nodes out of order.
  report("n3", R"({"Power":true,"Level":30})", true);
  report("n1", R"({"Level":2})", false);
  report("n2", R"({"Power":false})", true);
  report("n3", R"({"Level":31})", false);
  ASSERT_TRUE(writer.submit(NodeEvent{"n2", unix_ms(clock_.now()), NodeReady{}}));
  report("n1", R"({"Power":true})", false);
  gate.allow(1);
  ASSERT_TRUE(gate.held_after(1)) << "the second batch did not commit";
  EXPECT_EQ(params("n1"), json::parse(R"({"Light":{"Power":true,"Level":2}})"));
  EXPECT_EQ(params("n2"), json::parse(R"({"Light":{"Power":false}})"));
  EXPECT_EQ(params("n3"), json::parse(R"({"Light":{"Power":true,"Level":31}})"));
  gate.allow(1000);  // the set goes out once the batch's events are published
  ASSERT_TRUE(writer.flush(10s));
  const auto sent = messenger_.snapshot();
  ASSERT_EQ(sent.size(), 1U) << "only n2 was ready and had a set waiting";
  EXPECT_EQ(sent[0].first, "n2");
  EXPECT_EQ(json::parse(sent[0].second), json::parse(R"({"Light":{"Power":true}})"));
  EXPECT_EQ(gate.lights(), (std::vector<std::string>{R"(n1 {"Power":false,"Level":1})",
                                                     R"(n3 {"Power":true,"Level":30})",
                                                     R"(n1 {"Level":2})", R"(n2 {"Power":false})",
                                                     R"(n3 {"Level":31})", R"(n1 {"Power":true})"}))
      << "events are published in the order they came";
  writer.stop();
}

// The writer thread runs at its process's nice value plus `writer_nice` (docs/adr/0031),
// and no other thread does. It publishes each batch's events itself, so the publisher
// sees the writer thread's nice value.
TEST_F(NodeServiceTest, TheWriterThreadAloneRunsAtTheNiceValueItWasGiven) {
  mapped_node("n1");
  struct NiceSeen final : EventPublisher {
    void publish(std::vector<EventDraft> /*events*/) override {
      seen.store(core::this_thread_nice());
    }
    std::atomic<int> seen{-100};
  } publisher;
  const int base = core::this_thread_nice();
  if (base > 15)
    GTEST_SKIP() << "the test process already runs at nice " << base;
  NodeIngest writer(repository_, messenger_, commands_, publisher, clock_, metrics_,
                    IngestOptions{.writer_nice = 4});
  writer.start();
  ASSERT_TRUE(writer.submit(NodeEvent{"n1", unix_ms(clock_.now()),
                                      ParamsReported{R"({"Light":{"Power":true}})", false}}));
  ASSERT_TRUE(writer.flush(10s));
  EXPECT_EQ(publisher.seen.load(), base + 4);
  EXPECT_EQ(core::this_thread_nice(), base) << "only the writer's thread";
  writer.stop();
}

TEST_F(NodeServiceTest, StalePresenceLosesToNewerPresence) {
  mapped_node("n2");
  const auto t = unix_ms(clock_.now());
  submit("n2", PresenceChanged{true, t + 100});
  submit("n2", PresenceChanged{false, t + 50});  // older, arrives later
  settle();
  const auto n = nodes_.get(user_, "n2");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->node.connected);
  EXPECT_EQ(n->node.connectivity_ms, t + 100);
}

TEST_F(NodeServiceTest, QueuedSetsMergeAndAreDeliveredWhenTheNodeIsReady) {
  mapped_node("n3");
  auto out =
      nodes_.set_params(user_, {{"n3", json::parse(R"({"Light":{"Power":true}})").as_object()}});
  ASSERT_TRUE(out[0].success());
  EXPECT_TRUE(out[0].queued) << "never connected: offline";
  out = nodes_.set_params(user_, {{"n3", json::parse(R"({"Light":{"Power":false}})").as_object()}});
  EXPECT_TRUE(out[0].queued);
  out = nodes_.set_params(user_, {{"n3", json::parse(R"({"Light":{"Nope":1}})").as_object()}});
  EXPECT_FALSE(out[0].success());
  EXPECT_TRUE(messenger_.snapshot().empty());
  submit("n3", PresenceChanged{true, unix_ms(clock_.now())});
  settle();
  EXPECT_TRUE(messenger_.snapshot().empty()) << "not before the node shows it is subscribed";
  submit("n3", NodeReady{});
  settle();
  const auto sent = messenger_.snapshot();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(json::parse(sent[0].second), json::parse(R"({"Light":{"Power":false}})"))
      << "later set wins";
  submit("n3", NodeReady{});
  settle();
  EXPECT_EQ(messenger_.snapshot().size(), 1u) << "delivered once";
  // Online now: a set goes straight out.
  out = nodes_.set_params(user_, {{"n3", json::parse(R"({"Light":{"Power":true}})").as_object()}});
  EXPECT_FALSE(out[0].queued);
  EXPECT_EQ(messenger_.snapshot().size(), 2u);
}

// A node repository whose writes fail as an unavailable database while `away` is set;
// everything else goes to the real one.
class AwayNodes final : public storage::NodeRepository {
 public:
  explicit AwayNodes(storage::NodeRepository& real) : real_(real) {}
  std::atomic<bool> away{false};
  std::atomic<int> refused{0};

  Result<void> write(const std::function<Result<void>(storage::NodeWriter&)>& body) override {
    if (away) {
      ++refused;
      return fail(errc::unavailable, "the database is restarting");
    }
    return real_.write(body);
  }
  Result<storage::UserNodePage> list_user_nodes(std::string_view user_id,
                                                std::string_view start_node_id, std::size_t limit,
                                                std::string_view only_node_id) override {
    return real_.list_user_nodes(user_id, start_node_id, limit, only_node_id);
  }
  Result<storage::UserNode> get_user_node(std::string_view user_id,
                                          std::string_view node_id) override {
    return real_.get_user_node(user_id, node_id);
  }
  Result<storage::NodeRecord> get_node(std::string_view node_id) override {
    return real_.get_node(node_id);
  }
  Result<storage::MappingRequest> get_mapping_request(std::string_view request_id) override {
    return real_.get_mapping_request(request_id);
  }
  Result<std::vector<storage::AlertRecord>> list_alerts(const storage::AlertQuery& q) override {
    return real_.list_alerts(q);
  }
  Result<std::vector<std::pair<std::string, std::string>>> users_of(
      std::string_view node_id) override {
    return real_.users_of(node_id);
  }
  Result<std::vector<storage::FleetNode>> list_fleet_nodes(const storage::FleetNodeFilter& filter,
                                                           std::string_view start_node_id,
                                                           std::size_t limit) override {
    return real_.list_fleet_nodes(filter, start_node_id, limit);
  }

 private:
  storage::NodeRepository& real_;
};

std::uint64_t counter(MetricsRegistry& metrics, std::string_view name) {
  return metrics.counter(name, "").value();
}

// The params stored for `node` (mapped or not); null when none.
json::value stored(storage::NodeRepository& nodes, const std::string& node) {
  json::value out;
  EXPECT_TRUE(nodes.write([&](storage::NodeWriter& w) -> Result<void> {
    auto p = w.params(node);
    if (!p)
      return fail(p.error());
    if (*p)
      out = json::parse(**p);
    return {};
  }));
  return out;
}

// An ingest that writes again after 1 ms, then after waits doubling to `retry_max`.
IngestOptions retrying(std::chrono::milliseconds retry_max) {
  IngestOptions options{1000, 100, 1ms};
  options.retry_first = 1ms;
  options.retry_max = retry_max;
  return options;
}

// `node` reports its light on (init).
NodeEvent light_on(const std::string& node, const Clock& clock) {
  return NodeEvent{node, unix_ms(clock.now()), ParamsReported{R"({"Light":{"Power":true}})", true}};
}

// Waits (up to 10 s) until `nodes` has refused `n` writes; false if it has not.
bool refused(const AwayNodes& nodes, int n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (nodes.refused < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  return nodes.refused >= n;
}

// While the database is unavailable, a batch waits and is written again: it is not given
// up, and nothing in it counts as processed (the ingest handoff would acknowledge it).
TEST_F(NodeServiceTest, ABatchWaitsForAnUnavailableDatabaseAndIsNotProcessedMeanwhile) {
  AwayNodes nodes(repository_);
  MetricsRegistry metrics;
  NodeIngest ingest(nodes, messenger_, commands_, events_, clock_, metrics, retrying(4ms));
  nodes.away = true;
  ASSERT_TRUE(ingest.submit(light_on("away-1", clock_)));
  const auto mark = ingest.submitted_mark();
  ingest.start();
  ASSERT_TRUE(refused(nodes, 5)) << "the writer keeps trying";
  EXPECT_FALSE(ingest.processed(mark)) << "not acknowledged while not written";
  EXPECT_EQ(counter(metrics, "stratus_ingest_failed_batches_total"), 0u);
  nodes.away = false;
  ASSERT_TRUE(ingest.flush(10s));
  EXPECT_TRUE(ingest.processed(mark));
  EXPECT_EQ(stored(repository_, "away-1"), json::parse(R"({"Light":{"Power":true}})"));
  EXPECT_GE(counter(metrics, "stratus_ingest_retries_total"), 5u);
  EXPECT_EQ(counter(metrics, "stratus_ingest_failed_batches_total"), 0u);
  ingest.stop();
}

// A writer told to stop while the database is away gives up rather than hang.
TEST_F(NodeServiceTest, AStoppingWriterGivesUpOnAnUnavailableDatabase) {
  AwayNodes nodes(repository_);
  MetricsRegistry metrics;
  NodeIngest ingest(nodes, messenger_, commands_, events_, clock_, metrics, retrying(50ms));
  nodes.away = true;
  ASSERT_TRUE(ingest.submit(light_on("away-2", clock_)));
  ingest.start();
  ASSERT_TRUE(refused(nodes, 2));
  ingest.stop();  // returns
  EXPECT_EQ(counter(metrics, "stratus_ingest_failed_batches_total"), 1u);
  EXPECT_EQ(stored(repository_, "away-2"), json::value(nullptr));
}

// The database refuses one node's writes (here a trigger; in life a value out of its
// range): the batch is split by node until that node is alone, and the other nodes'
// reports in the same batch are stored.
TEST_F(NodeServiceTest, ANodeTheDatabaseRefusesCostsOnlyItsOwnEvents) {
  const bool postgres = db_->dialect() == storage::sql::Dialect::postgres;
  const std::vector<std::string> refuse =
      postgres ? std::vector<std::string>{
                     "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                     "BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '22003'; END $$",
                     "CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON nodes FOR EACH ROW "
                     "WHEN (NEW.node_id = 'poison') EXECUTE FUNCTION refuse_poison()"}
               : std::vector<std::string>{
                     "CREATE TRIGGER refuse_poison_i BEFORE INSERT ON nodes "
                     "WHEN NEW.node_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END",
                     "CREATE TRIGGER refuse_poison_u BEFORE UPDATE ON nodes "
                     "WHEN NEW.node_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END"};
  for (const auto& sql : refuse)
    ASSERT_TRUE(db_->with([&](storage::sql::Connection& c) { return c.exec(sql); }));
  MetricsRegistry metrics;
  NodeIngest ingest(repository_, messenger_, commands_, events_, clock_, metrics,
                    IngestOptions{1000, 100, 1ms});
  // One batch: the writer starts after all are queued.
  const std::vector<std::string> ids{"a-1", "poison", "b-2", "c-3", "d-4"};
  for (const auto& id : ids) {
    ASSERT_TRUE(ingest.submit(
        NodeEvent{id, unix_ms(clock_.now()), ParamsReported{R"({"Light":{"Power":true}})", true}}));
    ASSERT_TRUE(ingest.submit(NodeEvent{id, unix_ms(clock_.now()),
                                        ParamsReported{R"({"Light":{"Power":false}})", false}}));
  }
  ingest.start();
  ASSERT_TRUE(ingest.flush(10s));
  ingest.stop();
  for (const auto& id : ids) {
    if (id == "poison")
      EXPECT_EQ(stored(repository_, id), json::value(nullptr));
    else
      EXPECT_EQ(stored(repository_, id), json::parse(R"({"Light":{"Power":false}})")) << id;
  }
  EXPECT_EQ(counter(metrics, "stratus_ingest_failed_batches_total"), 1u) << "one node given up";
  EXPECT_GE(counter(metrics, "stratus_ingest_split_batches_total"), 2u);
}

}  // namespace
}  // namespace stratus::service
