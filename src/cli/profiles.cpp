#include "cli/profiles.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>

#include "cli/detail/files.hpp"
#include "client/server_url.hpp"

namespace stratus::cli {
namespace {

namespace json = boost::json;

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr)
    return std::nullopt;
  return std::string(value);
}

Result<std::filesystem::path> config_dir(const GetEnv& env) {
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty() && xdg->front() == '/')
    return std::filesystem::path(*xdg) / "stratus";
  if (auto home = env("HOME"); home && !home->empty())
    return std::filesystem::path(*home) / ".config" / "stratus";
  return fail(errc::unavailable,
              "cannot find a configuration directory: set HOME or XDG_CONFIG_HOME");
}

bool valid_profile_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

Result<ProfileStore> ProfileStore::open(std::filesystem::path dir) {
  ProfileStore store(std::move(dir));
  const auto file = store.dir_ / "profiles.json";
  auto text = detail::read_text_file(file);
  if (!text) {
    if (text.error().code == errc::not_found)
      return store;
    return fail(text.error());
  }
  boost::system::error_code ec;
  const auto value = json::parse(*text, ec);
  if (ec || !value.is_object())
    return fail(errc::invalid_argument, file.string() + " is not a JSON object; fix or remove it");
  const auto& root = value.as_object();
  if (const auto current = string_field(root, "current"); !current.empty())
    store.current_ = current;
  if (const auto* profiles = root.if_contains("profiles"); profiles != nullptr) {
    if (!profiles->is_object())
      return fail(errc::invalid_argument, file.string() + ": \"profiles\" must be an object");
    for (const auto& [name, entry] : profiles->as_object()) {
      if (!entry.is_object() || !valid_profile_name(name)) {
        return fail(errc::invalid_argument,
                    file.string() + ": profile \"" + std::string(name) + "\" is not valid");
      }
      Profile p{std::string(name), string_field(entry.as_object(), "url"),
                string_field(entry.as_object(), "ca_file")};
      if (p.url.empty()) {
        return fail(errc::invalid_argument,
                    file.string() + ": profile \"" + p.name + "\" has no url");
      }
      store.profiles_.push_back(std::move(p));
    }
  }
  return store;
}

std::vector<Profile> ProfileStore::list() const {
  std::vector<Profile> all = profiles_;
  const bool has_local =
      std::any_of(all.begin(), all.end(), [](const Profile& p) { return p.name == kLocalProfile; });
  if (!has_local)
    all.push_back(Profile{std::string(kLocalProfile), std::string(kLocalUrl), {}});
  std::sort(all.begin(), all.end(),
            [](const Profile& a, const Profile& b) { return a.name < b.name; });
  return all;
}

Result<Profile> ProfileStore::get(std::string_view name) const {
  for (auto& p : list()) {
    if (p.name == name)
      return p;
  }
  return fail(errc::not_found, "unknown profile \"" + std::string(name) +
                                   "\"; add it with: stratus profile add " + std::string(name) +
                                   " --url URL");
}

Result<void> ProfileStore::add(Profile profile) {
  if (!valid_profile_name(profile.name)) {
    return fail(errc::invalid_argument,
                "invalid profile name \"" + profile.name + "\" (use letters, digits, _ . -)");
  }
  auto url = client::parse_server_url(profile.url);
  if (!url)
    return fail(url.error());
  profile.url = url->root;
  if (!profile.ca_file.empty()) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(profile.ca_file, ec);
    if (ec || !std::filesystem::is_regular_file(absolute, ec)) {
      return fail(errc::invalid_argument, "CA file " + profile.ca_file + " does not exist");
    }
    profile.ca_file = absolute.lexically_normal().string();
  }
  auto it = std::find_if(profiles_.begin(), profiles_.end(),
                         [&](const Profile& p) { return p.name == profile.name; });
  if (it != profiles_.end()) {
    *it = std::move(profile);
  } else {
    profiles_.push_back(std::move(profile));
  }
  return save();
}

Result<void> ProfileStore::switch_to(std::string_view name) {
  auto profile = get(name);
  if (!profile)
    return fail(profile.error());
  current_ = std::string(name);
  return save();
}

Result<void> ProfileStore::save() const {
  if (auto r = detail::ensure_private_dir(dir_); !r)
    return r;
  json::object profiles;
  for (const auto& p : profiles_) {
    json::object entry{{"url", p.url}};
    if (!p.ca_file.empty())
      entry["ca_file"] = p.ca_file;
    profiles[p.name] = std::move(entry);
  }
  const json::object root{{"current", current_}, {"profiles", std::move(profiles)}};
  return detail::write_private_file(dir_ / "profiles.json", json::serialize(root) + "\n");
}

std::filesystem::path ProfileStore::tokens_path(std::string_view profile) const {
  return dir_ / "tokens" / (std::string(profile) + ".json");
}

Result<std::optional<client::Tokens>> ProfileStore::load_tokens(std::string_view profile) const {
  const auto file = tokens_path(profile);
  auto text = detail::read_text_file(file);
  if (!text) {
    if (text.error().code == errc::not_found)
      return std::optional<client::Tokens>();
    return fail(text.error());
  }
  boost::system::error_code ec;
  const auto value = json::parse(*text, ec);
  if (ec || !value.is_object()) {
    return fail(errc::invalid_argument,
                file.string() + " is damaged; run: stratus login --user_name <email>");
  }
  const auto& o = value.as_object();
  client::Tokens tokens{string_field(o, "idtoken"), string_field(o, "accesstoken"),
                        string_field(o, "refreshtoken")};
  if (tokens.access_token.empty() || tokens.refresh_token.empty())
    return std::optional<client::Tokens>();
  return std::optional<client::Tokens>(std::move(tokens));
}

Result<void> ProfileStore::save_tokens(std::string_view profile, const client::Tokens& tokens) {
  if (auto r = detail::ensure_private_dir(dir_); !r)
    return r;
  if (auto r = detail::ensure_private_dir(dir_ / "tokens"); !r)
    return r;
  const json::object o{{"idtoken", tokens.id_token},
                       {"accesstoken", tokens.access_token},
                       {"refreshtoken", tokens.refresh_token}};
  return detail::write_private_file(tokens_path(profile), json::serialize(o) + "\n");
}

Result<void> ProfileStore::remove_tokens(std::string_view profile) {
  std::error_code ec;
  std::filesystem::remove(tokens_path(profile), ec);
  if (ec) {
    return fail(errc::unavailable,
                "cannot remove " + tokens_path(profile).string() + ": " + ec.message());
  }
  return {};
}

}  // namespace stratus::cli
