// Logging set-up: level names, syslog priorities, journal detection and key=value quoting.
#include "daemon/logging.hpp"

#include <spdlog/spdlog.h>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

using namespace twoway::daemon;

namespace {

TEST(Logging, LevelNames) {
  EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);
}

TEST(Logging, SyslogPriorities) {
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
}

TEST(Logging, JournalStreamMustMatchStderr) {
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  const std::string mine = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                           std::to_string(static_cast<unsigned long long>(st.st_ino));
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  setenv("JOURNAL_STREAM", "1:2", 1);  // inherited from a parent whose stderr was the journal
  EXPECT_FALSE(stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
}

TEST(Logging, SetupRejectsUnknownNames) {
  EXPECT_FALSE(setup_logging("loud", "text"));
  EXPECT_FALSE(setup_logging("info", "xml"));
  EXPECT_TRUE(setup_logging("warn", "text"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  EXPECT_TRUE(set_log_level("debug"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_FALSE(set_log_level("nope"));
}

TEST(Logging, ValuesStayOnOneField) {
  EXPECT_EQ(log_value("alice"), "alice");
  EXPECT_EQ(log_value(""), "\"\"");
  EXPECT_EQ(log_value("two words"), "\"two words\"");
  EXPECT_EQ(log_value("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(log_value("line\nbreak\x1b"), "\"line\\nbreak\\x1b\"");
  EXPECT_EQ(log_value("k=v"), "\"k=v\"");
}

}  // namespace
