#include "cli/format.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace stratus::cli {
namespace {

namespace json = boost::json;

std::size_t display_width(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++n;
  }
  return n;
}

void write_string(std::string& out, std::string_view s) {
  out += json::serialize(json::string(s));
}

void write_pretty(std::string& out, const json::value& v, std::string_view indent,
                  std::size_t depth) {
  const auto pad = [&](std::size_t level) {
    out += '\n';
    out += indent;
    out.append(level * 2, ' ');
  };
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.as_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, value] : o) {
        if (!first)
          out += ',';
        first = false;
        pad(depth + 1);
        write_string(out, key);
        out += ": ";
        write_pretty(out, value, indent, depth + 1);
      }
      pad(depth);
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& a = v.as_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& value : a) {
        if (!first)
          out += ',';
        first = false;
        pad(depth + 1);
        write_pretty(out, value, indent, depth + 1);
      }
      pad(depth);
      out += ']';
      return;
    }
    case json::kind::double_: {
      // Boost.JSON writes 21.9 as "2.19E1"; people (and most JSON printers) expect the
      // shortest decimal form. Keep a ".0" on integral values so they still read as floats.
      char buffer[64];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.get_double());
      if (ec != std::errc{} || !std::isfinite(v.get_double())) {
        out += json::serialize(v);
        return;
      }
      std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
      out += text;
      if (text.find_first_of(".eE") == std::string_view::npos) {
        out += ".0";
      }
      return;
    }
    default:
      out += json::serialize(v);
      return;
  }
}

}  // namespace

std::string format_duration(std::chrono::seconds d) {
  const auto s = d.count() < 0 ? 0 : d.count();
  if (s < 60)
    return std::to_string(s) + " s";
  if (s < 3600)
    return std::to_string(s / 60) + " min";
  if (s < 48 * 3600) {
    const auto h = s / 3600;
    const auto m = (s % 3600) / 60;
    return std::to_string(h) + " h" + (m != 0 ? " " + std::to_string(m) + " min" : "");
  }
  return std::to_string(s / 86400) + " days";
}

std::string format_local_time(std::chrono::system_clock::time_point t,
                              std::chrono::system_clock::time_point now) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  const std::time_t nt = std::chrono::system_clock::to_time_t(now);
  std::tm tl{};
  std::tm nl{};
  localtime_r(&tt, &tl);
  localtime_r(&nt, &nl);
  char buf[32];
  if (tl.tm_year == nl.tm_year && tl.tm_yday == nl.tm_yday) {
    std::strftime(buf, sizeof buf, "%H:%M", &tl);
  } else {
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tl);
  }
  return buf;
}

std::string connectivity_text(const client::Connectivity& c,
                              std::chrono::system_clock::time_point now) {
  if (c.timestamp_ms <= 0)
    return c.connected ? "online" : "offline";
  const std::chrono::system_clock::time_point since{std::chrono::milliseconds(c.timestamp_ms)};
  if (c.connected)
    return "online since " + format_local_time(since, now);
  return "offline for " +
         format_duration(std::chrono::duration_cast<std::chrono::seconds>(now - since));
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "-" : out;
}

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  const auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(header);
  for (const auto& r : rows)
    measure(r);
  std::string out;
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : std::string();
      text += cell;
      if (i + 1 < widths.size())
        text.append(widths[i] - display_width(cell) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    out += text;
    out += '\n';
  };
  line(header);
  for (const auto& r : rows)
    line(r);
  return out;
}

std::string node_table(const std::vector<client::NodeDetails>& nodes,
                       std::chrono::system_clock::time_point now) {
  if (nodes.empty())
    return "no nodes\n";
  std::vector<std::vector<std::string>> rows;
  rows.reserve(nodes.size());
  for (const auto& n : nodes) {
    rows.push_back({n.id, n.name.empty() ? "-" : n.name, n.type.empty() ? "-" : n.type,
                    connectivity_text(n.connectivity, now)});
  }
  return render_table({"NODE ID", "NAME", "TYPE", "STATUS"}, rows);
}

std::string pretty_json(std::string_view text, std::string_view indent) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  std::string out(indent);
  if (ec) {
    out += text;
  } else {
    write_pretty(out, v, indent, 0);
  }
  out += '\n';
  return out;
}

std::string error_line(const Error& error) {
  std::string context = error.context.empty() ? std::string(to_string(error.code)) : error.context;
  for (auto& c : context) {
    if (c == '\n' || c == '\r')
      c = ' ';
  }
  std::string line = "error: " + context;
  if (error.reason != 0)
    line += " (code " + std::to_string(error.reason) + ")";
  return line;
}

}  // namespace stratus::cli
