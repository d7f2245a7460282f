#include "console/provisioning_config.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "core/hex.hpp"

namespace stratus::console {
namespace {

namespace prov = wirepas::provisioning;

// A YAML scalar as the original's loader (PyYAML, YAML 1.1) types it: an unquoted integer
// is an integer, anything else text.
struct Scalar {
  std::optional<std::int64_t> integer;
  std::string text;
};

// Python's int(text, 0) and YAML 1.1's int: sign, then 0x hex, 0b binary, 0o or a leading 0
// octal, or decimal; underscores between digits. nullopt when it is not one or overflows.
std::optional<std::int64_t> parse_integer(std::string_view s, bool yaml_octal) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty())
    return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    if (!yaml_octal)
      return std::nullopt;  // int("013", 0) is an error in Python
    base = 8;
    s.remove_prefix(1);
  }
  std::uint64_t value = 0;
  bool any = false;
  for (const char c : s) {
    if (c == '_')
      continue;
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : 99;
    if (d >= base)
      return std::nullopt;
    if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(d)) /
                    static_cast<unsigned>(base))
      return std::nullopt;
    value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    any = true;
  }
  if (!any || value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return std::nullopt;
  const auto v = static_cast<std::int64_t>(value);
  return negative ? -v : v;
}

std::optional<Scalar> scalar(const YAML::Node& node) {
  if (!node.IsScalar())
    return std::nullopt;
  Scalar s;
  s.text = node.Scalar();
  if (node.Tag() == "?")  // plain (unquoted)
    s.integer = parse_integer(s.text, true);
  return s;
}

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  void problem(std::string_view entry, std::string_view key, std::string_view what) {
    std::string line(file_);
    line += ':';
    line += entry;
    if (!key.empty()) {
      line += '.';
      line += key;
    }
    line += ": ";
    line += what;
    problems_.push_back(std::move(line));
  }

  // Bytes from a scalar: `0x..` text is hex, other text its bytes, an integer big-endian.
  std::optional<std::string> bytes(const YAML::Node& node, std::string_view entry,
                                   std::string_view key) {
    auto s = scalar(node);
    if (!s) {
      problem(entry, key, "not a single value");
      return std::nullopt;
    }
    if (s->integer) {
      if (*s->integer < 0) {
        problem(entry, key, "a negative number is not a byte string");
        return std::nullopt;
      }
      auto v = static_cast<std::uint64_t>(*s->integer);
      std::string out;
      do {
        out.insert(out.begin(), static_cast<char>(v & 0xFF));
        v >>= 8;
      } while (v != 0);
      return out;
    }
    auto b = prov::parse_byte_string(s->text);
    if (!b) {
      problem(entry, key, b.error().context);
      return std::nullopt;
    }
    return std::move(*b);
  }

  std::optional<std::string> sized_bytes(const YAML::Node& node, std::string_view entry,
                                         std::string_view key, std::size_t size) {
    auto b = bytes(node, entry, key);
    if (b && b->size() != size) {
      problem(entry, key,
              "must be " + std::to_string(size) + (size == 1 ? " byte" : " bytes") + ", got " +
                  std::to_string(b->size()));
      return std::nullopt;
    }
    return b;
  }

  std::optional<std::uint32_t> integer(const YAML::Node& node, std::string_view entry,
                                       std::string_view key, std::uint32_t max) {
    auto s = scalar(node);
    std::optional<std::int64_t> v;
    if (s)
      v = s->integer ? s->integer : parse_integer(s->text, false);
    if (!v) {
      problem(entry, key, "not an integer");
      return std::nullopt;
    }
    if (*v < 0 || static_cast<std::uint64_t>(*v) > max) {
      problem(entry, key, std::to_string(*v) + " is out of range 0-" + std::to_string(max));
      return std::nullopt;
    }
    return static_cast<std::uint32_t>(*v);
  }

  static prov::Key to_key(const std::string& bytes) {
    prov::Key k{};
    std::copy(bytes.begin(), bytes.end(), k.begin());
    return k;
  }

  // The keys both layouts share for one node. `keys` is the entry's map; `network` the
  // version-1 network it names (null in the spec's layout).
  void node(const std::string& name, const YAML::Node& keys, const YAML::Node* network,
            std::optional<std::string> uid) {
    static const char* const spec_keys[] = {
        "uid",     "method",          "factory_key", "authentication_key", "encryption_key",
        "node_id", "network_address", "node_role",   "network_channel",    "user_specific"};
    static const char* const v1_keys[] = {"uid",     "method",    "factory_key",  "network",
                                          "node_id", "node_role", "user_specific"};
    for (const auto& kv : keys) {
      const auto key = kv.first.Scalar();
      bool known = false;
      if (network != nullptr) {
        for (const char* k : v1_keys)
          known = known || key == k;
      } else {
        for (const char* k : spec_keys)
          known = known || key == k;
      }
      if (!known)
        problem(name, key, "unknown key");
    }
    const std::size_t before = problems_.size();
    prov::NodeConfig node;
    if (keys["uid"])
      uid = bytes(keys["uid"], name, "uid");
    if (uid && (uid->empty() || uid->size() > prov::kMaxUidBytes))
      problem(name, "uid", "must be 1 to 79 bytes, got " + std::to_string(uid->size()));
    if (!keys["method"]) {
      problem(name, "method", "missing (0 unsecured, 1 secured)");
    } else if (auto m = integer(keys["method"], name, "method", 255)) {
      if (*m == 3)
        problem(name, "method", "3 (extended UID) is not supported; use 0 or 1");
      else if (*m > 1)
        problem(name, "method", std::to_string(*m) + " is not a method (0 unsecured, 1 secured)");
      else
        node.method = static_cast<std::uint8_t>(*m);
    }
    if (keys["factory_key"]) {
      if (auto fk = sized_bytes(keys["factory_key"], name, "factory_key", 32))
        node.factory_key = *prov::FactoryKey::split(*fk);
    } else if (node.method == 1) {
      problem(name, "factory_key", "missing (32 bytes, required by method 1)");
    }
    const YAML::Node& net = network != nullptr ? *network : keys;
    const std::string net_name = network != nullptr ? "networks." + network_name_ : name;
    for (const auto& [key, field] :
         {std::pair{"authentication_key", &node.content.authentication_key},
          std::pair{"encryption_key", &node.content.encryption_key}}) {
      if (!net[key])
        problem(net_name, key, "missing (16 bytes)");
      else if (auto b = sized_bytes(net[key], net_name, key, 16))
        *field = to_key(*b);
    }
    const char* address_key = network != nullptr ? "address" : "network_address";
    const char* channel_key = network != nullptr ? "channel" : "network_channel";
    if (net[address_key])
      node.content.network_address = integer(net[address_key], net_name, address_key, 0xFFFFFF);
    if (net[channel_key])
      node.content.network_channel = integer(net[channel_key], net_name, channel_key, 0xFFFFFFFF);
    if (keys["node_id"])
      node.content.node_address = integer(keys["node_id"], name, "node_id", 0xFFFFFFFF);
    if (keys["node_role"]) {
      if (auto b = sized_bytes(keys["node_role"], name, "node_role", 1))
        node.content.node_role = static_cast<std::uint8_t>((*b)[0]);
    }
    if (const auto& us = keys["user_specific"]; us) {
      if (!us.IsMap()) {
        problem(name, "user_specific", "not a map of 128-255 to values");
      } else {
        for (const auto& kv : us) {
          const std::string where = "user_specific." + kv.first.Scalar();
          auto k = scalar(kv.first);
          if (!k || !k->integer || *k->integer < 128 || *k->integer > 255) {
            problem(name, where, "keys are 128 to 255");
            continue;
          }
          auto v = scalar(kv.second);
          if (!v) {
            problem(name, where, "not a single value");
            continue;
          }
          prov::UserValue value;
          if (v->integer) {
            value.kind = prov::UserValue::Kind::integer;
            value.integer = *v->integer;
          } else if (v->text.size() >= 2 && v->text[0] == '0' &&
                     (v->text[1] == 'x' || v->text[1] == 'X')) {
            auto b = prov::parse_byte_string(v->text);
            if (!b) {
              problem(name, where, b.error().context);
              continue;
            }
            value.kind = prov::UserValue::Kind::bytes;
            value.bytes = std::move(*b);
          } else {
            value.kind = prov::UserValue::Kind::text;
            value.bytes = v->text;
          }
          node.content.user_specific[static_cast<std::uint8_t>(*k->integer)] = std::move(value);
        }
      }
    }
    if (!uid) {
      if (!keys["uid"])
        problem(name, "uid", "missing");
      return;
    }
    if (problems_.size() != before)
      return;
    node.uid = *uid;
    if (auto it = config_.names.find(*uid); it != config_.names.end()) {
      problem(name, "", "the same UID as " + it->second);
      return;
    }
    config_.names.emplace(*uid, name);
    config_.nodes.emplace(*uid, std::move(node));
  }

  void spec_layout(const YAML::Node& root) {
    for (const auto& kv : root) {
      const std::string name = kv.first.Scalar();
      if (!kv.second.IsMap()) {
        problem(name, "", "not a map of the node's keys");
        continue;
      }
      std::optional<std::string> uid;
      if (!kv.second["uid"])
        uid = bytes(kv.first, name, "");
      node(name, kv.second, nullptr, uid);
    }
  }

  void v1_layout(const YAML::Node& root) {
    const auto networks = root["networks"];
    const auto nodes = root["nodes"];
    if (!networks || !networks.IsMap())
      problem("networks", "", "missing (a map of networks)");
    if (!nodes || !nodes.IsMap()) {
      problem("nodes", "", "missing (a map of nodes)");
      return;
    }
    for (const auto& kv : nodes) {
      const std::string name = "nodes." + kv.first.Scalar();
      if (!kv.second.IsMap()) {
        problem(name, "", "not a map of the node's keys");
        continue;
      }
      const auto net_key = kv.second["network"];
      if (!net_key || !net_key.IsScalar()) {
        problem(name, "network", "missing (the name of one of networks)");
        continue;
      }
      network_name_ = net_key.Scalar();
      const auto net = networks && networks.IsMap() ? networks[network_name_] : YAML::Node();
      if (!net || !net.IsMap()) {
        problem(name, "network", "no network named " + network_name_);
        continue;
      }
      node(name, kv.second, &net, std::nullopt);
    }
  }

  Result<ProvisioningConfig> finish() {
    if (problems_.empty())
      return std::move(config_);
    std::string all;
    for (const auto& p : problems_) {
      if (!all.empty())
        all += '\n';
      all += p;
    }
    return fail(errc::invalid_argument, std::move(all));
  }

 private:
  std::string_view file_;
  std::vector<std::string> problems_;
  ProvisioningConfig config_;
  std::string network_name_;
};

}  // namespace

Result<ProvisioningConfig> parse_provisioning_config(std::string_view text,
                                                     std::string_view file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(errc::invalid_argument, std::string(file_name) + ": " + e.what());
  }
  Reader reader(file_name);
  if (root.IsNull())
    return reader.finish();  // an empty file authorizes nobody
  if (!root.IsMap())
    return fail(errc::invalid_argument,
                std::string(file_name) + ": not a map of node UIDs to their provisioning data");
  if (root["version"]) {
    const auto v = scalar(root["version"]);
    if (!v || v->text != "1")
      return fail(errc::invalid_argument, std::string(file_name) + ":version: only 1 is known");
    reader.v1_layout(root);
  } else {
    reader.spec_layout(root);
  }
  return reader.finish();
}

Result<ProvisioningConfig> load_provisioning_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::not_found, path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_provisioning_config(text.str(), path);
}

std::string printable_uid(std::string_view uid) {
  bool printable = !uid.empty();
  for (const char c : uid)
    printable = printable && c >= 0x20 && c < 0x7F;
  if (printable)
    return std::string(uid);
  return "0x" + to_hex(uid);
}

}  // namespace stratus::console
