#pragma once
/// @file
/// Settings as the Wirepas backend client takes them (spec wirepas.md §4, its
/// `tools/arguments.py`): every key is a flag `--<key>`, a line `<key>: <value>` of the
/// YAML file given by `--settings` (default `$WM_BCLI_FILE_SETTINGS`), and for most an
/// environment default (`WM_SERVICES_MQTT_*`, `WM_SERVICES_FLUENTD_*`, …). The command line
/// wins over the file, the file over the environment, the environment over the default.
/// Unknown file keys are ignored (one file serves several tools); a known key with an
/// unusable value is an error naming where it came from (`--mqtt_port`,
/// `settings.yml:mqtt_port`, `WM_SERVICES_MQTT_PORT`).
///
/// Used by `stratus-console` and by `stratus-node wirepas-gateway`. Not thread-safe: a
/// process reads its settings once, on its main thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mqtt/client.hpp"

namespace CLI {
class App;
}

namespace stratus::console {

/// The MQTT keys (spec §4 table). Unlike the original, the client certificate and key are
/// used, and `allow_untrusted` really skips the host-name check.
struct MqttSettings {
  std::string hostname;  ///< required
  int port = 8883;
  std::string username;  ///< empty: no user name (the original requires one; we do not)
  std::string password;
  std::string ca_certs;  ///< CA file; empty: the system's CAs
  std::string certfile;  ///< client certificate (PEM), with `keyfile`
  std::string keyfile;
  bool force_unsecure = false;   ///< plain TCP
  bool allow_untrusted = false;  ///< TLS without the host-name check
  bool persist_session = false;  ///< clean session off
  /// Subscription narrowing (`mqtt_subscribe_*`): `+` or a value for that topic level.
  std::string subscribe_network_id = "+";
  std::string subscribe_sink_id = "+";
  std::string subscribe_gateway_id = "+";
  std::string subscribe_source_endpoint = "+";
  std::string subscribe_destination_endpoint = "+";
};

/// The fluentd keys (spec §4): logging to fluentd only when `hostname` is set; records go
/// to tag `<tag>.<record>`.
struct FluentdSettings {
  std::string hostname;
  int port = 24224;
  std::string tag = "python";
  std::string record = "log";
};

/// One settings key.
struct SettingKey {
  std::string name;                  ///< the file key; the flag is `--<name>` (plus `aliases`)
  std::string env;                   ///< environment default; empty: none
  std::string help;                  ///< one line for `--help`
  bool flag = false;                 ///< a boolean: `--<name>` takes no value
  bool secret = false;               ///< masked when shown
  std::vector<std::string> aliases;  ///< more flag spellings ("--insecure")
  /// Parses a value into its field; false when the text is not a valid value.
  std::function<bool(std::string_view)> set;
  /// The current value as text (for `settings` and logs).
  std::function<std::string()> get;
};

/// Helpers that bind a key to a field (the field must outlive the key).
[[nodiscard]] SettingKey text_key(std::string name, std::string env, std::string help,
                                  std::string& field);
[[nodiscard]] SettingKey int_key(std::string name, std::string env, std::string help, int& field,
                                 int min, int max);
[[nodiscard]] SettingKey double_key(std::string name, std::string env, std::string help,
                                    double& field, double min, double max);
[[nodiscard]] SettingKey bool_key(std::string name, std::string env, std::string help, bool& field);

/// The MQTT keys bound to `s` (`mqtt_hostname` … `mqtt_subscribe_destination_endpoint`).
[[nodiscard]] std::vector<SettingKey> mqtt_keys(MqttSettings& s);
/// The fluentd keys bound to `s`.
[[nodiscard]] std::vector<SettingKey> fluentd_keys(FluentdSettings& s);

/// Collects flags: `add_flags` declares `--settings` and one option per key on `cmd`,
/// recording what the command line gave; `resolve` then fills every key.
class SettingsParser {
 public:
  /// Reads an environment variable (tests pass their own).
  using Getenv = std::function<std::optional<std::string>(const std::string&)>;

  explicit SettingsParser(std::vector<SettingKey> keys);
  /// Declares the flags on `cmd`. `this` must outlive parsing.
  void add_flags(CLI::App& cmd);
  /// Applies command line, then file, then environment to every key. Errors:
  /// invalid_argument naming the source and key (an unreadable or malformed file, a value
  /// its key refuses).
  Result<void> resolve(const Getenv& getenv);
  /// The settings file named (flag or `WM_BCLI_FILE_SETTINGS`); empty when none.
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  /// `key: value` lines for every key, secrets shown as `********` when set.
  [[nodiscard]] std::vector<std::string> describe() const;
  /// Keys by name (nullptr: unknown).
  [[nodiscard]] const SettingKey* find(std::string_view name) const;

 private:
  std::vector<SettingKey> keys_;
  std::map<std::string, std::string, std::less<>> command_line_;
  std::string file_;
};

/// Checks what `MqttSettings` needs: a host name, a port 1–65535, a certificate and key
/// together, readable files. Errors: invalid_argument naming the key.
Result<void> validate(const MqttSettings& s);

/// The `mqtt::ClientOptions` for `s`: MQTT 3.1.1 (what Wirepas gateways and clients speak),
/// TLS unless `force_unsecure`, `clean_start` unless `persist_session`.
[[nodiscard]] mqtt::ClientOptions client_options(const MqttSettings& s, std::string client_id,
                                                 std::chrono::seconds keepalive);

}  // namespace stratus::console
