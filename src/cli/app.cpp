#include "cli/app.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/detail/files.hpp"
#include "cli/format.hpp"
#include "cli/node_credentials.hpp"
#include "client/jwt.hpp"
#include "client/session.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"

namespace stratus::cli {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kLoginHint = "run: stratus login --user_name <email>";

// ---------------------------------------------------------------------------
// Parsed arguments

struct Args {
  bool json = false;
  std::string profile;

  std::string user_name;
  std::string email;
  std::string password;
  std::string code;
  std::string node_id;
  std::string node_ids;
  std::string data;
  std::string filepath;
  bool raw = false;
  std::string add_node;
  int timeout_s = 120;
  std::string outdir;
  std::string key_type = "ecdsa";
  std::string mac;
  std::string platform = "host";
  std::string tags;
  std::string key;
  std::string name;
  std::string url;
  std::string ca;
  std::string cmd;
  std::string request_id;
  std::string start_id;
  int num_records = 0;
  std::optional<int> cmd_timeout_s;
  bool is_base64 = false;
  bool override_pending = false;
};

// Key/value lines with the keys padded to one width.
std::string key_values(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [k, v] : rows)
    width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : rows) {
    out += k;
    out.append(width - k.size() + 2, ' ');
    out += v;
    out += '\n';
  }
  return out;
}

// ---------------------------------------------------------------------------
// The commands

class Runner {
 public:
  Runner(Environment& env, const Args& args) : env_(env), args_(args) {
    static const SystemClock system;
    clock_ = env.clock != nullptr ? env.clock : &system;
  }

  int report(const Error& e) {
    env_.err << error_line(e) << '\n';
    return 1;
  }

  // --- profiles -------------------------------------------------------------

  Result<ProfileStore*> store() {
    if (store_)
      return &*store_;
    auto dir = config_dir(env_.getenv);
    if (!dir)
      return fail(dir.error());
    auto opened = ProfileStore::open(*dir);
    if (!opened)
      return fail(opened.error());
    store_.emplace(std::move(*opened));
    return &*store_;
  }

  Result<Profile> profile() {
    auto s = store();
    if (!s)
      return fail(s.error());
    return (*s)->get(args_.profile.empty() ? (*s)->current_name() : args_.profile);
  }

  // The e-mail (or phone number) of the id token stored for `name`, if any.
  std::string logged_in_user(const std::string& name) {
    auto s = store();
    if (!s)
      return {};
    auto tokens = (*s)->load_tokens(name);
    if (!tokens || !*tokens)
      return {};
    auto claims = client::decode_token_claims((*tokens)->id_token);
    return claims ? claims->account_name() : std::string();
  }

  Result<client::Session> session(bool need_login) {
    auto p = profile();
    if (!p)
      return fail(p.error());
    client::SessionOptions options;
    options.url = p->url;
    options.ca_file = p->ca_file;
    auto s = client::Session::open(std::move(options), *clock_);
    if (!s)
      return fail(s.error());
    profile_name_ = p->name;
    if (need_login) {
      auto tokens = (*store())->load_tokens(p->name);
      if (!tokens)
        return fail(tokens.error());
      if (!*tokens)
        return fail(errc::unauthenticated, "not logged in; " + std::string(kLoginHint));
      s->set_tokens(std::move(**tokens));
    }
    ProfileStore* st = *store();
    std::string name = p->name;
    s->on_tokens_changed([st, name](const client::Tokens& t) { (void)st->save_tokens(name, t); });
    return s;
  }

  // A failure of an authenticated call, with a login hint when the session is gone.
  int report_call(const Error& e) {
    if (e.code == errc::unauthenticated && e.reason != 0 && e.reason != 101009 &&
        e.reason != 101007) {
      Error hinted = e;
      const auto user = logged_in_user(profile_name_);
      hinted.context += "; run: stratus login --user_name " + (user.empty() ? "<email>" : user);
      return report(hinted);
    }
    return report(e);
  }

  void print_json(std::string_view text) { env_.out << pretty_json(text); }

  // --- secrets and codes ------------------------------------------------------

  std::optional<std::string> prompt_secret(std::string_view prompt) {
    if (!env_.read_secret)
      return std::nullopt;
    return env_.read_secret(prompt);
  }

  // --password, else STRATUS_PASSWORD, else a prompt (twice when `confirm`).
  Result<std::string> password(std::string_view what, bool confirm) {
    if (!args_.password.empty())
      return args_.password;
    if (auto env = env_.getenv("STRATUS_PASSWORD"); env && !env->empty())
      return *env;
    auto first = prompt_secret(std::string(what) + ": ");
    if (!first) {
      return fail(errc::invalid_argument,
                  "no password: pass --password, set STRATUS_PASSWORD or run in a terminal");
    }
    if (confirm) {
      auto second = prompt_secret("Confirm " + std::string(what) + ": ");
      if (!second || *second != *first)
        return fail(errc::invalid_argument, "the passwords do not match");
    }
    return *first;
  }

  // --code, else a line of standard input; nullopt at end of input.
  std::optional<std::string> verification_code(const std::string& user) {
    if (!args_.code.empty())
      return args_.code;
    if (env_.interactive)
      env_.err << "Verification code sent to " << user << ": " << std::flush;
    std::string line;
    if (!std::getline(env_.in, line))
      return std::nullopt;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    while (!line.empty() && line.front() == ' ')
      line.erase(line.begin());
    if (line.empty())
      return std::nullopt;
    return line;
  }

  // --- account commands -----------------------------------------------------

  int signup() {
    auto s = session(false);
    if (!s)
      return report(s.error());
    const std::string& user = args_.user_name;
    if (args_.code.empty()) {
      auto pw = password("Password", true);
      if (!pw)
        return report(pw.error());
      if (auto r = s->sign_up(user, *pw); !r)
        return report(r.error());
      env_.out << "a verification code was sent to " << user << '\n';
    }
    auto code = verification_code(user);
    if (!code) {
      env_.out << "finish with: stratus signup " << user << " --code <code>\n";
      return 0;
    }
    if (auto r = s->confirm_sign_up(user, *code); !r)
      return report(r.error());
    env_.out << "signed up " << user << "; log in with: stratus login --user_name " << user << '\n';
    return 0;
  }

  int login() {
    const std::string user = !args_.user_name.empty() ? args_.user_name : args_.email;
    if (user.empty())
      return report(Error{errc::invalid_argument, "--user_name is required", 0});
    auto s = session(false);
    if (!s)
      return report(s.error());
    auto pw = password("Password", false);
    if (!pw)
      return report(pw.error());
    auto tokens = s->login(user, *pw);
    if (!tokens)
      return report(tokens.error());
    auto claims = client::decode_token_claims(tokens->id_token);
    const std::string who =
        claims && !claims->account_name().empty() ? claims->account_name() : user;
    env_.out << "logged in as " << who << " (profile " << profile_name_ << ", " << s->server().root
             << ")\n";
    return 0;
  }

  int logout() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto r = s->logout();
    // A session the server no longer knows is logged out all the same.
    if (!r && r.error().code != errc::unauthenticated)
      return report_call(r.error());
    if (auto removed = (*store())->remove_tokens(profile_name_); !removed)
      return report(removed.error());
    env_.out << "logged out (profile " << profile_name_ << ")\n";
    return 0;
  }

  int forgot_password() {
    auto s = session(false);
    if (!s)
      return report(s.error());
    const std::string& user = args_.user_name;
    if (args_.code.empty()) {
      if (auto r = s->forgot_password(user); !r)
        return report(r.error());
      env_.out << "a verification code was sent to " << user << '\n';
    }
    auto code = verification_code(user);
    if (!code) {
      env_.out << "finish with: stratus forgotpassword " << user << " --code <code>\n";
      return 0;
    }
    auto pw = password("New password", true);
    if (!pw)
      return report(pw.error());
    if (auto r = s->reset_password(user, *pw, *code); !r)
      return report(r.error());
    env_.out << "password changed; log in with: stratus login --user_name " << user << '\n';
    return 0;
  }

  int user_info() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto info = s->user_info();
    if (!info)
      return report_call(info.error());
    if (args_.json) {
      print_json(info->raw_json);
      return 0;
    }
    std::vector<std::pair<std::string, std::string>> rows{{"user_id", info->user_id},
                                                          {"user_name", info->user_name}};
    if (!info->email.empty())
      rows.emplace_back("email", info->email);
    if (!info->phone_number.empty())
      rows.emplace_back("phone_number", info->phone_number);
    if (!info->name.empty())
      rows.emplace_back("name", info->name);
    rows.emplace_back("super_admin", info->super_admin ? "true" : "false");
    rows.emplace_back("mfa", info->mfa ? "true" : "false");
    env_.out << key_values(rows);
    return 0;
  }

  // --- node commands ----------------------------------------------------------

  int get_nodes() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    if (args_.json) {
      auto ids = s->all_node_ids();
      if (!ids)
        return report_call(ids.error());
      json::array list;
      for (const auto& id : *ids)
        list.emplace_back(id);
      const auto total = list.size();
      print_json(json::serialize(json::object{{"nodes", std::move(list)}, {"total", total}}));
      return 0;
    }
    auto nodes = s->node_details();
    if (!nodes)
      return report_call(nodes.error());
    env_.out << node_table(*nodes, clock_->now());
    return 0;
  }

  int get_node_details() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    std::optional<std::string> only;
    if (!args_.node_id.empty())
      only = args_.node_id;
    auto nodes = s->node_details(only);
    if (!nodes)
      return report_call(nodes.error());
    if (args_.json || args_.raw) {
      json::array list;
      for (const auto& n : *nodes) {
        boost::system::error_code ec;
        list.push_back(json::parse(n.raw_json, ec));
      }
      print_json(json::serialize(json::object{{"node_details", std::move(list)}}));
      return 0;
    }
    if (nodes->empty()) {
      env_.out << "no nodes\n";
      return 0;
    }
    const auto now = clock_->now();
    bool first = true;
    for (const auto& n : *nodes) {
      if (!first)
        env_.out << '\n';
      first = false;
      std::vector<std::pair<std::string, std::string>> rows{
          {"node", n.id},
          {"name", n.name.empty() ? "-" : n.name},
          {"type", n.type.empty() ? "-" : n.type},
          {"firmware", n.fw_version.empty() ? "-" : n.fw_version},
          {"status", connectivity_text(n.connectivity, now)},
          {"role", n.role.empty() ? "-" : n.role}};
      if (n.mapping_timestamp_s > 0) {
        rows.emplace_back("mapped",
                          format_local_time(std::chrono::system_clock::time_point(
                                                std::chrono::seconds(n.mapping_timestamp_s)),
                                            now));
      }
      std::string tags;
      for (const auto& t : n.tags)
        tags += (tags.empty() ? "" : ", ") + t;
      rows.emplace_back("tags", tags.empty() ? "-" : tags);
      const bool has_metadata = !n.metadata_json.empty() && n.metadata_json != "{}";
      rows.emplace_back("metadata", has_metadata ? n.metadata_json : "-");
      rows.emplace_back("params", n.params_json.empty() ? "(not reported yet)" : "");
      std::string text = key_values(rows);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
      env_.out << text << '\n';
      if (!n.params_json.empty())
        env_.out << pretty_json(n.params_json, "  ");
    }
    return 0;
  }

  int node_config() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto config = s->node_config(args_.node_id);
    if (!config)
      return report_call(config.error());
    print_json(*config);
    return 0;
  }

  int node_status() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto status = s->node_status(args_.node_id);
    if (!status)
      return report_call(status.error());
    if (args_.json) {
      print_json(s->last_body());
      return 0;
    }
    env_.out << connectivity_text(*status, clock_->now()) << '\n';
    return 0;
  }

  int node_params() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto params = s->node_params(args_.node_id);
    if (!params)
      return report_call(params.error());
    print_json(*params);
    return 0;
  }

  // --- command requests (spec §3.5) ------------------------------------------

  // `create_cmd_request <nodes> <cmd> <data>`: data is JSON, or taken as a string.
  int create_cmd_request() {
    int cmd = -1;
    const auto parsed = std::from_chars(args_.cmd.data(), args_.cmd.data() + args_.cmd.size(), cmd);
    if (parsed.ec != std::errc{} || parsed.ptr != args_.cmd.data() + args_.cmd.size() || cmd < 0 ||
        cmd > 65535)
      return report(Error{errc::invalid_argument, "cmd must be a number 0..65535", 0});
    client::CommandRequestSpec spec;
    spec.node_ids = split_list(args_.node_ids);
    if (spec.node_ids.empty())
      return report(Error{errc::invalid_argument, "no node id given", 0});
    spec.cmd = cmd;
    std::error_code json_error;
    (void)boost::json::parse(args_.data, json_error);
    spec.data_json =
        json_error ? boost::json::serialize(boost::json::string(args_.data)) : args_.data;
    spec.timeout_s = args_.cmd_timeout_s;
    spec.is_base64 = args_.is_base64;
    spec.override_pending = args_.override_pending;
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto answer = s->create_command_request(spec);
    if (!answer)
      return report_call(answer.error());
    if (args_.json) {
      print_json(answer->body);
      return 0;
    }
    std::error_code ec;
    const auto body = boost::json::parse(answer->body, ec);
    const auto* object = ec ? nullptr : body.if_object();
    const auto* id = object != nullptr ? object->if_contains("request_id") : nullptr;
    env_.out << "request "
             << (id != nullptr && id->is_string() ? std::string(id->get_string()) : "?") << '\n';
    const auto* responses = object != nullptr ? object->if_contains("responses") : nullptr;
    if (responses == nullptr || !responses->is_array()) {
      env_.out << "sent to " << spec.node_ids.size()
               << (spec.node_ids.size() == 1 ? " node" : " nodes")
               << "; follow it with: stratus get_cmd_requests "
               << (id != nullptr && id->is_string() ? std::string(id->get_string()) : "<id>")
               << '\n';
      return 0;
    }
    constexpr std::int64_t kNodeOffline = 131112;  // spec §3.5
    bool refused = false;
    for (const auto& entry : responses->get_array()) {
      const auto* e = entry.if_object();
      if (e == nullptr)
        continue;
      std::string nodes;
      if (const auto* list = e->if_contains("node_ids"); list != nullptr && list->is_array())
        for (const auto& n : list->get_array())
          nodes += (nodes.empty() ? "" : ",") + std::string(n.is_string() ? n.get_string() : "?");
      const auto* r = e->if_contains("response");
      const auto* ro = r != nullptr ? r->if_object() : nullptr;
      const auto* d = ro != nullptr ? ro->if_contains("description") : nullptr;
      const auto* c = ro != nullptr ? ro->if_contains("error_code") : nullptr;
      env_.out << "  " << nodes << ": "
               << (d != nullptr && d->is_string() ? std::string(d->get_string()) : "failure");
      if (c != nullptr && !c->is_null())
        env_.out << " (code " << boost::json::serialize(*c) << ")";
      env_.out << '\n';
      // An offline node keeps the request (delivered when it is back); anything else
      // (unknown node, no cmd-resp support) means the command will not reach that node.
      const bool kept = c != nullptr && ((c->is_int64() && c->get_int64() == kNodeOffline) ||
                                         (c->is_string() && c->get_string() == "131112"));
      refused = refused || !kept;
    }
    return refused ? 1 : 0;
  }

  int get_cmd_requests() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto answer =
        s->command_requests(args_.request_id, args_.node_id, args_.start_id, args_.num_records);
    if (!answer)
      return report_call(answer.error());
    if (args_.json) {
      print_json(*answer);
      return 0;
    }
    std::error_code ec;
    const auto body = boost::json::parse(*answer, ec);
    const auto* object = ec ? nullptr : body.if_object();
    const auto* requests = object != nullptr ? object->if_contains("requests") : nullptr;
    if (requests == nullptr || !requests->is_array() || requests->get_array().empty()) {
      env_.out << "no requests\n";
      return 0;
    }
    const auto now = clock_->now();
    auto text = [now](const boost::json::object& o, std::string_view key) -> std::string {
      const auto* v = o.if_contains(key);
      if (v == nullptr || v->is_null())
        return {};
      if (v->is_string())
        return std::string(v->get_string());
      if (v->is_int64() && (key.ends_with("_timestamp")))
        return format_local_time(
            std::chrono::system_clock::time_point(std::chrono::seconds(v->get_int64())), now);
      return boost::json::serialize(*v);
    };
    bool first = true;
    for (const auto& entry : requests->get_array()) {
      const auto* r = entry.if_object();
      if (r == nullptr)
        continue;
      if (!first)
        env_.out << '\n';
      first = false;
      std::vector<std::pair<std::string, std::string>> rows{{"request", text(*r, "request_id")},
                                                            {"node", text(*r, "node_id")},
                                                            {"cmd", text(*r, "cmd")},
                                                            {"status", text(*r, "status")}};
      for (const auto& [label, key] : {std::pair{"device status", "device_status"},
                                       {"description", "status_description"},
                                       {"requested", "request_timestamp"},
                                       {"answered", "response_timestamp"},
                                       {"expires", "expiration_timestamp"},
                                       {"request data", "request_data"},
                                       {"response data", "response_data"}}) {
        if (auto v = text(*r, key); !v.empty())
          rows.emplace_back(label, std::move(v));
      }
      env_.out << key_values(rows);
    }
    if (const auto* next = object->if_contains("next_id");
        next != nullptr && next->is_string() && !next->get_string().empty())
      env_.out << "more: --start_id " << std::string(next->get_string()) << '\n';
    return 0;
  }

  int set_params() {
    if (args_.data.empty() && args_.filepath.empty())
      return report(Error{errc::invalid_argument, "--data or --filepath is required", 0});
    std::string payload = args_.data;
    if (!args_.filepath.empty()) {
      auto text = detail::read_text_file(args_.filepath);
      if (!text)
        return report(text.error());
      payload = std::move(*text);
    }
    const auto ids = split_list(args_.node_ids);
    if (ids.empty())
      return report(Error{errc::invalid_argument, "no node id given", 0});
    std::vector<client::NodeParams> sets;
    for (const auto& id : ids)
      sets.push_back(client::NodeParams{id, payload});
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto outcomes = s->set_params(sets);
    if (!outcomes)
      return report_call(outcomes.error());
    std::size_t failed = 0;
    for (const auto& o : *outcomes)
      failed += o.success ? 0 : 1;
    if (args_.json) {
      print_json(s->last_body());
    } else {
      for (const auto& o : *outcomes) {
        env_.out << o.node_id << ": ";
        if (o.success) {
          env_.out << (o.queued ? "queued (the node is offline; sent when it is back)" : "success");
        } else {
          env_.out << "failure: " << o.description;
          if (o.error_code != 0)
            env_.out << " (code " << o.error_code << ")";
        }
        env_.out << '\n';
      }
    }
    if (failed != 0) {
      return report(Error{errc::invalid_argument,
                          std::to_string(failed) + " of " + std::to_string(outcomes->size()) +
                              (outcomes->size() == 1 ? " node" : " nodes") + " refused the params",
                          0});
    }
    return 0;
  }

  int remove_node() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    if (auto r = s->remove_mapping(args_.node_id); !r)
      return report_call(r.error());
    env_.out << "removed node " << args_.node_id << '\n';
    return 0;
  }

  int add_node() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto claims = client::decode_token_claims(s->tokens().id_token);
    if (!claims || claims->user_id.empty()) {
      return report(Error{errc::unauthenticated,
                          "the stored id token has no custom:user_id; " + std::string(kLoginHint),
                          0});
    }
    const std::string secret = uuid_v4();
    auto request_id = s->add_mapping(args_.add_node, secret, claims->user_id);
    if (!request_id)
      return report_call(request_id.error());
    env_.out << "add-user " << claims->user_id << ' ' << secret << '\n' << std::flush;
    const auto deadline = clock_->steady_now() + std::chrono::seconds(args_.timeout_s);
    for (;;) {
      auto status = s->mapping_status(*request_id);
      if (!status)
        return report_call(status.error());
      switch (*status) {
        case client::MappingStatus::confirmed:
          env_.out << "node " << args_.add_node << " is now mapped to "
                   << (claims->account_name().empty() ? claims->user_id : claims->account_name())
                   << '\n';
          return 0;
        case client::MappingStatus::timedout:
          return report(Error{
              errc::timeout,
              "the mapping request " + *request_id + " timed out: the node did not confirm it", 0});
        case client::MappingStatus::discarded:
          return report(
              Error{errc::conflict, "the mapping request " + *request_id + " was discarded", 0});
        case client::MappingStatus::requested:
          break;
      }
      if (clock_->steady_now() >= deadline) {
        return report(Error{errc::timeout,
                            "the node did not confirm the mapping within " +
                                std::to_string(args_.timeout_s) +
                                " s; enter the add-user line on the node's console",
                            0});
      }
      if (env_.sleep) {
        env_.sleep(1s);
      } else {
        std::this_thread::sleep_for(1s);
      }
    }
  }

  int mqtt_host() {
    auto s = session(false);
    if (!s)
      return report(s.error());
    auto endpoint = s->mqtt_host();
    if (!endpoint)
      return report(endpoint.error());
    if (args_.json) {
      print_json(endpoint->raw_json);
      return 0;
    }
    std::vector<std::pair<std::string, std::string>> rows{{"mqtt_host", endpoint->host}};
    if (endpoint->port != 0)
      rows.emplace_back("mqtt_port", std::to_string(endpoint->port));
    env_.out << key_values(rows);
    return 0;
  }

  int claim() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    ClaimOptions options;
    options.key_type = args_.key_type == "rsa" ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
    options.mac_addr = args_.mac;
    options.platform = args_.platform;
    if (!args_.outdir.empty()) {
      options.outdir = args_.outdir;
    } else {
      auto claims = client::decode_token_claims(s->tokens().id_token);
      if (!claims || claims->user_id.empty()) {
        return report(Error{errc::unauthenticated,
                            "the stored id token has no custom:user_id; " + std::string(kLoginHint),
                            0});
      }
      options.outdir = (*store())->dir() / "claim_data" / claims->user_id;
      options.per_node_subdir = true;
      if (auto r = detail::ensure_private_dir((*store())->dir()); !r)
        return report(r.error());
    }
    auto creds = claim_node(*s, options);
    if (!creds)
      return report_call(creds.error());
    if (args_.json) {
      print_json(json::serialize(json::object{{"node_id", creds->node_id},
                                              {"mqtt_host", creds->mqtt_host},
                                              {"mqtt_port", creds->mqtt_port},
                                              {"dir", creds->dir.string()}}));
      return 0;
    }
    env_.out << "claimed node " << creds->node_id << '\n'
             << key_values({{"credentials", creds->dir.string()},
                            {"mqtt", creds->mqtt_host + ":" + std::to_string(creds->mqtt_port)}});
    return 0;
  }

  int tags(bool remove) {
    const auto list = split_list(args_.tags);
    if (list.empty())
      return report(Error{errc::invalid_argument, "--tags needs at least one key:value", 0});
    auto s = session(true);
    if (!s)
      return report(s.error());
    auto r = remove ? s->remove_tags(args_.node_id, list) : s->add_tags(args_.node_id, list);
    if (!r)
      return report_call(r.error());
    env_.out << (remove ? "removed " : "added ") << list.size()
             << (list.size() == 1 ? " tag" : " tags") << (remove ? " from " : " to ")
             << args_.node_id << '\n';
    return 0;
  }

  int set_metadata() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    if (auto r = s->set_metadata(args_.node_id, args_.data); !r)
      return report_call(r.error());
    env_.out << "updated the metadata of " << args_.node_id << '\n';
    return 0;
  }

  int delete_metadata() {
    auto s = session(true);
    if (!s)
      return report(s.error());
    std::optional<std::string> key;
    if (!args_.key.empty())
      key = args_.key;
    if (auto r = s->delete_metadata(args_.node_id, key); !r)
      return report_call(r.error());
    if (key) {
      env_.out << "deleted metadata key " << *key << " of " << args_.node_id << '\n';
    } else {
      env_.out << "deleted all metadata of " << args_.node_id << '\n';
    }
    return 0;
  }

  // --- profile commands ---------------------------------------------------------

  int profile_add() {
    auto s = store();
    if (!s)
      return report(s.error());
    const bool existed = (*s)->get(args_.name).has_value();
    if (auto r = (*s)->add(Profile{args_.name, args_.url, args_.ca}); !r)
      return report(r.error());
    env_.out << (existed ? "updated" : "added") << " profile " << args_.name
             << "; use it with: stratus profile switch " << args_.name << '\n';
    return 0;
  }

  int profile_switch() {
    auto s = store();
    if (!s)
      return report(s.error());
    if (auto r = (*s)->switch_to(args_.name); !r)
      return report(r.error());
    env_.out << "switched to profile " << args_.name << '\n';
    return 0;
  }

  int profile_list() {
    auto s = store();
    if (!s)
      return report(s.error());
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : (*s)->list()) {
      const auto user = logged_in_user(p.name);
      rows.push_back(
          {p.name == (*s)->current_name() ? "*" : "", p.name, p.url, user.empty() ? "-" : user});
    }
    env_.out << render_table({"", "PROFILE", "URL", "USER"}, rows);
    return 0;
  }

  int profile_show() {
    auto p = profile();
    if (!p)
      return report(p.error());
    const auto user = logged_in_user(p->name);
    const bool current = p->name == (*store())->current_name();
    env_.out << key_values({{"profile", p->name + (current ? " (current)" : "")},
                            {"url", p->url},
                            {"ca_file", p->ca_file.empty() ? "-" : p->ca_file},
                            {"user", user.empty() ? "not logged in" : user},
                            {"config", (*store())->dir().string()}});
    return 0;
  }

 private:
  Environment& env_;
  const Args& args_;
  const Clock* clock_ = nullptr;
  std::optional<ProfileStore> store_;
  std::string profile_name_;
};

}  // namespace

std::optional<std::string> read_secret_from_terminal(std::string_view prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return std::nullopt;
  termios old{};
  if (::tcgetattr(fd, &old) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ICANON;
  (void)::write(fd, prompt.data(), prompt.size());
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char c = 0;
  bool got = false;
  while (::read(fd, &c, 1) == 1) {
    got = true;
    if (c == '\n' || c == '\r')
      break;
    line.push_back(c);
  }
  ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)::write(fd, "\n", 1);
  ::close(fd);
  if (!got)
    return std::nullopt;
  return line;
}

int run(const std::vector<std::string>& args, Environment& env) {
  Args a;
  CLI::App app{"stratus: the command-line client of a Stratus (ESP RainMaker compatible) cloud",
               "stratus"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "stratus 0.1.0");
  app.add_flag("--json", a.json, "Print the server's JSON answers (indented) instead of tables");
  app.add_option("--profile", a.profile, "Use this profile instead of the current one");

  std::function<int(Runner&)> action;
  const auto on = [&action](CLI::App* sub, std::function<int(Runner&)> f) {
    sub->callback([&action, f = std::move(f)] { action = f; });
  };

  auto* signup = app.add_subcommand("signup", "Create an account (a code is mailed to confirm)");
  signup->add_option("user_name", a.user_name, "E-mail address or phone number")->required();
  signup->add_option("--password", a.password, "Password (else STRATUS_PASSWORD or a prompt)");
  signup->add_option("--code", a.code,
                     "Verification code: only confirms (else read from standard input)");
  on(signup, [](Runner& r) { return r.signup(); });

  auto* login = app.add_subcommand("login", "Log in and store the tokens in the profile");
  login->add_option("--user_name", a.user_name, "E-mail address or phone number");
  login->add_option("--email", a.email, "E-mail address (same as --user_name)");
  login->add_option("--password", a.password, "Password (else STRATUS_PASSWORD or a prompt)");
  on(login, [](Runner& r) { return r.login(); });

  on(app.add_subcommand("logout", "Log out and forget the tokens"),
     [](Runner& r) { return r.logout(); });

  auto* forgot = app.add_subcommand("forgotpassword", "Reset the password with a mailed code");
  forgot->add_option("user_name", a.user_name, "E-mail address or phone number")->required();
  forgot->add_option("--password", a.password, "New password (else STRATUS_PASSWORD or a prompt)");
  forgot->add_option("--code", a.code, "Verification code (else read from standard input)");
  on(forgot, [](Runner& r) { return r.forgot_password(); });

  on(app.add_subcommand("getuserinfo", "Show the logged-in user"),
     [](Runner& r) { return r.user_info(); });
  on(app.add_subcommand("getnodes", "List your nodes (id, name, online/offline)"),
     [](Runner& r) { return r.get_nodes(); });

  auto* details = app.add_subcommand("getnodedetails", "Show config, status and params of nodes");
  details->add_option("nodeid", a.node_id, "Node id (all nodes when left out)");
  details->add_flag("--raw", a.raw, "Print the raw JSON");
  on(details, [](Runner& r) { return r.get_node_details(); });

  auto* config = app.add_subcommand("getnodeconfig", "Show a node's config");
  config->add_option("nodeid", a.node_id, "Node id")->required();
  on(config, [](Runner& r) { return r.node_config(); });

  auto* status = app.add_subcommand("getnodestatus", "Show whether a node is online");
  status->add_option("nodeid", a.node_id, "Node id")->required();
  on(status, [](Runner& r) { return r.node_status(); });

  auto* params = app.add_subcommand("getparams", "Show a node's reported params");
  params->add_option("nodeid", a.node_id, "Node id")->required();
  on(params, [](Runner& r) { return r.node_params(); });

  auto* set = app.add_subcommand("setparams", "Set params of one or more nodes");
  set->add_option("nodeid", a.node_ids, "Node ids, comma-separated")->required();
  auto* data = set->add_option("--data", a.data, R"(Params as JSON: '{"Light":{"Power":true}}')");
  auto* file = set->add_option("--filepath", a.filepath, "File holding the params JSON");
  data->excludes(file);
  on(set, [](Runner& r) { return r.set_params(); });

  auto* create_cmd =
      app.add_subcommand("create_cmd_request", "Send a command to nodes (command-response)");
  create_cmd->add_option("nodes", a.node_ids, "Node ids, comma-separated (at most 25)")->required();
  create_cmd->add_option("cmd", a.cmd, "Command id, 0..65535 (1 = set params)")->required();
  create_cmd
      ->add_option("data", a.data, R"(Data: JSON ('{"params":{"Light":{"Power":true}}}') or text)")
      ->required();
  create_cmd->add_option("--timeout", a.cmd_timeout_s,
                         "Seconds the request stays valid (1..2592000, -1 = until answered; "
                         "default 30)");
  create_cmd->add_flag("--base64", a.is_base64, "data is base64 of raw bytes");
  create_cmd->add_flag("--override", a.override_pending,
                       "Replace your pending requests with the same command to these nodes");
  on(create_cmd, [](Runner& r) { return r.create_cmd_request(); });

  auto* get_cmds = app.add_subcommand("get_cmd_requests", "Show command requests and answers");
  get_cmds->add_option("request_id", a.request_id, "Request id from create_cmd_request")
      ->required();
  get_cmds->add_option("--node_id", a.node_id, "Only this node");
  get_cmds->add_option("--start_id", a.start_id, "Next page (from the previous answer)");
  get_cmds->add_option("--num_records", a.num_records, "Requests per page (1..100)");
  on(get_cmds, [](Runner& r) { return r.get_cmd_requests(); });

  auto* remove = app.add_subcommand("removenode", "Remove a node from your account");
  remove->add_option("nodeid", a.node_id, "Node id")->required();
  on(remove, [](Runner& r) { return r.remove_node(); });

  auto* test = app.add_subcommand("test", "Map a node with the add-user console command");
  test->add_option("--addnode", a.add_node, "Node id to add")->required();
  test->add_option("--timeout", a.timeout_s, "Seconds to wait for the node's confirmation")
      ->check(CLI::Range(1, 3600));
  on(test, [](Runner& r) { return r.add_node(); });

  on(app.add_subcommand("getmqtthost", "Show the MQTT host (and port) nodes connect to"),
     [](Runner& r) { return r.mqtt_host(); });

  auto* claim = app.add_subcommand("claim", "Claim a new node: key, certificate and node.info");
  claim->add_option("--outdir", a.outdir,
                    "Directory for the files, used as is (default "
                    "~/.config/stratus/claim_data/<user_id>/<node_id>/)");
  claim->add_option("--key_type", a.key_type, "Key type")->check(CLI::IsMember({"ecdsa", "rsa"}));
  claim->add_option("--mac", a.mac, "Node MAC, 12 hex digits (random when left out)");
  claim->add_option("--platform", a.platform, "Platform reported to the server");
  on(claim, [](Runner& r) { return r.claim(); });

  auto* node = app.add_subcommand("node", "Tags and metadata of a node");
  node->require_subcommand(1);
  auto* add_tags = node->add_subcommand("add-tags", "Add tags");
  add_tags->add_option("nodeid", a.node_id, "Node id")->required();
  add_tags->add_option("--tags", a.tags, "Tags key:value,key:value")->required();
  on(add_tags, [](Runner& r) { return r.tags(false); });
  auto* remove_tags = node->add_subcommand("remove-tags", "Remove tags");
  remove_tags->add_option("nodeid", a.node_id, "Node id")->required();
  remove_tags->add_option("--tags", a.tags, "Tags key:value,key:value")->required();
  on(remove_tags, [](Runner& r) { return r.tags(true); });
  auto* set_metadata = node->add_subcommand("set-metadata", "Merge a JSON object into metadata");
  set_metadata->add_option("nodeid", a.node_id, "Node id")->required();
  set_metadata->add_option("--data", a.data, "Metadata as a JSON object")->required();
  on(set_metadata, [](Runner& r) { return r.set_metadata(); });
  auto* delete_metadata = node->add_subcommand("delete-metadata", "Delete metadata");
  delete_metadata->add_option("nodeid", a.node_id, "Node id")->required();
  delete_metadata->add_option("--key", a.key, "Only this key (all metadata when left out)");
  on(delete_metadata, [](Runner& r) { return r.delete_metadata(); });

  auto* profile = app.add_subcommand("profile", "Servers to talk to");
  profile->require_subcommand(1);
  auto* profile_add = profile->add_subcommand("add", "Add or update a profile");
  profile_add->add_option("name", a.name, "Profile name")->required();
  profile_add->add_option("--url,--base-url", a.url, "Server URL, e.g. https://host:8080")
      ->required();
  profile_add->add_option("--ca", a.ca, "PEM file of the CA to trust for https");
  on(profile_add, [](Runner& r) { return r.profile_add(); });
  auto* profile_switch = profile->add_subcommand("switch", "Make a profile current");
  profile_switch->add_option("name", a.name, "Profile name")->required();
  on(profile_switch, [](Runner& r) { return r.profile_switch(); });
  on(profile->add_subcommand("list", "List the profiles"),
     [](Runner& r) { return r.profile_list(); });
  on(profile->add_subcommand("show", "Show the current profile"),
     [](Runner& r) { return r.profile_show(); });

  // CLI11 reports an unknown command as "a subcommand is required"; say it plainly.
  if (args.size() > 1 && !args[1].empty() && args[1].front() != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known = known || sub->get_name() == args[1];
    if (!known) {
      env.err << "error: unknown command \"" << args[1] << "\" (see: stratus --help)\n";
      return 2;
    }
  }
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args)
    argv.push_back(arg.c_str());
  if (argv.empty())
    argv.push_back("stratus");
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::ParseError& e) {
    env.err << "error: " << e.what() << " (see: stratus --help)\n";
    return 2;
  }
  if (!action) {
    env.err << "error: a command is required (see: stratus --help)\n";
    return 2;
  }
  Runner runner(env, a);
  return action(runner);
}

}  // namespace stratus::cli
