// Fuzz target `node_config`: the node config a node publishes on `config` (spec
// rainmaker.md §2.1), parsed by model::parse_node_config.
// Invariants: a parsed config has a non-empty node id; writing it with to_json and parsing
// that again succeeds and writes the same JSON, numbers equal up to the last bits of a
// double: Boost.JSON 1.81 parses doubles to within an ulp or two, not exactly (a bound of
// 8.88888888888889E85 read back as 8.888888888888891E85, found by this target).
#include "model/node_config.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "fuzz_check.hpp"

namespace {

namespace json = boost::json;

// The same JSON, doubles within a few ulps.
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double();
    const double y = b.get_double();
    return x == y || std::fabs(x - y) <= 8 * std::numeric_limits<double>::epsilon() *
                                             std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind())
    return false;
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size())
      return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
      if (i->key() != j->key() || !same(i->value(), j->value()))
        return false;
    }
    return true;
  }
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size())
      return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i]))
        return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::model;
  const auto config = parse_node_config(stratus::fuzz::as_text(data, size));
  if (!config)
    return 0;
  FUZZ_CHECK(!config->node_id.empty());
  const std::string text = to_json(*config);
  const auto again = parse_node_config(text);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same(json::parse(to_json(*again)), json::parse(text)));
  for (const auto& device : config->devices)
    FUZZ_CHECK(config->find_device(device.name) == &device);
  return 0;
}
