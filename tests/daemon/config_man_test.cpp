// twoway.yaml(5) as generated from the key table: every key twowayd accepts is on the page with
// its type, default, bounds and reload class, and nothing in the table can break the roff.
#include "daemon/config_man.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "daemon/config.hpp"

using namespace twoway::daemon;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const std::string& page() {
  static const std::string p = config_manual_page("9.8.7", "2026-12-07");
  return p;
}

/// The tagged paragraph of one key: from its .TP line to the next .TP, .SS or .SH.
std::string entry_of(const std::string& key) {
  const std::string tag = ".TP\n\\fB\\%" + roff_escape(key, true) + "\\fR";
  const auto at = page().find(tag);
  if (at == std::string::npos) return "";
  auto end = page().size();
  for (const char* next : {"\n.TP\n", "\n.SS ", "\n.SH "}) {
    end = std::min(end, page().find(next, at + tag.size()));
  }
  return page().substr(at, end - at);
}

}  // namespace

TEST(ConfigManual, HeaderNamesThePageVersionAndDate) {
  EXPECT_THAT(page(),
              HasSubstr(".TH TWOWAY.YAML 5 2026-12-07 \"twoway 9.8.7\" \"File Formats\"\n"));
  EXPECT_THAT(page(), HasSubstr(".SH NAME\ntwoway.yaml \\- configuration file"));
  for (const char* section : {".SH SYNOPSIS", ".SH DESCRIPTION", ".SH KEYS", ".SH FILES",
                              ".SH EXAMPLES", ".SH SEE ALSO"}) {
    EXPECT_THAT(page(), HasSubstr(std::string("\n") + section + "\n")) << section;
  }
}

TEST(ConfigManual, EveryKeyOfTheTableHasAnEntry) {
  std::set<std::string> top_level;
  for (const KeySpec& k : config_keys()) {
    const std::string path(k.path);
    const std::string top = path.substr(0, path.find_first_of(".["));
    if (path == top && (k.type == KeyType::section || k.type == KeyType::list)) {
      // A top-level section is a heading with its help below it.
      EXPECT_THAT(page(), HasSubstr(".SS " + roff_escape(top, true) + "\n")) << path;
      top_level.insert(top);
      continue;
    }
    const std::string entry = entry_of(path);
    ASSERT_FALSE(entry.empty()) << "no entry for " << path;
    if (k.type != KeyType::section) {
      EXPECT_THAT(entry, HasSubstr("(" + std::string(key_type_name(k.type)))) << path;
    }
    std::string help(k.help.substr(0, 20));
    EXPECT_THAT(entry, HasSubstr(roff_escape(help))) << path;
  }
  EXPECT_GE(top_level.size(), 10u);
}

TEST(ConfigManual, EntriesCarryDefaultBoundsChoicesAndReloadClass) {
  EXPECT_THAT(entry_of("smscs[].port"), HasSubstr("(integer, default \\fB2775\\fR)"));
  EXPECT_THAT(entry_of("smscs[].port"), HasSubstr("1 to 65535."));
  EXPECT_THAT(entry_of("smscs[].name"), HasSubstr("(string, required)"));
  EXPECT_THAT(entry_of("smscs[].enquire_link_interval"), HasSubstr("1s to 1h."));
  EXPECT_THAT(entry_of("smscs[].enquire_link_timeout"), HasSubstr("100ms to 10m."));
  EXPECT_THAT(entry_of("smscs[].system_id"), HasSubstr("1 to 15 characters."));
  EXPECT_THAT(entry_of("smscs[].password"), HasSubstr("At most 8 characters."));
  EXPECT_THAT(entry_of("smscs[].bind"),
              HasSubstr("One of \\fBtransceiver\\fR, \\fBreceiver\\fR, \\fBtransmitter\\fR or "
                        "\\fBpair\\fR."));
  EXPECT_THAT(entry_of("default_region"), HasSubstr("Exactly 2 characters."));
  EXPECT_THAT(entry_of("storage.map_size"), HasSubstr("1048576 to 1099511627776."));
  // A restart key under a live section says so; live keys under it do not repeat the class.
  EXPECT_THAT(entry_of("admin.socket"), HasSubstr("needs a restart"));
  EXPECT_THAT(entry_of("admin.roles.owner"), Not(HasSubstr("restart")));
  EXPECT_THAT(entry_of("conversations.auto_responder.mode"), Not(HasSubstr("First value")));
  EXPECT_THAT(page(), HasSubstr(".SS conversations\nFirst values of the conversation settings"));
  // Hyphens in what a reader copies are real minus signs.
  EXPECT_THAT(entry_of("admin.socket"), HasSubstr("\\fB/run/twoway/admin.sock\\fR"));
  EXPECT_THAT(entry_of("conversations.keywords.custom[].action"), HasSubstr("\\fBopt_out\\fR"));
}

TEST(ConfigManual, EscapesWhatRoffWouldTakeAsRequests) {
  EXPECT_EQ(roff_escape("a\\b"), "a\\eb");
  EXPECT_EQ(roff_escape(".hidden"), "\\&.hidden");
  EXPECT_EQ(roff_escape("'quoted"), "\\&'quoted");
  EXPECT_EQ(roff_escape("two\nlines"), "two lines");
  EXPECT_EQ(roff_escape("--check-config", true), "\\-\\-check\\-config");
  EXPECT_EQ(roff_escape("well-known"), "well-known");
}

TEST(ConfigManual, EveryLineIsTextOrAKnownRequest) {
  const std::set<std::string> known{".TH", ".SH", ".SS", ".TP", ".PP", ".B",    ".I", ".BR",
                                    ".IR", ".RB", ".EX", ".EE", ".in", ".\\\"", ".br"};
  std::istringstream in(page());
  int requests = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) {
      ADD_FAILURE() << "an empty line (roff prints a blank line for it)";
      continue;
    }
    if (line[0] != '.' && line[0] != '\'') continue;
    const std::string name = line.substr(0, line.find(' '));
    EXPECT_TRUE(known.count(name)) << "unexpected request: " << line;
    ++requests;
  }
  EXPECT_GT(requests, 100);
}
