// The live-event commands: watch (the event stream), alerts (stored alerts), alert-mail
// (the opt-in) and webhook.
#include "proto/rest/events.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "client/event_stream.hpp"
#include "core/strings.hpp"

namespace stratus::cli::detail {
namespace {

namespace rest = proto::rest;

struct WatchOptions {
  std::vector<std::string> node_ids;
  std::string types;
  std::size_t count = 0;  // stop after this many events; 0 = never
};

struct AlertOptions {
  std::string node_id;
  std::int64_t from = -1;
  std::int64_t to = -1;
  std::size_t limit = 20;
};

std::chrono::system_clock::time_point at_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// "14:02:03  <node>  <summary>": the time of the event, the node, what happened.
std::string event_line(const client::StreamMessage& m, std::chrono::system_clock::time_point now) {
  std::string line = format_local_time(at_ms(m.timestamp_ms), now);
  line += "  ";
  line += m.node_id.empty() ? std::string("-") : m.node_id;
  line += "  ";
  line += rest::event_summary(m);
  return line;
}

int watch(Context& ctx, const WatchOptions& o) {
  client::EventFilter filter;
  for (const auto& arg : o.node_ids) {
    for (auto& id : split_list(arg))
      filter.node_ids.push_back(std::move(id));
  }
  if (!o.types.empty()) {
    auto parsed = rest::parse_event_filter({{"types", o.types}});
    if (!parsed)
      return ctx.report(parsed.error());
    filter.kinds = parsed->kinds;
  }
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto profile = ctx.profile();
  if (!profile)
    return ctx.report(profile.error());
  std::size_t seen = 0;
  std::chrono::milliseconds backoff{500};
  constexpr std::chrono::milliseconds kMaxBackoff{30000};
  while (true) {
    auto token = s->fresh_access_token();
    if (!token)
      return ctx.report_call(token.error());
    auto stream = client::EventStream::open(s->server(), profile->ca_file, *token, filter,
                                            std::chrono::milliseconds(5000));
    if (!stream) {
      if (stream.error().code != errc::unavailable && stream.error().code != errc::timeout)
        return ctx.report_call(stream.error());
      ctx.env().err << "stratus: " << stream.error().context << "; retrying in "
                    << format_duration(std::chrono::duration_cast<std::chrono::seconds>(backoff))
                    << "\n";
      ctx.sleep(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    while (true) {
      auto m = stream->next(std::chrono::milliseconds(60000));
      if (!m) {
        if (m.error().code == errc::timeout || m.error().code == errc::invalid_argument)
          continue;
        break;  // the stream ended
      }
      if (m->type == "ready") {
        backoff = std::chrono::milliseconds(500);
        continue;
      }
      if (m->type == "resync") {
        ctx.env().err << "stratus: events were missed (" << m->reason
                      << "); re-read the state with getparams/getnodestatus\n";
        continue;
      }
      filter.last_event_id = m->id;
      if (ctx.json()) {
        ctx.out() << rest::event_json(m->id, *rest::parse_event_kind(m->type), m->node_id,
                                      m->timestamp_ms, m->data_json)
                  << '\n';
      } else {
        ctx.out() << event_line(*m, ctx.clock().now()) << '\n';
      }
      ctx.out().flush();
      if (o.count != 0 && ++seen >= o.count) {
        stream->close();
        return 0;
      }
    }
    const auto& closed = stream->closed();
    if (closed && (closed->code == rest::close_code::unauthenticated ||
                   closed->code == rest::close_code::bad_request)) {
      return ctx.report(Error{
          errc::unauthenticated,
          "the event stream was refused: " + closed->reason + "; " + std::string(kLoginHint), 0});
    }
    // Token expiry (4002) reconnects at once with a fresh token; anything else after a
    // pause, resuming from the last event seen.
    if (!closed || closed->code != rest::close_code::token_expired) {
      ctx.env().err << "stratus: the event stream ended"
                    << (closed ? " (" + std::to_string(closed->code) + ": " + closed->reason + ")"
                               : std::string())
                    << "; reconnecting\n";
      ctx.sleep(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

int alerts(Context& ctx, const AlertOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  client::AlertQuery q;
  q.node_id = o.node_id;
  if (o.from >= 0)
    q.start_time = o.from;
  if (o.to >= 0)
    q.end_time = o.to;
  q.num_records = std::min<std::size_t>(std::max<std::size_t>(o.limit, 1), 100);
  rest::AlertPage all;
  while (all.alerts.size() < o.limit) {
    auto page = s->alerts(q);
    if (!page)
      return ctx.report_call(page.error());
    for (auto& a : page->alerts) {
      if (all.alerts.size() < o.limit)
        all.alerts.push_back(std::move(a));
    }
    if (!page->next_id)
      break;
    q.start_id = *page->next_id;
  }
  if (ctx.json()) {
    ctx.print_json(rest::alert_page_json(all));
    return 0;
  }
  if (all.alerts.empty()) {
    ctx.out() << "no alerts\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = ctx.clock().now();
  for (const auto& a : all.alerts) {
    rows.push_back(
        {format_local_time(at_ms(a.timestamp_ms), now), rest::alert_text(a.payload_json)});
  }
  ctx.out() << render_table({"time", "alert"}, rows);
  return 0;
}

int alert_mail(Context& ctx, const std::string& setting) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  Result<client::UserInfo> info = fail(errc::internal, "unset");
  if (setting.empty()) {
    info = s->user_info();
  } else {
    client::UserUpdate update;
    update.alert_mail = setting == "on";
    info = s->update_user(update);
  }
  if (!info)
    return ctx.report_call(info.error());
  ctx.out() << "alert mail is " << (info->alert_mail ? "on" : "off") << " for " << info->user_name
            << '\n';
  return 0;
}

struct WebhookOptions {
  std::string url, events, nodes, secret, id;
};

int webhook_add(Context& ctx, const WebhookOptions& o) {
  client::WebhookRequest r;
  r.url = o.url;
  r.events = split_list(o.events);
  r.node_ids = split_list(o.nodes);
  r.secret = o.secret;
  if (r.secret.empty()) {
    auto env = ctx.env().getenv("STRATUS_WEBHOOK_SECRET");
    r.secret = env ? *env : std::string();
  }
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto id = s->add_webhook(r);
  if (!id)
    return ctx.report_call(id.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
  } else {
    ctx.out() << "webhook " << *id << " added: " << r.url << " gets " << list_text(r.events)
              << "\n";
  }
  return 0;
}

int webhook_list(Context& ctx) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto list = s->webhooks();
  if (!list)
    return ctx.report_call(list.error());
  if (ctx.json()) {
    ctx.print_json(rest::webhook_list_json(*list));
    return 0;
  }
  if (list->empty()) {
    ctx.out() << "no webhooks\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : *list) {
    std::string state = w.enabled ? "enabled" : "disabled: " + w.disabled_reason;
    if (w.enabled && w.failures > 0)
      state += " (" + std::to_string(w.failures) + " failures; last: " + w.last_error + ")";
    rows.push_back({w.webhook_id, w.url, list_text(w.events), list_text(w.node_ids), state});
  }
  ctx.out() << render_table({"id", "url", "events", "nodes", "state"}, rows);
  return 0;
}

int webhook_remove(Context& ctx, const WebhookOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->remove_webhook(o.id); !r)
    return ctx.report_call(r.error());
  ctx.out() << "webhook " << o.id << " removed\n";
  return 0;
}

}  // namespace

void add_events(CLI::App& app, Context& ctx) {
  auto w = std::make_shared<WatchOptions>();
  auto* watch_cmd = app.add_subcommand(
      "watch",
      "Show live events of your nodes as they happen: params, online/offline, alerts, "
      "commands, sharing. Reconnects and resumes by itself.");
  watch_cmd->add_option("node_ids", w->node_ids, "Only these nodes (ids, or a comma list)");
  watch_cmd->add_option("--types", w->types,
                        "Only these event types, comma-separated: params, connectivity, config, "
                        "alert, command, mapping, sharing_request, ota");
  watch_cmd->add_option("--count", w->count, "Stop after this many events (default: never)");
  ctx.on(*watch_cmd, [&ctx, w] { return watch(ctx, *w); });

  auto a = std::make_shared<AlertOptions>();
  auto* alerts_cmd = app.add_subcommand("alerts", "Show a node's alerts, newest first");
  alerts_cmd->add_option("node_id", a->node_id, "Node id")->required();
  alerts_cmd->add_option("--from", a->from, "Only alerts at or after this time (Unix seconds)");
  alerts_cmd->add_option("--to", a->to, "Only alerts before this time (Unix seconds)");
  alerts_cmd->add_option("--limit", a->limit, "Show at most this many (default 20)");
  ctx.on(*alerts_cmd, [&ctx, a] { return alerts(ctx, *a); });

  auto mail_setting = std::make_shared<std::string>();
  auto* mail_cmd = app.add_subcommand(
      "alert-mail", "Show, or turn on or off, mail about the alerts of every node you may see");
  mail_cmd->add_option("setting", *mail_setting, "on or off (default: show)")
      ->check(CLI::IsMember({"on", "off"}));
  ctx.on(*mail_cmd, [&ctx, mail_setting] { return alert_mail(ctx, *mail_setting); });

  auto h = std::make_shared<WebhookOptions>();
  auto* webhook = app.add_subcommand("webhook", "Send events of your nodes to a URL (signed)");
  webhook->require_subcommand(1);
  auto* add = webhook->add_subcommand("add", "Register a webhook");
  add->add_option("--url", h->url, "http(s) URL that receives the POSTs")->required();
  add->add_option("--events", h->events, "Event types, comma-separated (e.g. params,alert)")
      ->required();
  add->add_option("--nodes", h->nodes, "Only these nodes, comma-separated (default: all)");
  add->add_option("--secret", h->secret,
                  "Signing key, 16-256 bytes (default: $STRATUS_WEBHOOK_SECRET)");
  ctx.on(*add, [&ctx, h] { return webhook_add(ctx, *h); });
  auto* list = webhook->add_subcommand("list", "Show your webhooks and their state");
  ctx.on(*list, [&ctx] { return webhook_list(ctx); });
  auto* remove = webhook->add_subcommand("remove", "Remove a webhook");
  remove->add_option("--id", h->id, "Webhook id")->required();
  ctx.on(*remove, [&ctx, h] { return webhook_remove(ctx, *h); });
}

}  // namespace stratus::cli::detail
