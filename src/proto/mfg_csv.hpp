#pragma once
/// @file
/// The CSV files of a manufacturing batch (spec rainmaker.md §7; Espressif's
/// `esp-rainmaker-admin-cli: rmaker_admin_lib/certs.py`): `node_ids.csv`, `node_certs.csv`
/// (read and written), and the IDF manufacturing tool's `config.csv` and `values.csv`
/// (written). Pure RFC 4180 codec: no I/O, no semantic checks (a certificate's CN against
/// its node id is the caller's business); thread-safe.
///
/// Reading accepts CRLF and LF row endings, even mixed (the admin CLI rewrites
/// `node_certs.csv` with CRLF before uploading it, and Python's `csv.writer` ends rows with
/// CRLF), quoted fields with doubled quotes and embedded line breaks, a leading UTF-8 BOM,
/// and blank lines between rows. Writing uses LF row endings and the admin CLI's quoting:
/// certificates and QR payloads always quoted in `node_certs.csv`, minimal quoting elsewhere.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto {

/// Largest CSV file accepted, in bytes: 50 000 nodes (the admin CLI's per-run maximum) of
/// RSA certificates (~1.3 KiB of PEM each) and QR payloads fit with room to spare.
inline constexpr std::size_t kMaxMfgCsvBytes = 128U * 1024U * 1024U;
/// Most data rows (header excluded) in one file: the admin CLI's per-run maximum.
inline constexpr std::size_t kMaxMfgCsvRows = 50'000;
/// Largest field, in bytes (a PEM certificate with a long chain fits).
inline constexpr std::size_t kMaxMfgCsvFieldBytes = 16U * 1024U;
/// Most fields in one record (values.csv carries extra columns after the standard eight).
inline constexpr std::size_t kMaxMfgCsvFields = 64;

/// One record of a CSV file: its fields (unquoted) and the 1-based line it starts on.
struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

/// Splits `text` into records (RFC 4180). Blank lines are skipped; a leading UTF-8 BOM is
/// ignored. Errors: `invalid_argument` naming the line for a quote inside an unquoted
/// field, text after a closing quote, an unterminated quoted field, a NUL byte, or a file,
/// field or record beyond `kMaxMfgCsvBytes`, `kMaxMfgCsvFieldBytes`, `kMaxMfgCsvFields`,
/// or more than `kMaxMfgCsvRows` + 1 records.
Result<std::vector<CsvRecord>> parse_csv(std::string_view text);

/// One field as RFC 4180 writes it: quoted (quotes doubled) when it holds `,`, `"`, CR or
/// LF, or when `always_quote`; as is otherwise.
std::string csv_field(std::string_view value, bool always_quote = false);

/// One row of `node_certs.csv`: the file `certs devicecert register` uploads.
struct NodeCertRow {
  std::string node_id;
  std::string certificate_pem;  ///< the node certificate, PEM, as in `node.crt`
  std::string qrcode;           ///< the QR payload JSON (`qrcode.txt`); may be empty
  std::size_t line = 0;         ///< 1-based line the row starts on (0 for rows to write)
};

/// Reads `node_certs.csv`: a header naming the columns `node_id` and `certs` (in any
/// order; `qrcode` optional, other columns ignored), then one row per node, each with as
/// many fields as the header. Rows whose node id is empty after trimming spaces are
/// refused; node ids are trimmed like the admin CLI does. Errors: `invalid_argument`
/// naming the line (malformed CSV, missing column, wrong field count, empty node id or
/// certificate, no data rows).
Result<std::vector<NodeCertRow>> parse_node_certs_csv(std::string_view text);

/// The header line of `node_certs.csv`, `node_id,certs,qrcode\n`.
std::string node_certs_csv_header();
/// One row of `node_certs.csv`, ending in LF: node id, then the certificate and QR payload,
/// both quoted, as the admin CLI writes them.
std::string node_certs_csv_row(const NodeCertRow& row);
/// A whole `node_certs.csv`: header and rows.
std::string write_node_certs_csv(std::span<const NodeCertRow> rows);

/// Reads `node_ids.csv`: a header with a `node_id` column (others ignored), then one row
/// per node; empty node ids (after trimming spaces) are skipped, as the admin CLI does.
/// Errors: `invalid_argument` naming the line (malformed CSV, no `node_id` column, wrong
/// field count, no node ids at all).
Result<std::vector<std::string>> parse_node_ids_csv(std::string_view text);

/// Reads the node-id download of the cloud flow (`GET /v1/admin/node_ids` → `url`): ids
/// separated by commas, on one line (surrounding blanks and a trailing line break are
/// dropped, empty items skipped, as the admin CLI does). Errors: `invalid_argument` for
/// text over `kMaxMfgCsvBytes`, more than `kMaxMfgCsvRows` ids, an id longer than
/// `kMaxMfgCsvFieldBytes`, a quote, a NUL, or no ids at all.
Result<std::vector<std::string>> parse_node_id_list(std::string_view text);

/// A whole `node_ids.csv`: `node_id` and one id per line.
std::string write_node_ids_csv(std::span<const std::string> node_ids);

/// The IDF manufacturing tool's `config.csv` for RainMaker credentials (spec §7): namespace
/// `rmaker_creds`; `node_id`, `mqtt_host`, `mqtt_cred_host` as data/binary; `client_cert`,
/// `client_key` as file/binary; `random` as data/hex2bin.
std::string write_mfg_config_csv();

/// One row of the IDF manufacturing tool's `values.csv` (spec §7).
struct MfgValuesRow {
  std::size_t id = 0;  ///< the node's 1-based index in the batch
  std::string node_id;
  std::string mqtt_host;
  std::string mqtt_cred_host;    ///< empty when the deployment has none
  std::string client_cert_path;  ///< path of `node.crt` (config.csv says `file`)
  std::string client_key_path;   ///< path of `node.key`
  std::string random_hex;        ///< 128 hex characters (64 random bytes)
  std::string qrcode;            ///< the QR payload JSON
};

/// The header line of `values.csv`:
/// `id,node_id,mqtt_host,mqtt_cred_host,client_cert,client_key,random,qrcode\n`.
std::string mfg_values_csv_header();
/// One row of `values.csv`, minimal quoting, ending in LF.
std::string mfg_values_csv_row(const MfgValuesRow& row);

}  // namespace stratus::proto
