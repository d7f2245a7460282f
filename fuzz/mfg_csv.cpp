// Fuzz target `mfg_csv`: the manufacturing CSV codec (spec rainmaker.md §7) — node_ids.csv
// and node_certs.csv come from operators and from the admin CLI's uploads.
// Invariants: records respect the limits; every accepted node_certs.csv, written again,
// parses to the same rows; every accepted node_ids.csv, written again, to the same ids; a
// record written field by field with csv_field parses back to the same fields; a node id
// list (the cloud download) joined again with commas reads the same.
#include "proto/mfg_csv.hpp"

#include <string>
#include <vector>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::proto;
  const auto text = stratus::fuzz::as_text(data, size);

  if (const auto records = parse_csv(text)) {
    FUZZ_CHECK(records->size() <= kMaxMfgCsvRows + 1);
    for (const auto& record : *records) {
      FUZZ_CHECK(!record.fields.empty() && record.fields.size() <= kMaxMfgCsvFields);
      FUZZ_CHECK(record.line >= 1);
      std::string line;
      for (std::size_t i = 0; i < record.fields.size(); ++i) {
        FUZZ_CHECK(record.fields[i].size() <= kMaxMfgCsvFieldBytes);
        if (i > 0)
          line += ',';
        line += csv_field(record.fields[i], true);
      }
      const auto again = parse_csv(line);
      FUZZ_CHECK(again.has_value() && again->size() == 1);
      FUZZ_CHECK(again->front().fields == record.fields);
    }
  }
  if (const auto rows = parse_node_certs_csv(text)) {
    const auto again = parse_node_certs_csv(write_node_certs_csv(*rows));
    FUZZ_CHECK(again.has_value() && again->size() == rows->size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
      FUZZ_CHECK(!(*rows)[i].node_id.empty());
      FUZZ_CHECK((*again)[i].node_id == (*rows)[i].node_id);
      FUZZ_CHECK((*again)[i].certificate_pem == (*rows)[i].certificate_pem);
      FUZZ_CHECK((*again)[i].qrcode == (*rows)[i].qrcode);
    }
  }
  if (const auto ids = parse_node_ids_csv(text)) {
    const auto again = parse_node_ids_csv(write_node_ids_csv(*ids));
    FUZZ_CHECK(again.has_value() && *again == *ids);
  }
  if (const auto list = parse_node_id_list(text)) {
    FUZZ_CHECK(!list->empty() && list->size() <= kMaxMfgCsvRows);
    std::string joined;
    for (const auto& id : *list) {
      FUZZ_CHECK(!id.empty() && id.find(',') == std::string::npos);
      joined += id + ",";
    }
    const auto again = parse_node_id_list(joined);
    FUZZ_CHECK(again.has_value() && *again == *list);
  }
  return 0;
}
