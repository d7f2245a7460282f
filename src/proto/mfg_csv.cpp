#include "proto/mfg_csv.hpp"

#include <algorithm>
#include <optional>

namespace stratus::proto {
namespace {

Result<std::vector<CsvRecord>> bad(std::size_t line, std::string_view what) {
  return fail(errc::invalid_argument,
              "csv line " + std::to_string(line) + ": " + std::string(what));
}

bool is_blank(const CsvRecord& record) {
  return record.fields.size() == 1 && record.fields.front().empty();
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::optional<std::size_t> column(const CsvRecord& header, std::string_view name) {
  for (std::size_t i = 0; i < header.fields.size(); ++i)
    if (trim_spaces(header.fields[i]) == name)
      return i;
  return std::nullopt;
}

}  // namespace

Result<std::vector<CsvRecord>> parse_csv(std::string_view text) {
  if (text.size() > kMaxMfgCsvBytes)
    return fail(errc::invalid_argument,
                "csv file larger than " + std::to_string(kMaxMfgCsvBytes) + " bytes");
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);

  std::vector<CsvRecord> records;
  CsvRecord record{{}, 1};
  std::string field;
  std::size_t line = 1;
  std::size_t at = 0;
  bool field_started = false;  // something (possibly an empty quoted field) was read

  const auto end_field = [&]() -> bool {
    if (record.fields.size() >= kMaxMfgCsvFields)
      return false;
    record.fields.push_back(std::move(field));
    field.clear();
    field_started = false;
    return true;
  };
  const auto end_record = [&]() -> bool {
    if (!is_blank(record)) {
      if (records.size() >= kMaxMfgCsvRows + 1)
        return false;
      records.push_back(std::move(record));
    }
    record = CsvRecord{{}, line};
    return true;
  };

  while (at < text.size()) {
    const char c = text[at];
    if (c == '\0')
      return bad(line, "NUL byte");
    if (c == '"') {
      if (field_started || !field.empty())
        return bad(line, "quote inside an unquoted field");
      const std::size_t opened = line;
      ++at;
      for (;;) {
        if (at >= text.size())
          return bad(opened, "unterminated quoted field");
        const char q = text[at];
        if (q == '\0')
          return bad(line, "NUL byte");
        if (q == '"') {
          if (at + 1 < text.size() && text[at + 1] == '"') {
            field.push_back('"');
            at += 2;
            continue;
          }
          ++at;
          break;
        }
        if (q == '\n')
          ++line;
        field.push_back(q);
        ++at;
        if (field.size() > kMaxMfgCsvFieldBytes)
          return bad(opened,
                     "field longer than " + std::to_string(kMaxMfgCsvFieldBytes) + " bytes");
      }
      field_started = true;
      // Only a separator or a row end may follow a closing quote.
      if (at < text.size() && text[at] != ',' && text[at] != '\n' &&
          !(text[at] == '\r' && at + 1 < text.size() && text[at + 1] == '\n') &&
          !(text[at] == '\r' && at + 1 == text.size()))
        return bad(line, "text after a closing quote");
      continue;
    }
    if (c == ',') {
      if (!end_field())
        return bad(line, "more than " + std::to_string(kMaxMfgCsvFields) + " fields");
      ++at;
      continue;
    }
    if (c == '\r' && (at + 1 == text.size() || text[at + 1] == '\n')) {
      ++at;  // the LF (if any) ends the record below
      if (at == text.size())
        break;
      continue;
    }
    if (c == '\n') {
      if (!end_field())
        return bad(line, "more than " + std::to_string(kMaxMfgCsvFields) + " fields");
      ++line;
      ++at;
      if (!end_record())
        return bad(line, "more than " + std::to_string(kMaxMfgCsvRows) + " rows");
      continue;
    }
    if (field_started)
      return bad(line, "text after a closing quote");
    field.push_back(c);
    ++at;
    if (field.size() > kMaxMfgCsvFieldBytes)
      return bad(line, "field longer than " + std::to_string(kMaxMfgCsvFieldBytes) + " bytes");
  }
  // The last record may lack a row ending.
  if (field_started || !field.empty() || !record.fields.empty()) {
    if (!end_field())
      return bad(line, "more than " + std::to_string(kMaxMfgCsvFields) + " fields");
    if (!end_record())
      return bad(line, "more than " + std::to_string(kMaxMfgCsvRows) + " rows");
  }
  return records;
}

std::string csv_field(std::string_view value, bool always_quote) {
  const bool quote = always_quote || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote)
    return std::string(value);
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (const char c : value) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<std::vector<NodeCertRow>> parse_node_certs_csv(std::string_view text) {
  auto records = parse_csv(text);
  if (!records)
    return fail(records.error());
  if (records->empty())
    return fail(errc::invalid_argument, "node_certs.csv: empty file");
  const CsvRecord& header = records->front();
  const auto id_column = column(header, "node_id");
  const auto cert_column = column(header, "certs");
  const auto qr_column = column(header, "qrcode");
  if (!id_column || !cert_column)
    return fail(errc::invalid_argument, "node_certs.csv line " + std::to_string(header.line) +
                                            ": header must name the columns node_id and certs");
  if (records->size() == 1)
    return fail(errc::invalid_argument, "node_certs.csv: no rows after the header");

  std::vector<NodeCertRow> rows;
  rows.reserve(records->size() - 1);
  for (std::size_t i = 1; i < records->size(); ++i) {
    CsvRecord& record = (*records)[i];
    const auto where = "node_certs.csv line " + std::to_string(record.line) + ": ";
    if (record.fields.size() != header.fields.size())
      return fail(errc::invalid_argument, where + std::to_string(record.fields.size()) +
                                              " fields, the header has " +
                                              std::to_string(header.fields.size()));
    NodeCertRow row;
    row.node_id = std::string(trim_spaces(record.fields[*id_column]));
    row.certificate_pem = std::move(record.fields[*cert_column]);
    if (qr_column)
      row.qrcode = std::move(record.fields[*qr_column]);
    row.line = record.line;
    if (row.node_id.empty())
      return fail(errc::invalid_argument, where + "empty node_id");
    if (trim_spaces(row.certificate_pem).empty())
      return fail(errc::invalid_argument, where + "empty certs");
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string node_certs_csv_header() {
  return "node_id,certs,qrcode\n";
}

std::string node_certs_csv_row(const NodeCertRow& row) {
  std::string out = csv_field(row.node_id);
  out += ',';
  out += csv_field(row.certificate_pem, true);
  out += ',';
  out += csv_field(row.qrcode, true);
  out += '\n';
  return out;
}

std::string write_node_certs_csv(std::span<const NodeCertRow> rows) {
  std::string out = node_certs_csv_header();
  for (const auto& row : rows)
    out += node_certs_csv_row(row);
  return out;
}

Result<std::vector<std::string>> parse_node_ids_csv(std::string_view text) {
  auto records = parse_csv(text);
  if (!records)
    return fail(records.error());
  if (records->empty())
    return fail(errc::invalid_argument, "node_ids.csv: empty file");
  const CsvRecord& header = records->front();
  const auto id_column = column(header, "node_id");
  if (!id_column)
    return fail(errc::invalid_argument, "node_ids.csv line " + std::to_string(header.line) +
                                            ": header must name the column node_id");
  std::vector<std::string> ids;
  ids.reserve(records->size() - 1);
  for (std::size_t i = 1; i < records->size(); ++i) {
    const CsvRecord& record = (*records)[i];
    if (record.fields.size() != header.fields.size())
      return fail(errc::invalid_argument, "node_ids.csv line " + std::to_string(record.line) +
                                              ": " + std::to_string(record.fields.size()) +
                                              " fields, the header has " +
                                              std::to_string(header.fields.size()));
    const auto id = trim_spaces(record.fields[*id_column]);
    if (!id.empty())
      ids.emplace_back(id);
  }
  if (ids.empty())
    return fail(errc::invalid_argument, "node_ids.csv: no node ids");
  return ids;
}

Result<std::vector<std::string>> parse_node_id_list(std::string_view text) {
  if (text.size() > kMaxMfgCsvBytes)
    return fail(errc::invalid_argument,
                "node id list larger than " + std::to_string(kMaxMfgCsvBytes) + " bytes");
  std::vector<std::string> ids;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    std::string_view item = text.substr(at, comma - at);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t' || item.front() == '\r' ||
                             item.front() == '\n'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t' || item.back() == '\r' ||
                             item.back() == '\n'))
      item.remove_suffix(1);
    if (item.find_first_of(std::string_view("\"\0\r\n", 4)) != std::string_view::npos)
      return fail(errc::invalid_argument, "node id list: item " + std::to_string(ids.size() + 1) +
                                              " has a quote, NUL or line break");
    if (item.size() > kMaxMfgCsvFieldBytes)
      return fail(errc::invalid_argument,
                  "node id list: item " + std::to_string(ids.size() + 1) + " too long");
    if (!item.empty()) {
      if (ids.size() >= kMaxMfgCsvRows)
        return fail(errc::invalid_argument,
                    "node id list: more than " + std::to_string(kMaxMfgCsvRows) + " ids");
      ids.emplace_back(item);
    }
    at = comma + 1;
  }
  if (ids.empty())
    return fail(errc::invalid_argument, "node id list: no node ids");
  return ids;
}

std::string write_node_ids_csv(std::span<const std::string> node_ids) {
  std::string out = "node_id\n";
  for (const auto& id : node_ids) {
    out += csv_field(id);
    out += '\n';
  }
  return out;
}

std::string write_mfg_config_csv() {
  return "rmaker_creds,namespace,\n"
         "node_id,data,binary\n"
         "mqtt_host,data,binary\n"
         "mqtt_cred_host,data,binary\n"
         "client_cert,file,binary\n"
         "client_key,file,binary\n"
         "random,data,hex2bin\n";
}

std::string mfg_values_csv_header() {
  return "id,node_id,mqtt_host,mqtt_cred_host,client_cert,client_key,random,qrcode\n";
}

std::string mfg_values_csv_row(const MfgValuesRow& row) {
  std::string out = std::to_string(row.id);
  for (const std::string* field :
       {&row.node_id, &row.mqtt_host, &row.mqtt_cred_host, &row.client_cert_path,
        &row.client_key_path, &row.random_hex, &row.qrcode}) {
    out += ',';
    out += csv_field(*field);
  }
  out += '\n';
  return out;
}

}  // namespace stratus::proto
