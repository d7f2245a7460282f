// Proves the manufacturing CSV codec reads and writes the admin CLI's files (spec §7):
// node_certs.csv rows written as certs.py writes them (certificate and QR payload quoted,
// quotes doubled), read back with LF, CRLF and mixed row endings, and malformed files
// refused with the line named. How: literal file texts and round trips.
#include "proto/mfg_csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stratus::proto {
namespace {

const std::string kPem =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n";
const std::string kQr =
    R"({"ver": "v1", "name": "PROV_a1b2c3", "pop": "0123abcd", "transport": "ble"})";

std::string crlf(std::string s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n')
      out += '\r';
    out += c;
  }
  return out;
}

TEST(MfgCsv, NodeCertsRowIsWhatTheAdminCliWrites) {
  const NodeCertRow row{"T2uNDXPMS9nj9vpKjs2QG8", kPem, kQr, 0};
  EXPECT_EQ(node_certs_csv_row(row),
            "T2uNDXPMS9nj9vpKjs2QG8,\"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n"
            "-----END CERTIFICATE-----\n\",\"{\"\"ver\"\": \"\"v1\"\", \"\"name\"\": "
            "\"\"PROV_a1b2c3\"\", \"\"pop\"\": \"\"0123abcd\"\", \"\"transport\"\": "
            "\"\"ble\"\"}\"\n");
  EXPECT_EQ(node_certs_csv_header(), "node_id,certs,qrcode\n");
}

TEST(MfgCsv, NodeCertsRoundTripWithLfAndCrlf) {
  const std::vector<NodeCertRow> rows{{"aaaaaaaaaaaaaaaaaaaaaa", kPem, kQr, 0},
                                      {"bbbbbbbbbbbbbbbbbbbbbb", kPem, "", 0}};
  const std::string lf = write_node_certs_csv(rows);
  for (const std::string& text : {lf, crlf(lf)}) {
    const auto parsed = parse_node_certs_csv(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    ASSERT_EQ(parsed->size(), 2U);
    EXPECT_EQ((*parsed)[0].node_id, rows[0].node_id);
    EXPECT_EQ((*parsed)[1].qrcode, "");
    EXPECT_EQ((*parsed)[0].line, 2U);
    // The PEM spans four lines, so the second row starts on line 6.
    EXPECT_EQ((*parsed)[1].line, 6U);
    if (text == lf) {
      EXPECT_EQ((*parsed)[0].certificate_pem, kPem);
      EXPECT_EQ((*parsed)[0].qrcode, kQr);
    } else {
      // CRLF inside a quoted field is data: the certificate keeps its CRs.
      EXPECT_EQ((*parsed)[0].certificate_pem, crlf(kPem));
    }
  }
}

TEST(MfgCsv, NodeCertsColumnsByNameExtraColumnsAndBlankLines) {
  const auto parsed = parse_node_certs_csv(
      "\xEF\xBB\xBF"
      "certs,extra,node_id\r\n\r\n\"PEM\",x, id1 \n\nPEM2,y,id2");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[0].node_id, "id1");
  EXPECT_EQ((*parsed)[0].certificate_pem, "PEM");
  EXPECT_EQ((*parsed)[0].line, 3U);
  EXPECT_EQ((*parsed)[1].node_id, "id2");
  EXPECT_EQ((*parsed)[1].line, 5U);
}

TEST(MfgCsv, MalformedNodeCertsNameTheLine) {
  const auto message = [](std::string_view text) {
    const auto parsed = parse_node_certs_csv(text);
    EXPECT_FALSE(parsed.has_value()) << text;
    if (parsed)
      return std::string();
    EXPECT_EQ(parsed.error().code, errc::invalid_argument);
    return parsed.error().context;
  };
  EXPECT_NE(message("node_id,certs,qrcode\nid,\"unterminated\n\n").find("line 2"),
            std::string::npos);
  EXPECT_NE(message("node_id,certs,qrcode\nid,\"a\"b,c\n").find("line 2"), std::string::npos);
  EXPECT_NE(message("node_id,certs,qrcode\nid,a\"b,c\n").find("line 2"), std::string::npos);
  EXPECT_NE(message("node_id,certs,qrcode\nid,a,b\nid2,a\n").find("line 3"), std::string::npos);
  EXPECT_NE(message("node_id,certs,qrcode\n ,a,b\n").find("empty node_id"), std::string::npos);
  EXPECT_NE(message("node_id,certs,qrcode\nid,,b\n").find("empty certs"), std::string::npos);
  EXPECT_NE(message("node,certs\nid,a\n").find("header"), std::string::npos);
  EXPECT_NE(message("node_id,certs,qrcode\n").find("no rows"), std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message(std::string("node_id,certs\nid,a\0b\n", 22)).find("NUL"), std::string::npos);
}

TEST(MfgCsv, LimitsAreEnforcedAtTheBoundary) {
  // A field of exactly the limit passes, one byte more is refused (quoted and unquoted).
  const std::string at_limit(kMaxMfgCsvFieldBytes, 'x');
  EXPECT_TRUE(parse_csv("a\n" + at_limit + "\n").has_value());
  EXPECT_TRUE(parse_csv("a\n\"" + at_limit + "\"\n").has_value());
  EXPECT_FALSE(parse_csv("a\n" + at_limit + "x\n").has_value());
  EXPECT_FALSE(parse_csv("a\n\"" + at_limit + "x\"\n").has_value());

  std::string fields(kMaxMfgCsvFields - 1, ',');
  EXPECT_TRUE(parse_csv(fields + "\n").has_value());
  EXPECT_FALSE(parse_csv(fields + ",\n").has_value());

  std::string rows = "node_id\n";
  for (std::size_t i = 0; i < kMaxMfgCsvRows; ++i)
    rows += "n\n";
  EXPECT_TRUE(parse_node_ids_csv(rows).has_value());
  rows += "n\n";
  const auto too_many = parse_node_ids_csv(rows);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_NE(too_many.error().context.find("rows"), std::string::npos);

  EXPECT_FALSE(parse_csv(std::string(kMaxMfgCsvBytes + 1, 'a')).has_value());
}

TEST(MfgCsv, NodeIdsReadTheCloudAndLocalShapes) {
  const std::vector<std::string> ids{"T2uNDXPMS9nj9vpKjs2QG8", "iKA9qWbmJxXXz7MM69qsyA"};
  EXPECT_EQ(write_node_ids_csv(ids), "node_id\nT2uNDXPMS9nj9vpKjs2QG8\niKA9qWbmJxXXz7MM69qsyA\n");
  // Python's csv.writer (the cloud download path) ends rows with CRLF.
  const auto crlf_ids = parse_node_ids_csv(
      "node_id\r\nT2uNDXPMS9nj9vpKjs2QG8\r\n\r\n"
      "iKA9qWbmJxXXz7MM69qsyA\r\n");
  ASSERT_TRUE(crlf_ids.has_value()) << crlf_ids.error().message();
  EXPECT_EQ(*crlf_ids, ids);
  const auto two_columns = parse_node_ids_csv("mac,node_id\nAA,  x1 \nBB,\nCC,x2");
  ASSERT_TRUE(two_columns.has_value());
  EXPECT_EQ(*two_columns, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_FALSE(parse_node_ids_csv("id\nx\n").has_value());
  EXPECT_FALSE(parse_node_ids_csv("node_id\n\n \n").has_value());
  EXPECT_FALSE(parse_node_ids_csv("a,node_id\nx\n").has_value());
}

TEST(MfgCsv, NodeIdListIsTheCloudDownload) {
  const auto ids = parse_node_id_list(" a1, b2 ,,c3,\r\n");
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, (std::vector<std::string>{"a1", "b2", "c3"}));
  EXPECT_FALSE(parse_node_id_list("").has_value());
  EXPECT_FALSE(parse_node_id_list(" , ,\n").has_value());
  EXPECT_FALSE(parse_node_id_list("a,\"b\"").has_value());
  EXPECT_FALSE(parse_node_id_list("a\nb").has_value());
  std::string many;
  for (std::size_t i = 0; i < kMaxMfgCsvRows; ++i)
    many += "n,";
  EXPECT_TRUE(parse_node_id_list(many).has_value());
  EXPECT_FALSE(parse_node_id_list(many + "n").has_value());
}

TEST(MfgCsv, ConfigAndValuesAreTheMfgToolFormat) {
  EXPECT_EQ(write_mfg_config_csv(),
            "rmaker_creds,namespace,\nnode_id,data,binary\nmqtt_host,data,binary\n"
            "mqtt_cred_host,data,binary\nclient_cert,file,binary\nclient_key,file,binary\n"
            "random,data,hex2bin\n");
  EXPECT_EQ(mfg_values_csv_header(),
            "id,node_id,mqtt_host,mqtt_cred_host,client_cert,client_key,random,qrcode\n");
  const MfgValuesRow row{7,      "nid", "a1b2-ats.iot.example.com", "", "d/node.crt", "d/node.key",
                         "00ff", kQr};
  const std::string text = mfg_values_csv_row(row);
  EXPECT_EQ(text.substr(0, 63),
            "7,nid,a1b2-ats.iot.example.com,,d/node.crt,d/node.key,00ff,\"{\"\"");
  const auto parsed = parse_csv(mfg_values_csv_header() + text);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[1].fields,
            (std::vector<std::string>{"7", "nid", "a1b2-ats.iot.example.com", "", "d/node.crt",
                                      "d/node.key", "00ff", kQr}));
}

TEST(MfgCsv, FieldQuoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("plain", true), "\"plain\"");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(csv_field("a\rb"), "\"a\rb\"");
  // A lone CR inside an unquoted field is data; CR LF ends the row; a CR at the very end too.
  const auto parsed = parse_csv("a\rb,c\r\nd\r");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[0].fields, (std::vector<std::string>{"a\rb", "c"}));
  EXPECT_EQ((*parsed)[1].fields, (std::vector<std::string>{"d"}));
  const auto quoted_empty = parse_csv("\"\",\"\"\"\"\n");
  ASSERT_TRUE(quoted_empty.has_value());
  EXPECT_EQ((*quoted_empty)[0].fields, (std::vector<std::string>{"", "\""}));
}

}  // namespace
}  // namespace stratus::proto
