// Proves the time-series wire contracts (spec rainmaker.md §1.3 tsdata/simple_tsdata;
// rainmaker-cloud.md §4.1–4.2): the node payload decoders at their boundaries (types per
// `dt`, integer times, the record cap, the byte limit) and the REST query parser and
// answer codec (defaults, aliases, each refusal's code, a round trip through `to_query`).
// How: the spec's examples plus hand-made bad inputs; a map stands in for the URL query.
#include "proto/rest/tsdata.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "proto/payloads.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::proto {
namespace {

namespace json = boost::json;

TEST(ParseTsdata, SpecExampleFlattensRecords) {
  const auto r = parse_tsdata(
      R"({"ts_data_version":"2021-09-13","ts_data":[{"name":"Sensor.Temperature",)"
      R"("type":"esp.param.temperature","dt":"float","records":[{"t":1700000000,"v":23.5},)"
      R"({"t":1700000060,"v":24}]},{"name":"Sensor.On","dt":"bool","records":[{"t":1700000000,"v":true}]}]})");
  ASSERT_TRUE(r) << r.error().context;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].name, "Sensor.Temperature");
  EXPECT_EQ((*r)[0].data_type, "float");
  EXPECT_EQ((*r)[1].t, 1700000060);
  EXPECT_EQ((*r)[1].value, json::value(24));
  EXPECT_EQ((*r)[2].value, json::value(true));
}

TEST(ParseTsdata, RefusesWrongShapesNamingTheField) {
  const auto error = [](std::string_view payload) {
    auto r = parse_tsdata(payload, 3);
    EXPECT_FALSE(r) << payload;
    return r ? std::string() : r.error().context;
  };
  EXPECT_NE(error(R"({"ts_data":{}})").find("ts_data"), std::string::npos);
  EXPECT_NE(error(R"({"ts_data":[{"name":"","dt":"float","records":[]}]})").find("ts_data[0].name"),
            std::string::npos);
  EXPECT_NE(error(R"({"ts_data":[{"name":"a.b","dt":"double","records":[]}]})").find("dt"),
            std::string::npos);
  EXPECT_NE(error(R"({"ts_data":[{"name":"a\u0000b","dt":"int","records":[]}]})").find("NUL"),
            std::string::npos);
  EXPECT_NE(error(R"({"ts_data":[{"name":"a.b","dt":"int","records":[{"t":1,"v":1.5}]}]})")
                .find("ts_data[0].records[0].v"),
            std::string::npos);
  EXPECT_NE(error(R"({"ts_data":[{"name":"a.b","dt":"float","records":[{"t":1.5,"v":1}]}]})")
                .find("records[0].t"),
            std::string::npos);
  // A float whose sums could overflow to infinity (1.5e308 twice in one bucket).
  EXPECT_NE(error(R"({"ts_data":[{"name":"a.b","dt":"float","records":[{"t":1,"v":1.5e308}]}]})")
                .find("records[0].v"),
            std::string::npos);
  EXPECT_NE(error(R"({"ts_data":[{"name":"a.b","dt":"float","records":[{"t":1,"v":-1e101}]}]})")
                .find("records[0].v"),
            std::string::npos);
  EXPECT_TRUE(parse_tsdata(
      R"({"ts_data":[{"name":"a.b","dt":"float","records":[{"t":1,"v":1e100}]}]})", 3));
  EXPECT_NE(error(R"({"ts_data":[{"name":"a.b","dt":"string","records":[{"t":1,"v":2}]}]})")
                .find("type string"),
            std::string::npos);
  // The cap counts records over all series: 4 > 3.
  EXPECT_NE(
      error(R"({"ts_data":[{"name":"a.b","dt":"int","records":[{"t":1,"v":1},{"t":2,"v":2}]},)"
            R"({"name":"a.c","dt":"int","records":[{"t":1,"v":1},{"t":2,"v":2}]}]})")
          .find("more than 3"),
      std::string::npos);
  EXPECT_TRUE(parse_tsdata(R"({"ts_data":[{"name":"a.b","dt":"int","records":[{"t":1,"v":1},)"
                           R"({"t":2,"v":2},{"t":3,"v":3}]}]})",
                           3));
  EXPECT_FALSE(parse_tsdata(R"({"ts_data":[]})", 3, 8));  // over the byte limit
  EXPECT_TRUE(parse_tsdata(R"({"ts_data":[]})", 3, 14));
}

TEST(ParseSimpleTsdata, AllSixTypes) {
  for (const auto* payload : {R"({"name":"D.P","type":"x","dt":"int","t":1,"v":-3,"d":30})",
                              R"({"name":"D.P","dt":"float","t":1,"v":2})",
                              R"({"name":"D.P","dt":"bool","t":1,"v":false})",
                              R"({"name":"D.P","dt":"string","t":1,"v":"s"})",
                              R"({"name":"D.P","dt":"object","t":1,"v":{"a":1}})",
                              R"({"name":"D.P","dt":"array","t":1,"v":[1,"b"]})"}) {
    auto r = parse_simple_tsdata(payload);
    EXPECT_TRUE(r) << payload << (r ? "" : r.error().context);
  }
  EXPECT_FALSE(parse_simple_tsdata(R"({"name":"D.P","dt":"object","t":1,"v":[1]})"));
  EXPECT_FALSE(parse_simple_tsdata(R"({"name":"D.P","dt":"bool","t":1})"));
  EXPECT_FALSE(parse_simple_tsdata(R"({"dt":"bool","t":1,"v":true})"));
  EXPECT_FALSE(parse_simple_tsdata(R"({"name":"D.P","dt":"int","t":18446744073709551615,"v":1})"));
}

namespace rest_ts {

using Params = std::map<std::string, std::string, std::less<>>;

Result<rest::TsDataQuery> parse(const Params& p, bool simple = false) {
  return rest::parse_tsdata_query(
      [&p](std::string_view name) -> std::optional<std::string_view> {
        auto it = p.find(name);
        if (it == p.end())
          return std::nullopt;
        return std::string_view(it->second);
      },
      simple);
}

int code(const Params& p, bool simple = false) {
  auto q = parse(p, simple);
  EXPECT_FALSE(q);
  return q ? 0 : q.error().reason;
}

TEST(ParseTsdataQuery, DefaultsAndAliases) {
  auto q = parse({{"node_id", "n"}, {"param_name", "D.P"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, "float");
  EXPECT_EQ(q->aggregate, rest::TsAggregate::raw);
  EXPECT_EQ(q->num_records, 200u);
  EXPECT_EQ(q->timezone, "UTC");
  EXPECT_EQ(q->week_start, 1);
  q = parse({{"node_id", "n"},
             {"param_name", "D.P"},
             {"data_type", "int"},
             {"week_start", "sUNDAY"},
             {"aggregate", "avg"},
             {"aggregation_interval", "week"},
             {"num_intervals", "3"},
             {"desc_order", "True"},
             {"differential", "true"}});
  ASSERT_TRUE(q) << q.error().context;
  EXPECT_EQ(q->type, "int");
  EXPECT_EQ(q->week_start, 0);
  EXPECT_EQ(q->interval, rest::TsInterval::week);
  EXPECT_TRUE(q->desc_order);
  // to_query reads back to the same query.
  Params back;
  for (auto& [k, v] : rest::to_query(*q))
    back[k] = v;
  auto again = parse(back);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->week_start, 0);
  EXPECT_EQ(again->num_intervals, 3);
  EXPECT_EQ(again->aggregate, rest::TsAggregate::avg);
  EXPECT_TRUE(again->differential);
}

TEST(ParseTsdataQuery, EachRefusalHasItsCode) {
  using namespace rest::tsdata_error;
  const Params base{{"node_id", "n"}, {"param_name", "D.P"}};
  const auto with = [&](std::string k, std::string v) {
    Params p = base;
    p[k] = v;
    return p;
  };
  EXPECT_EQ(code({{"param_name", "D.P"}}), node_id_missing);
  EXPECT_EQ(code({{"node_id", "n"}}), param_name_missing);
  EXPECT_EQ(code(with("type", "object")), type_invalid);
  EXPECT_EQ(code(with("aggregate", "median")), aggregate_invalid);
  EXPECT_EQ(code(with("aggregation_interval", "fortnight")), interval_invalid);
  EXPECT_EQ(code(with("week_start", "Funday")), week_start_invalid);
  EXPECT_EQ(code(with("num_intervals", "0")), num_intervals_invalid);
  EXPECT_EQ(code(with("start_time", "-5")), start_invalid);
  EXPECT_EQ(code(with("end_time", "soon")), end_invalid);
  // After the year 9999: refused (a time near INT64_MAX made the aggregation's window
  // steps overflow and loop).
  EXPECT_EQ(code(with("start_time", "253402300800")), start_invalid);
  EXPECT_EQ(code(with("end_time", "9223372036854775807")), end_invalid);
  EXPECT_TRUE(parse(with("end_time", "253402300799")));
  EXPECT_EQ(code(with("num_records", "201")), num_records_invalid);
  EXPECT_EQ(code(with("differential", "maybe")), rest::request_error::invalid_request_body);
  auto flags = parse(with("reset_on_negative", "1"));
  ASSERT_TRUE(flags);
  EXPECT_TRUE(flags->reset_on_negative);
  EXPECT_EQ(code({{"param_name", "D.P"}, {"type", "int"}}, true),
            rest::simple_tsdata_error::node_id_missing);
  EXPECT_EQ(code({{"node_id", "n"}, {"type", "int"}}, true),
            rest::simple_tsdata_error::param_name_missing);
  EXPECT_EQ(code(base, true), rest::simple_tsdata_error::type_invalid);
  EXPECT_EQ(
      code({{"node_id", "n"}, {"param_name", "D.P"}, {"type", "int"}, {"query_type", "aggregates"}},
           true),
      not_supported);
  EXPECT_TRUE(parse({{"node_id", "n"}, {"param_name", "D.P"}, {"type", "object"}}, true));
}

TEST(TsdataAnswer, RoundTrip) {
  rest::TsDataAnswer a{"n",
                       "D.P",
                       {{10, json::value(1.5)}, {20, json::value("x")}},
                       "D.P-float-30",
                       "avg",
                       "day",
                       "Monday",
                       "Europe/Berlin"};
  const auto o = rest::to_json(a);
  const auto& entry = o.at("ts_data").at(0).as_object();
  EXPECT_EQ(entry.at("params").at(0).at("num_records"), json::value(2));
  EXPECT_EQ(entry.at("differential"), json::value(false));
  auto back = rest::parse_tsdata_answer(o);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->values.size(), 2u);
  EXPECT_EQ(back->values[1].val, json::value("x"));
  EXPECT_EQ(back->next_id, "D.P-float-30");
  EXPECT_EQ(back->timezone, "Europe/Berlin");
  a.next_id.clear();
  a.aggregate.clear();
  EXPECT_FALSE(rest::to_json(a).at("ts_data").at(0).as_object().contains("next_id"));
  EXPECT_FALSE(rest::parse_tsdata_answer(json::object{{"ts_data", json::array{}}}));
}

}  // namespace rest_ts
}  // namespace
}  // namespace stratus::proto
